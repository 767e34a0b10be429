/**
 * Wires one IM provider to one chat store: the store is written first, the page renders from it.
 */
import type { CardDraft } from '../../types/cards';
import type { GeoAttach, MediaKind } from '../../types/media';
import { extOfName } from '../../types/media';
import type { ConsultationAction, Message, MessageType } from '../../types/message';
import { parseSessionId } from '../../types/message';
import { HISTORY_PAGE_MAX } from '../../types/protocol';
import { backoffDelay } from '../im/backoff';
import { newIdClient } from '../im/ids';
import type { ImProvider } from '../im/types';
import { errorCodeOf } from '../im/types';
import type { LocalFile } from '../platform/files';
import type { KeyValueStorage } from '../platform/storage';
import type { ChatStore } from '../store';
import { hasGaps, syncCursors } from '../store';
import { errorText } from './errorText';
import { Outbox, OutboxFullError } from './outbox';

const PAGE_SIZE = 30;
/** A typing signal at most this often per session, and shown this long after the last one. */
const TYPING_SEND_EVERY_MS = 3_000;
const TYPING_SHOW_MS = 5_000;
const GAP_WAIT_MS = 1_000;
/**
 * Read marks of a session within this long go as one (the latest seq): read marks count against the
 * server's per-account rate limit, and messages arriving one by one must not use it up.
 */
const MARK_READ_EVERY_MS = 300;

/** Failures after which the same send cannot succeed by retrying on its own. */
const TRANSIENT = new Set(['disconnected', 'offline']);
/** Over the server's rate limit: the outbox waits this long and goes on. */
const RATE_LIMIT_WAIT_MS = 1_000;

export class ChatController {
  private started?: { token: string; done: Promise<void> };
  private readonly unsubscribe: Array<() => void> = [];
  private readPending = new Set<string>();
  private outbox?: Outbox;
  private outboxAccount?: string;
  /** True between a completed sync and the next disconnect: the outbox may go out. */
  private ready = false;
  private pumping = false;
  private readonly typingSent = new Map<string, number>();
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private gapTimer?: ReturnType<typeof setTimeout>;
  private syncing?: Promise<void>;
  private connected = false;
  private syncRetry?: ReturnType<typeof setTimeout>;
  private rateTimer?: ReturnType<typeof setTimeout>;
  /** Files of own media messages not uploaded yet (or whose upload failed), for resending. */
  private readonly localFiles = new Map<string, { kind: MediaKind; file: LocalFile }>();

  constructor(
    readonly store: ChatStore,
    private readonly provider: ImProvider,
    /** Where unsent messages survive reloads. */
    private readonly persist: KeyValueStorage,
  ) {
    const s = () => this.store.getState();
    s().setSeqGapFree(provider.seqKind === 'gapFree');
    this.unsubscribe.push(
      provider.on('msgs', (msgs) => {
        s().receive(msgs);
        if (hasGaps(s())) this.scheduleGapFill();
        const current = s().currentSessionId;
        if (current && msgs.some((m) => m.sessionId === current)) this.scheduleMarkRead(current);
      }),
      provider.on('state', (state, err) => {
        this.connected = state === 'connected';
        if (!this.connected) this.ready = false;
        if (state === 'connected') void this.syncAll();
        else if (state === 'authFailed' || state === 'kicked') s().setConnection(state, errorText(err?.code));
        else s().setConnection(state, state === 'disconnected' ? errorText(err?.code) : undefined);
      }),
      provider.on('read', (sessionId, account, readSeq) => {
        if (account !== s().me?.account) s().peerRead(sessionId, account, readSeq);
      }),
      provider.on('unread', (sessionId, unread) => s().setUnread(sessionId, unread)),
      provider.on('typing', (sessionId, account) => this.showTyping(sessionId, account)),
    );
  }

  /** Connects once per token; calling again with the same token returns the same promise. */
  start(token: string): Promise<void> {
    if (this.started?.token === token) return this.started.done;
    if (this.started) this.provider.disconnect();
    const done = this.provider.connect(token).then((me) => {
      this.store.getState().setMe(me);
      this.restoreOutbox(me.account);
    });
    this.started = { token, done };
    done.catch(() => {
      if (this.started?.done === done) this.started = undefined;
    });
    return done;
  }

