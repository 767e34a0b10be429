/**
 * Own media messages before they can be sent: shown at once from the local file with upload progress
 * and held in the outbox (what is composed after one waits behind it), uploaded, then sent with the
 * attach the upload resolved with. The file is held until its upload succeeds, so a failed upload is
 * done again on resend. One picked without a connection stays 'sending' and is uploaded when the
 * connection is back; its file is kept on the device meanwhile (FileKeeper), so that a reload or a
 * restart finds it again. One whose file was not kept comes back failed (FILE_LOST_TEXT). What is kept
 * and no persisted outbox waits for any more (a drop cut short by the app's end, a 删除 whose drop
 * failed) is swept at sign-in, and all of an account's at its sign-out.
 */
import type { MediaKind } from '../../types/media';
import { isMediaKind } from '../../types/media';
import type { Message } from '../../types/message';
import type { ImProvider } from '../im/types';
import type { LocalFile } from '../platform/files';
import type { FileKeeper, Kept } from '../platform/keep';
import type { ChatStore } from '../store';
import { connectionLost } from '../im/types';
import { failureText } from './errorText';
import type { Sender } from './sender';
import { FILE_LOST_TEXT } from './sender';

/**
 * A file is kept under its account and message. Why the account, rather than sweeping against the
 * signed-in account's outbox alone: on H5 two tabs of one browser are two people (a patient's link and
 * a doctor's) sharing one IndexedDB, and on mini programs an account that another one followed on the
 * device gets its waiting messages back at its next sign-in (Uploads.signedIn); with the account in the
 * id each kept file is judged by its own account's persisted outbox, and a sign-out finds all of its own.
 * `~` is in neither an account (ours: letters, digits, _ and -; NIM's also . and @) nor an idClient.
 */
const SEP = '~';
const keptId = (account: string, idClient: string): string => `${account}${SEP}${idClient}`;
/**
 * Whose a kept file is. The build before accounts were in the ids kept files under the bare idClient,
 * for whoever was signed in: such a file is taken as the signed-in account's (an idClient is waited for
 * by one account at most), found by recover and swept once its message no longer waits.
 */
const ownerOf = (id: string, signedIn: string | undefined): { account: string; idClient: string } | undefined => {
  const at = id.lastIndexOf(SEP);
  if (at > 0) return { account: id.slice(0, at), idClient: id.slice(at + SEP.length) };
  return signedIn === undefined ? undefined : { account: signedIn, idClient: id };
};

/** The picked file's name, as a media message's attach holds it before the upload. */
const fileNameOf = (msg: Message): string => (typeof msg.attach?.name === 'string' ? msg.attach.name : '');

export class Uploads {
  /** Files of own media messages not uploaded yet (or whose upload failed), by idClient. */
  private readonly files = new Map<string, { kind: MediaKind; file: LocalFile }>();
  /** Messages whose upload found no connection, in the order composed: they go with the next sync. */
  private waiting: Message[] = [];
  /** Files kept on the device, by idClient: the keeping, which must be over before the file is dropped. */
  private readonly kept = new Map<string, Promise<unknown>>();
  /** Whose messages these are: another account signing in on the device must not send them. */
  private account: string | undefined;

  constructor(
    private readonly store: ChatStore,
    private readonly provider: ImProvider,
    private readonly sender: Sender,
    /** Whether the connection is up (synced): an upload that finds no network then is a failure to show. */
    private readonly connected: () => boolean,
    private readonly keeper: FileKeeper,
  ) {}

  /** A new media message: into the list and the outbox, uploaded, then sent in the order composed. */
  async send(msg: Message, kind: MediaKind, file: LocalFile): Promise<void> {
    // Held even when the outbox is full: resending it later uploads it then.
    this.files.set(msg.idClient, { kind, file });
    if (this.sender.enqueue(msg)) await this.uploadThenSend(msg);
  }

  /**
   * `account` signed in. Another account's uploads are forgotten here: they would go out under this
   * one's token into this one's outbox. What of theirs was kept on the device stays there, and their
   * outbox brings it back at their next sign-in.
   */
  signedIn(account: string): void {
    if (this.account !== account) this.forget(account);
  }

  /** Whose uploads these are now: none of the last account's are held any more. */
  private forget(account: string | undefined): void {
    this.account = account;
    this.files.clear();
    this.waiting = [];
    this.kept.clear();
  }

  /**
   * Removes what is kept on the device that no message waits for any more: of every account, judged by
   * that account's persisted outbox (an id naming none, too). Listed before the outboxes are read, which
   * is what keeps a keeping under way (here or in another tab) safe: a file is kept only after its
   * message is persisted, so whatever the list holds that is still waited for is in the outboxes read
   * after it. The platform refusing to list or remove leaves the files as they are, for the next sign-in.
   */
  sweep(): Promise<void> {
    const signedIn = this.account;
    const waiting = new Map<string, Set<string>>();
    const waitedFor = ({ account, idClient }: { account: string; idClient: string }) => {
      if (!waiting.has(account)) waiting.set(account, this.sender.awaitingUpload(account));
      return waiting.get(account)?.has(idClient) === true;
    };
    return this.dropKept((id) => {
      const owner = ownerOf(id, signedIn);
      return !owner || !waitedFor(owner);
    });
  }

