/**
 * Own messages on their way out: into the list and the persisted outbox at once, then sent one at a
 * time, oldest first, so they arrive in the order composed.
 */
import type { Message } from '../../types/message';
import type { ImProvider } from '../im/types';
import { connectionLost, errorCodeOf } from '../im/types';
import type { KeyValueStorage } from '../platform/storage';
import type { ChatStore } from '../store';
import { errorText } from './errorText';
import { awaitsUpload, Outbox, OutboxFullError, outboxKey } from './outbox';

/** Over the server's rate limit: the outbox waits this long and goes on. */
export const RATE_LIMIT_WAIT_MS = 1_000;

export const OUTBOX_FULL_TEXT = '待发送的消息过多，请联网后再发';

/** A media message from an earlier run whose file was not kept on the device: only the message was. */
export const FILE_LOST_TEXT = '文件未能发出，请重新选择后发送';

export class Sender {
  private outbox?: { account: string; box: Outbox };
  private pumping = false;
  private rateTimer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly store: ChatStore,
    private readonly provider: ImProvider,
    /** Where unsent messages survive reloads. */
    private readonly persist: KeyValueStorage,
    /** Whether messages may go out now: only after a completed sync, so they follow what was missed. */
    private readonly maySend: () => boolean,
  ) {}

  /**
   * Unsent messages of this account from an earlier run go back into the list and out again. Returns
   * the media messages among them not uploaded yet: they wait (holding back what follows) for Uploads.
   */
  restore(account: string): Message[] {
    if (this.outbox?.account === account) return [];
    const box = new Outbox(this.persist, outboxKey(account));
    this.outbox = { account, box };
    this.show(box.all());
    void this.pump();
    return box.all().filter(awaitsUpload);
  }

  /** How many of the signed-in account's messages are not acknowledged yet (failed ones included). */
  unsent(): number {
    return this.outbox?.box.all().length ?? 0;
  }

  /**
   * Signed out: nothing more goes out for this account, and its unsent messages leave the device (their
   * text is the person's; the phone may be shared). The settings page warns of them before.
   */
  signedOut(account: string): void {
    (this.outbox?.account === account ? this.outbox.box : new Outbox(this.persist, outboxKey(account))).clear();
    this.outbox = undefined;
  }

  /**
   * The media messages of `account` not uploaded yet, as persisted now: read afresh, not from the outbox
   * held here, because on H5 another tab (another account, or the same one) persists its own.
   */
  awaitingUpload(account: string): Set<string> {
    return new Set(new Outbox(this.persist, outboxKey(account)).all().filter(awaitsUpload).map((m) => m.idClient));
  }

  /** Queued, and out as soon as it may go. */
  async send(msg: Message): Promise<void> {
    this.enqueue(msg);
    await this.pump();
  }

  /**
   * Into the list at once ('sending'), and into the persisted outbox until the server acks it (a media
   * message before its upload too, holding back what follows it). False when the outbox is full.
   */
  enqueue(msg: Message): boolean {
    const s = this.store.getState();
    s.addPending(msg);
    try {
      this.outbox?.box.put({ ...msg, status: 'sending', error: undefined });
      return true;
    } catch (e) {
      if (!(e instanceof OutboxFullError)) throw e;
      s.fail(msg.sessionId, msg.idClient, OUTBOX_FULL_TEXT);
      return false;
    }
  }

  /** A failed message its sender deleted: out of the outbox and the list. */
  discard(msg: Message): void {
    this.outbox?.box.remove(msg.sessionId, msg.idClient);
    this.store.getState().discardUnsent(msg.sessionId, msg.idClient);
  }

  /** Failed before it could go (its upload): shown with the reason, and no longer holding back its session. */
  failed(msg: Message, error: string): void {
    this.outbox?.box.put({ ...msg, status: 'sendFailed', error });
    this.store.getState().fail(msg.sessionId, msg.idClient, error);
  }

  /**
   * Sends the outbox one message at a time, with what another tab of the account left on the device
   * (Outbox.takeIn; the server deduplicates one sent by both). A lost connection leaves the rest queued
   * for the next sync; any other failure marks that message failed (with the reason) and goes on.
   */
  async pump(): Promise<void> {
    const box = this.outbox?.box;
    if (this.pumping || !box) return;
    this.pumping = true;
    try {
      this.show(box.takeIn());
      for (let msg = box.next(); msg && this.maySend(); msg = box.next()) {
        if ((await this.deliver(box, msg)) === 'retryLater') break;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Held messages into the list as the outbox has them: failed ones with their reason. */
  private show(msgs: Message[]): void {
    const s = this.store.getState;
    for (const msg of msgs) {
      s().addPending(msg);
      if (msg.status === 'sendFailed') s().fail(msg.sessionId, msg.idClient, msg.error ?? errorText(undefined));
    }
  }

  stop(): void {
    clearTimeout(this.rateTimer);
  }

  private async deliver(box: Outbox, msg: Message): Promise<'done' | 'retryLater'> {
    try {
      const ack = await this.provider.send({
        scene: msg.scene,
        to: msg.to,
        type: msg.type,
        body: msg.body,
        idClient: msg.idClient,
        ...(msg.attach ? { attach: msg.attach } : {}),
        ...(msg.replyTo ? { replyTo: msg.replyTo } : {}),
      });
      box.remove(msg.sessionId, msg.idClient);
      this.store.getState().ack(ack);
      return 'done';
    } catch (e) {
      if (connectionLost(e)) return 'retryLater';
      const code = errorCodeOf(e);
      if (code === 'rateLimited') {
        clearTimeout(this.rateTimer);
        this.rateTimer = setTimeout(() => void this.pump(), RATE_LIMIT_WAIT_MS);
        return 'retryLater';
      }
      this.failed(msg, errorText(code));
      return 'done';
    }
  }
}