  /** The token changed hands (renewed): later starts with it must not reconnect. */
  adoptToken(token: string): void {
    if (this.started) this.started = { token, done: this.started.done };
  }

  stop(): void {
    this.provider.disconnect();
    this.started = undefined;
    this.ready = false;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const t of this.typingTimers.values()) clearTimeout(t);
    clearTimeout(this.gapTimer);
    clearTimeout(this.syncRetry);
    clearTimeout(this.rateTimer);
  }

  /** Back in the foreground: the socket may have died unnoticed and messages may have arrived. */
  resume(): void {
    if (!this.started) return;
    this.provider.resume();
    if (this.store.getState().connection === 'synced') void this.syncAll();
  }

  /** Unsent messages of this account from an earlier run go back into the list and out again. */
  private restoreOutbox(account: string): void {
    if (this.outbox && this.outboxAccount === account) return;
    this.outboxAccount = account;
    this.outbox = new Outbox(this.persist, `medchat.outbox.${account}`);
    const s = this.store.getState;
    for (const msg of this.outbox.all()) {
      s().addPending(msg);
      if (msg.status === 'sendFailed') s().fail(msg.sessionId, msg.idClient, msg.error ?? errorText(undefined));
    }
    void this.pump();
  }

  /**
   * After every (re)connect: fetch everything after our cursors until the server says complete. A sync
   * that fails on a live connection (a slow reply timed out) is retried; one cut by a disconnect waits
   * for the next 'connected'.
   */
  private async syncAll(attempt = 0): Promise<void> {
    if (this.syncing) return this.syncing;
    const s = this.store.getState;
    s().setConnection('syncing');
    this.syncing = this.fetchSinceCursors().then(
      () => {
        s().setConnection('synced');
        this.ready = true;
        void this.pump();
        const current = s().currentSessionId;
        if (current) this.scheduleMarkRead(current);
      },
      (e: unknown) => {
        const code = errorCodeOf(e);
        if (code && TRANSIENT.has(code)) return;
        s().setConnection('disconnected', errorText(code));
        clearTimeout(this.syncRetry);
        this.syncRetry = setTimeout(() => {
          if (this.connected) void this.syncAll(attempt + 1);
        }, backoffDelay(attempt, 500, 10_000) + 200);
      },
    );
    try {
      await this.syncing;
    } finally {
      this.syncing = undefined;
    }
  }

  private async fetchSinceCursors(): Promise<void> {
    const s = this.store.getState;
    for (;;) {
      const res = await this.provider.sync(syncCursors(s()));
      s().receive(res.msgs);
      s().setSessions(res.sessions);
      if (res.complete) break;
    }
  }

  /**
   * A push past a gap usually means the missing one is a moment behind it; if it is still missing
   * shortly after, a quiet sync fetches it (the banner stays as it is).
   */
  private scheduleGapFill(): void {
    if (this.gapTimer) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      if (this.ready && hasGaps(this.store.getState())) this.fetchSinceCursors().catch(() => undefined);
    }, GAP_WAIT_MS);
  }

  private newMessage(sessionId: string, type: MessageType, body: string, attach?: Record<string, unknown>): Message | undefined {
    const me = this.store.getState().me;
    const target = parseSessionId(sessionId);
    if (!me || !target) return undefined;
    // The peer hides "typing" when this message arrives; the next keystroke must show it again.
    this.typingSent.delete(sessionId);
    return {
      ...target,
      sessionId,
      from: me.account,
      fromNick: me.name,
      type,
      body,
      ...(attach ? { attach } : {}),
      idClient: newIdClient(),
      time: Date.now(),
      status: 'sending',
    };
  }

  async sendText(sessionId: string, text: string): Promise<void> {
    const body = text.trim();
    const msg = body ? this.newMessage(sessionId, 'text', body) : undefined;
    if (!msg) return;
    this.enqueue(msg);
    await this.pump();
  }

  /** A card of the medical flow; shown at once as the server will stamp it. */
  async sendCard(sessionId: string, draft: CardDraft): Promise<void> {
    const me = this.store.getState().me;
    const msg = me && this.newMessage(sessionId, 'custom', '', { ...draft, doctor: me.name, issuedAt: Date.now() });
    if (!msg) return;
    this.enqueue(msg);
    await this.pump();
  }

  async sendLocation(sessionId: string, geo: GeoAttach): Promise<void> {
    const msg = this.newMessage(sessionId, 'geo', '', { ...geo });
    if (!msg) return;
    this.enqueue(msg);
    await this.pump();
  }

  /**
   * An image, voice clip, video or document: in the list at once from the local file (with upload
   * progress), uploaded, then sent like any message, in the order composed.
   */
  async sendFile(sessionId: string, kind: MediaKind, file: LocalFile): Promise<void> {
    const local = {
      url: file.path,
      name: file.name,
      size: file.size,
      ext: extOfName(file.name),
      ...(file.w !== undefined ? { w: file.w, h: file.h } : {}),
      ...(file.dur !== undefined ? { dur: file.dur } : {}),
    };
    const msg = this.newMessage(sessionId, kind, '', local);
    if (!msg) return;
    this.localFiles.set(msg.idClient, { kind, file });
    this.store.getState().addPending(msg);
    await this.uploadAndSend(msg);
  }

  private async uploadAndSend(msg: Message): Promise<void> {
    const s = this.store.getState;
    const pending = this.localFiles.get(msg.idClient);
    if (!pending) return;
    s().setUploadProgress(msg.idClient, 0);
    try {
      const uploaded = await this.provider.upload(pending.kind, pending.file, (p) => s().setUploadProgress(msg.idClient, p));
      this.localFiles.delete(msg.idClient);
      this.enqueue({ ...msg, attach: { ...uploaded }, status: 'sending' });
    } catch (e) {
      const code = errorCodeOf(e);
      s().fail(msg.sessionId, msg.idClient, code ? errorText(code) : e instanceof Error && e.message ? e.message : errorText(undefined));
      return;
    } finally {
      s().setUploadProgress(msg.idClient, undefined);
    }
    await this.pump();
  }

  /**
   * Resends with the same idClient: if the server had stored it, it answers with the original ack. A
   * media message whose upload failed is uploaded again first.
   */
  async resend(sessionId: string, idClient: string): Promise<void> {
    const msg = this.store.getState().messages.get(sessionId)?.byId.get(idClient);
    if (!msg || msg.status !== 'sendFailed') return;
    if (this.localFiles.has(idClient)) {
      this.store.getState().addPending({ ...msg, status: 'sending', error: undefined });
      return this.uploadAndSend(msg);
    }
    this.enqueue({ ...msg, status: 'sending', error: undefined });
    await this.pump();
  }

  /** Into the list at once ('sending'), and into the persisted outbox until the server acks it. */
  private enqueue(msg: Message): void {
    const s = this.store.getState();
    s.addPending(msg);
    try {
      this.outbox?.put({ ...msg, status: 'sending', error: undefined });
    } catch (e) {
      if (!(e instanceof OutboxFullError)) throw e;
      s.fail(msg.sessionId, msg.idClient, '待发送的消息过多，请联网后再发');
    }
  }

  /**
   * Sends the outbox one message at a time, oldest first, so messages arrive in the order composed.
   * A lost connection leaves the rest queued for the next sync; any other failure marks that message
   * failed (with the reason) and goes on with the next.
   */
  private async pump(): Promise<void> {
    if (this.pumping || !this.outbox) return;
    this.pumping = true;
    try {
      for (let msg = this.outbox.next(); msg && this.ready; msg = this.outbox.next()) {
        const outcome = await this.deliver(msg);
        if (outcome === 'retryLater') break;
      }
    } finally {
      this.pumping = false;
    }
  }

  private async deliver(msg: Message): Promise<'done' | 'retryLater'> {
    const outbox = this.outbox as Outbox;
    try {
      const ack = await this.provider.send({
        scene: msg.scene,
        to: msg.to,
        type: msg.type,
        body: msg.body,
        idClient: msg.idClient,
        ...(msg.attach ? { attach: msg.attach } : {}),
      });
      outbox.remove(msg.sessionId, msg.idClient);
      this.store.getState().ack(ack);
      return 'done';
    } catch (e) {
      const code = errorCodeOf(e);
      if (code && TRANSIENT.has(code)) return 'retryLater';
      if (code === 'rateLimited') {
        clearTimeout(this.rateTimer);
        this.rateTimer = setTimeout(() => void this.pump(), RATE_LIMIT_WAIT_MS);
        return 'retryLater';
      }
      const error = errorText(code);
      outbox.put({ ...msg, status: 'sendFailed', error });
      this.store.getState().fail(msg.sessionId, msg.idClient, error);
      return 'done';
    }
  }

  /**
   * Forwards a stored message to another session; it shows there once stored. Resolves with an error
   * text to show, or undefined.
   */
  async forward(sessionId: string, idClient: string, toSessionId: string): Promise<string | undefined> {
    const msg = this.store.getState().messages.get(sessionId)?.byId.get(idClient);
    if (!msg) return errorText('notFound');
    return this.listReply(() => this.provider.forward(msg, toSessionId, newIdClient()));
  }

  /** Resolves with an error text to show, or undefined when the recall went through. */
  recall(sessionId: string, idClient: string): Promise<string | undefined> {
    return this.listReply(() => this.provider.recall(sessionId, idClient));
  }

  /** Accept, close or cancel this session's consultation; resolves with an error text, or undefined. */
  changeConsultation(sessionId: string, action: ConsultationAction): Promise<string | undefined> {
    return this.listReply(async () => (await this.provider.consultation(sessionId, action)).notice);
  }

  /** A request whose reply is a stored message for the list: into the store, or the error text to show. */
  private async listReply(request: () => Promise<Message>): Promise<string | undefined> {
    try {
      this.store.getState().receive([await request()]);
      return undefined;
    } catch (e) {
      return errorText(errorCodeOf(e));
    }
  }

  /** Called on every keystroke; sends at most one typing signal per few seconds. */
  typing(sessionId: string): void {
    const now = Date.now();
    if (now - (this.typingSent.get(sessionId) ?? 0) < TYPING_SEND_EVERY_MS) return;
    this.typingSent.set(sessionId, now);
    this.provider.typing(sessionId);
  }

  private showTyping(sessionId: string, account: string): void {
    this.store.getState().setTyping(sessionId, account);
    clearTimeout(this.typingTimers.get(sessionId));
    this.typingTimers.set(
      sessionId,
      setTimeout(() => this.store.getState().setTyping(sessionId, undefined), TYPING_SHOW_MS),
    );
  }

  /** Opens a session: unread goes to zero, the newest page is loaded if nothing is held yet. */
  async enterSession(sessionId: string): Promise<void> {
    const s = this.store.getState;
    s().openSession(sessionId);
    if (!s().messages.get(sessionId)?.order.length) await this.loadOlder(sessionId);
    this.scheduleMarkRead(sessionId);
  }

  leaveSession(sessionId: string): void {
    this.scheduleMarkRead(sessionId);
    if (this.store.getState().currentSessionId === sessionId) this.store.getState().openSession(undefined);
  }

  /** Loads the page before the oldest message held. Returns false when there is nothing older. */
  async loadOlder(sessionId: string, limit = PAGE_SIZE): Promise<boolean> {
    const held = this.store.getState().messages.get(sessionId);
    if (held && !held.hasMore) return false;
    const before = held && held.minSeq > 0 ? held.minSeq : undefined;
    try {
      const page = await this.provider.history(sessionId, before, Math.min(limit, HISTORY_PAGE_MAX));
      this.store.getState().mergeHistory(sessionId, page.msgs, page.hasMore);
      return page.hasMore;
    } catch {
      return true;
    }
  }

  /** Coalesces read marks within MARK_READ_EVERY_MS into one request per session. */
  private scheduleMarkRead(sessionId: string): void {
    if (this.readPending.has(sessionId)) return;
    this.readPending.add(sessionId);
    setTimeout(() => {
      this.readPending.delete(sessionId);
      const seq = this.store.getState().messages.get(sessionId)?.maxSeq ?? 0;
      if (seq > 0) this.provider.markRead(sessionId, seq).catch(() => undefined);
    }, MARK_READ_EVERY_MS);
  }
}