  /** Drops what the keeper lists and `doomed` names; a platform that refuses either leaves the files. */
  private async dropKept(doomed: (id: string) => boolean): Promise<void> {
    const listed = await this.keeper.list().catch((): Kept[] => []);
    for (const { id, name } of listed) if (doomed(id)) await this.keeper.drop(id, name).catch(() => undefined);
  }

  /**
   * `account` signs out on this device (解除绑定): what it kept here goes with it (a shared phone keeps
   * no patient's photo), once any keeping under way is over (their messages leave the outbox: Sender).
   * The account is given, not taken from the last sign-in: this run may not have connected at all.
   */
  async signedOut(account: string): Promise<void> {
    const keeping = [...this.kept.values()];
    this.forget(undefined);
    await Promise.all(keeping);
    await this.dropKept((id) => ownerOf(id, account)?.account === account);
  }

  /**
   * The media messages of an earlier run not uploaded yet (Sender.restore), with their files where they
   * were kept: waiting again (or failed as they were, to resend), the bubble showing the kept copy.
   */
  async recover(msgs: Message[]): Promise<void> {
    const account = this.account;
    if (account === undefined) return;
    for (const msg of msgs) {
      const { poster: _deadPath, ...attach } = msg.attach ?? {};
      const name = fileNameOf(msg);
      const restore = (id: string) => this.keeper.restore(id, name).catch(() => undefined);
      const kept = (await restore(keptId(account, msg.idClient))) ?? (await restore(msg.idClient));
      // Signed out, or another account signed in, meanwhile: these are no longer this run's to send.
      if (this.account !== account) return;
      if (!kept || !isMediaKind(msg.type)) {
        this.sender.failed(msg, FILE_LOST_TEXT);
        continue;
      }
      const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
      const file: LocalFile = { ...kept, name, size: num(attach.size) ?? 0, w: num(attach.w), h: num(attach.h), dur: num(attach.dur) };
      this.files.set(msg.idClient, { kind: msg.type, file });
      this.kept.set(msg.idClient, Promise.resolve());
      const shown = { ...msg, attach: { ...attach, url: kept.path } };
      if (msg.status === 'sendFailed') {
        this.store.getState().addPending(shown);
        this.sender.failed(shown, msg.error ?? failureText(undefined));
      } else {
        this.sender.enqueue(shown);
        this.waiting.push(shown);
      }
    }
    if (this.connected()) await this.resume();
  }

  /** The connection is back (synced): the uploads that waited for it go now. */
  async resume(): Promise<void> {
    for (const msg of this.waiting.splice(0)) await this.uploadThenSend(msg);
  }

  /** A failed media message its sender deleted: its file is let go, the copy kept on the device too. */
  discard(msg: Message): void {
    this.files.delete(msg.idClient);
    this.release(msg.idClient, fileNameOf(msg));
  }

  /** A failed media message not uploaded yet: uploaded again, or, its file gone with an earlier run, left failed. */
  async retry(msg: Message): Promise<void> {
    if (!this.files.has(msg.idClient)) return this.sender.failed(msg, FILE_LOST_TEXT);
    if (this.sender.enqueue({ ...msg, status: 'sending', error: undefined })) await this.uploadThenSend(msg);
  }

  private async uploadThenSend(msg: Message): Promise<void> {
    const s = this.store.getState;
    const pending = this.files.get(msg.idClient);
    if (!pending) return;
    const account = this.account;
    s().setUploadProgress(msg.idClient, 0);
    try {
      const uploaded = await this.provider.upload(pending.kind, pending.file, (p) => s().setUploadProgress(msg.idClient, p));
      // Another account signed in meanwhile: the upload is theirs, not this one's to send.
      if (this.account !== account) return;
      this.files.delete(msg.idClient);
      this.release(msg.idClient, pending.file.name);
      // The device's own poster stays with the bubble; only the upload's id goes to the server.
      const poster = msg.attach?.poster;
      this.sender.enqueue({ ...msg, attach: { ...uploaded, ...(poster !== undefined ? { poster } : {}) }, status: 'sending' });
    } catch (e) {
      if (this.account !== account) return;
      // Offline while the connection is down: it waits, like text in the outbox. With the connection
      // up, the network's failure is this upload's own (and the resend button the way out).
      if (connectionLost(e) && !this.connected()) {
        this.waiting.push(msg);
        this.keep(msg.idClient, pending.file);
      } else this.sender.failed(msg, failureText(e));
      return;
    } finally {
      s().setUploadProgress(msg.idClient, undefined);
    }
    await this.sender.pump();
  }

  /** Only a file that waits for the connection is kept: an upload under way is seconds from done. */
  private keep(idClient: string, file: LocalFile): void {
    const account = this.account;
    if (account !== undefined && !this.kept.has(idClient)) {
      this.kept.set(idClient, this.keeper.keep(keptId(account, idClient), file).catch(() => undefined));
    }
  }

  private release(idClient: string, name: string): void {
    const keeping = this.kept.get(idClient);
    const account = this.account;
    if (!keeping || account === undefined) return;
    this.kept.delete(idClient);
    void keeping.then(() => this.keeper.drop(keptId(account, idClient), name)).catch(() => undefined);
  }
}
