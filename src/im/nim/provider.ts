/**
 * The provider for NetEase Yunxin (NIM): the SDK does the socket, reconnection and offline/roaming sync;
 * this maps its calls and events to ImProvider. Our server still signs the user in and hands out the
 * NIM token (POST /api/nim/token), so the app secret never reaches a device.
 */
import type { IMMessage } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/MsgServiceInterface';
import type { Session } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/SessionServiceInterface';
import type { FileAttach, MediaKind } from '../../../types/media';
import type { Account, Ack, Message, OutgoingMessage, SessionSummary } from '../../../types/message';
import { parseSessionId, RECALL_WINDOW_MS, sessionIdOf } from '../../../types/message';
import type { NimCredentials, SessionsFound } from '../../../types/protocol';
import { ERROR_CODES } from '../../../types/protocol';
import type { LocalFile } from '../../platform/files';
import type { WatchNetwork } from '../../platform/network';
import { backoffDelay } from '../backoff';
import { Emitter } from '../emitter';
import type { HistoryPage, ImErrorCode, ImProvider, ProviderEvents, SearchPage, SyncResult } from '../types';
import { ImError } from '../types';
import { fileAttachFromNim, fromNim, recallFromNim, recallNotice, sessionFromNim, toNimSend, type NimSend } from './message';
import type { CreateNim, NimEvents, NimSdk } from './sdk';

export interface NimProviderOptions {
  /** Our session token → NIM app key, account and token (our server's NIM_TOKEN_PATH). */
  credentials(token: string): Promise<NimCredentials>;
  /** The SDK, loaded on first connect only. */
  loadSdk(): Promise<CreateNim>;
  /** The SDK's upload source: a temp path on mini programs, the Blob itself on H5. */
  fileSource(file: LocalFile): { filePath: string } | { file: File };
  /** A sign-in that failed offline is retried the moment the network is back, not at the end of its backoff. */
  watchNetwork?: WatchNetwork;
  random?: () => number;
}

/** NIM's error codes that have a meaning of ours; everything else is 'internal'. */
const NIM_CODES: Record<number, ImErrorCode> = {
  302: 'authFailed',
  316: 'authFailed',
  422: 'authFailed',
  403: 'forbidden',
  802: 'forbidden',
  7101: 'forbidden',
  404: 'notFound',
  803: 'notFound',
  804: 'forbidden',
  408: 'timeout',
  415: 'offline',
  416: 'rateLimited',
  508: 'recallExpired',
  414: 'invalidMessage',
  192001: 'disconnected',
  192002: 'timeout',
  192003: 'disconnected',
  192004: 'timeout',
  195002: 'contentBlocked',
};

/**
 * An SDK error (numeric code), our server's (one of its codes, or 'network'), the SDK's chunk that did
 * not load (H5, offline), or anything else.
 */
function imErrorOf(e: unknown): ImError {
  if (e instanceof ImError) return e;
  const err = e as { code?: unknown; desc?: unknown; message?: unknown; name?: unknown } | undefined;
  if (err?.name === 'ChunkLoadError') return new ImError('offline', String(err.message));
  const ours = (c: unknown): ImErrorCode | undefined =>
    c === 'network' ? 'offline' : (ERROR_CODES as readonly unknown[]).includes(c) ? (c as ImErrorCode) : undefined;
  const code = typeof err?.code === 'number' ? NIM_CODES[err.code] : ours(err?.code);
  const text = typeof err?.desc === 'string' ? err.desc : typeof err?.message === 'string' ? err.message : String(e);
  return new ImError(code ?? 'internal', text);
}

/** An SDK call whose failure is reported as ours. */
async function sdkCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw imErrorOf(e);
  }
}

const TYPING = JSON.stringify({ medchat: 'typing' });

export class NimProvider implements ImProvider {
  readonly seqKind = 'time';
  private readonly events = new Emitter<ProviderEvents>();
  private sdk?: NimSdk;
  private me?: Account;
  private stopped = true;
  private synced = false;
  /** The SDK's own copy of each message seen, by idClient: recall, resend and receipts take it back. */
  private readonly raw = new Map<string, IMMessage>();
  /** Offline and roaming messages of the SDK's sync, handed to the next sync() call. */
  private syncedMsgs: Message[] = [];
  private readonly nimSessions = new Map<string, Session>();
  /**
   * Others' messages waiting for our read receipt, by session, and the time up to which receipts went
   * out: markRead looks at these instead of every message ever seen.
   */
  private readonly unreceipted = new Map<string, Map<string, IMMessage>>();
  private readonly receiptedUpTo = new Map<string, number>();
  private unbind: Array<() => void> = [];
  private retryTimer?: ReturnType<typeof setTimeout>;
  private wakeRetry?: () => void;

  constructor(private readonly opts: NimProviderOptions) {}

  on<E extends keyof ProviderEvents>(event: E, handler: ProviderEvents[E]): () => void {
    return this.events.on(event, handler);
  }

  /**
   * Resolves once signed in and synced. Until then, a server or NetEase out of reach is retried with
   * backoff (the state says so meanwhile); a refused token stops it, as with the local provider.
   */
  async connect(token: string): Promise<Account> {
    this.stopped = false;
    for (let attempt = 0; ; attempt++) {
      this.events.emit('state', 'connecting');
      try {
        return await this.signIn(token);
      } catch (e) {
        const err = imErrorOf(e);
        this.closeSdk();
        if (this.stopped) throw new ImError('disconnected', 'disconnected by the app');
        // 'forbidden': our server gives this account no NetEase account (a pharmacist): final, like a bad token.
        if (err.code === 'authFailed' || err.code === 'tokenExpired' || err.code === 'unauthenticated' || err.code === 'forbidden') {
          this.shutdown();
          this.events.emit('state', 'authFailed', err);
          throw err;
        }
        this.events.emit('state', 'disconnected', err);
        await this.retryDelay(attempt);
        if (this.stopped) throw new ImError('disconnected', 'disconnected by the app');
      }
    }
  }

  /** The backoff before the next sign-in, cut short by disconnect() or by the network coming back. */
  private retryDelay(attempt: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(this.retryTimer);
        unwatch?.();
        this.wakeRetry = undefined;
        resolve();
      };
      const unwatch = this.opts.watchNetwork?.((online) => online && wake());
      this.wakeRetry = wake;
      this.retryTimer = setTimeout(wake, backoffDelay(attempt, 500, 30_000, this.opts.random));
    });
  }

  private async signIn(token: string): Promise<Account> {
    const creds = await this.opts.credentials(token);
    const create = await this.opts.loadSdk();
    if (this.stopped) throw new ImError('disconnected', 'disconnected by the app');
    this.me = creds.me;
    const sdk = this.open(create, creds);
    const firstSync = new Promise<void>((resolve) => this.listen(sdk, 'syncdone', () => resolve()));
    await sdk.connect();
    await firstSync;
    return creds.me;
  }

  disconnect(): void {
    this.shutdown();
  }

  resume(): void {
    // The SDK watches the network and reconnects by itself; a sync follows its 'syncdone'.
  }

  private shutdown(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    this.closeSdk();
  }

  private closeSdk(): void {
    this.synced = false;
    for (const off of this.unbind.splice(0)) off();
    void this.sdk?.destroy().catch(() => undefined);
    this.sdk = undefined;
  }

  private open(create: CreateNim, creds: NimCredentials): NimSdk {
    const sdk = create(
      { appkey: creds.appKey, account: creds.account, token: creds.token, debugLevel: 'off', needReconnect: true },
      // Medical chats: no usage statistics from the SDK to NetEase's reporting servers.
      { reporterConfig: { enableCompass: false, isDataReportEnable: false } },
    );
    this.sdk = sdk;
    this.listen(sdk, 'msg', (m) => {
      const msg = this.remember(m);
      if (msg) this.events.emit('msgs', [msg]);
    });
    const onSync = ({ msgs }: { msgs: IMMessage[] }) => {
      for (const m of msgs) {
        const msg = this.remember(m);
        if (msg) this.syncedMsgs.push(msg);
      }
    };
    this.listen(sdk, 'syncOfflineMsgs', onSync);
    this.listen(sdk, 'syncRoamingMsgs', onSync);
    this.listen(sdk, 'sessions', (list) => {
      for (const s of list) this.nimSessions.set(s.id, s);
    });
    this.listen(sdk, 'updateSession', (s) => {
      this.nimSessions.set(s.id, s);
      this.events.emit('unread', s.id, s.unread);
    });
    this.listen(sdk, 'syncdone', () => {
      this.synced = true;
      this.events.emit('state', 'connected');
    });
    this.listen(sdk, 'willReconnect', () => this.lost('reconnecting'));
    this.listen(sdk, 'disconnect', () => this.lost('connection closed'));
    this.listen(sdk, 'kicked', ({ reason, message }) => {
      this.shutdown();
      if (reason === 'samePlatformKick' || reason === 'otherPlatformKick') {
        this.events.emit('state', 'kicked', new ImError('duplicateLogin', message || reason));
      } else if (reason === 'serverKick') {
        this.events.emit('state', 'authFailed', new ImError('authFailed', message || reason));
      } else {
        this.events.emit('state', 'disconnected', new ImError('disconnected', message || reason));
      }
    });
    this.listen(sdk, 'msgReceipts', (receipts) => {
      for (const r of receipts) {
        if ('msgReceiptTime' in r) {
          const peer = parseSessionId(r.sessionId)?.to;
          if (peer) this.events.emit('read', r.sessionId, peer, r.msgReceiptTime);
        } else {
          const read = this.raw.get(r.idClient);
          if (read) this.events.emit('read', sessionIdOf('team', r.teamId), r.account, read.time);
        }
      }
    });
    this.listen(sdk, 'sysMsg', (sys) => {
      const myAccount = this.me?.account ?? '';
      const recall = recallFromNim(sys, myAccount);
      if (recall) return void this.events.emit('msgs', [recall]);
      if ((sys.type === 'customP2p' || sys.type === 'customTeam') && sys.content === TYPING && sys.from !== myAccount) {
        this.events.emit('typing', sys.type === 'customP2p' ? sessionIdOf('p2p', sys.from) : sessionIdOf('team', sys.to), sys.from);
      }
    });
    return sdk;
  }

  private listen<E extends keyof NimEvents>(sdk: NimSdk, event: E, handler: (...args: NimEvents[E]) => void): void {
    sdk.on(event, handler);
    this.unbind.push(() => sdk.off(event, handler));
  }

  private lost(reason: string): void {
    if (this.stopped) return;
    this.synced = false;
    this.events.emit('state', 'disconnected', new ImError('disconnected', reason));
  }

  private remember(m: IMMessage): Message | undefined {
    const msg = fromNim(m, (idClient) => this.raw.get(idClient));
    if (!msg) return undefined;
    this.raw.set(m.idClient, m);
    // Not below the watermark; at it again only costs a repeated receipt (one millisecond can hold several).
    if (m.from !== this.me?.account && m.idServer && m.time >= (this.receiptedUpTo.get(m.sessionId) ?? 0)) {
      const waiting = this.unreceipted.get(m.sessionId) ?? new Map<string, IMMessage>();
      this.unreceipted.set(m.sessionId, waiting.set(m.idClient, m));
    }
    return msg;
  }

  private ready(): NimSdk {
    if (!this.sdk || !this.synced) throw new ImError('disconnected', 'not connected');
    return this.sdk;
  }

  async send(msg: OutgoingMessage): Promise<Ack> {
    const sdk = this.ready();
    const known = this.raw.get(msg.idClient);
    // NIM does not check what a reply names: it must be a message of this conversation seen here.
    const replyMsg = msg.replyTo && this.raw.get(msg.replyTo.idClient);
    if (msg.replyTo && (!replyMsg || replyMsg.sessionId !== sessionIdOf(msg.scene, msg.to))) {
      throw new ImError('invalidReply', `no message ${msg.replyTo.idClient} to reply to`);
    }
    // Our outbox retries with the same idClient: NIM's own resend for a failed one, the stored copy
    // for one that went through (its ack was lost).
    const sent = await sdkCall(async () =>
      known?.status === 'sendFailed' ? sdk.msg.resendMsg({ msg: known }) : (known ?? callSend(sdk, toNimSend(msg, replyMsg))),
    );
    this.raw.set(sent.idClient, sent);
    const stored = fromNim(sent, (idClient) => this.raw.get(idClient));
    if (!stored?.idServer || stored.seq === undefined) throw new ImError('internal', `NIM did not store ${msg.idClient}`);
    return { idClient: stored.idClient, idServer: stored.idServer, sessionId: stored.sessionId, seq: stored.seq, time: stored.time };
  }

  async upload(kind: MediaKind, file: LocalFile, onProgress: (fraction: number) => void): Promise<FileAttach> {
    const sdk = this.ready();
    const result = await sdkCall(() =>
      sdk.cloudStorage.uploadFile({
        type: kind,
        ...this.opts.fileSource(file),
        onUploadProgress: (p) => onProgress(p.total ? p.loaded / p.total : 0),
      }),
    );
    return fileAttachFromNim(kind, { ...result, name: result.name || file.name });
  }

  async history(sessionId: string, beforeSeq: number | undefined, limit: number): Promise<HistoryPage> {
    const sdk = this.ready();
    const target = parseSessionId(sessionId);
    if (!target) throw new ImError('notFound', `no session ${sessionId}`);
    // endTime is inclusive and several messages can share a millisecond, so a page may bring only
    // messages already held; NIM's lastMsgId cursor then moves on from the last of them.
    let cursor: { endTime?: number; lastMsgId?: string } = beforeSeq !== undefined ? { endTime: beforeSeq } : {};
    for (;;) {
      const page = await sdkCall(() => sdk.msgLog.getHistoryMsgs({ ...target, limit, ...cursor }));
      const hasMore = page.length >= limit;
      const seenAll = page.every((m) => this.raw.has(m.idClient));
      const msgs = page.map((m) => this.remember(m)).filter((m): m is Message => m !== undefined);
      const last = page[page.length - 1];
      if (!hasMore || !seenAll || beforeSeq === undefined || !last.idServer) return { msgs, hasMore };
      cursor = { endTime: last.time, lastMsgId: last.idServer };
    }
  }

  /** The SDK synced on (re)connect by itself; this hands over what it brought. Cursors are not needed. */
  async sync(): Promise<SyncResult> {
    this.ready();
    const msgs = this.syncedMsgs;
    this.syncedMsgs = [];
    return { msgs, sessions: this.summaries(), complete: true };
  }

  /**
   * The SDK holds every session it synced: nothing to ask the server. Nothing is `gone`: NIM keeps its
   * own sessions list and says nothing of who may open what (no consultations there).
   */
  async sessions(ids: string[]): Promise<SessionsFound> {
    this.ready();
    const wanted = new Set(ids);
    return { sessions: this.summaries().filter((s) => wanted.has(s.id)), gone: [] };
  }

  private summaries(): SessionSummary[] {
    const myAccount = this.me?.account ?? '';
    return [...this.nimSessions.values()].map((s) => sessionFromNim(s, myAccount)).filter((s): s is SessionSummary => s !== undefined);
  }

  async markRead(sessionId: string, seq: number): Promise<void> {
    const sdk = this.ready();
    const target = parseSessionId(sessionId);
    const waiting = this.unreceipted.get(sessionId);
    const due = [...(waiting?.values() ?? [])].filter((m) => m.time <= seq);
    await sdkCall(() => sdk.session.resetSessionUnreadCount({ id: sessionId }));
    if (!target || !due.length) return;
    if (target.scene === 'p2p') {
      // A p2p receipt is a watermark: the newest message read covers the ones before it.
      const newest = due.reduce((a, m) => (m.time > a.time ? m : a));
      await sdkCall(() => sdk.msg.sendMsgReceipt({ msg: newest }));
    } else {
      const teamMsgReceipts = due.map((m) => ({ teamId: target.to, idServer: m.idServer as string, idClient: m.idClient }));
      await sdkCall(() => sdk.msg.sendTeamMsgReceipt({ teamMsgReceipts }));
    }
    for (const m of due) waiting?.delete(m.idClient);
    this.receiptedUpTo.set(sessionId, Math.max(this.receiptedUpTo.get(sessionId) ?? 0, ...due.map((m) => m.time)));
  }

  /** NIM acks no delivery to the sender: its read receipts (markRead) are all it has. */
  async delivered(): Promise<void> {
    // Nothing to send.
  }

  /**
   * NIM's cloud search (msgLog full-text search) is a paid add-on not enabled for this app; searching
   * held messages on the device still works (the controller does it for every provider).
   */
  async search(): Promise<SearchPage> {
    throw new ImError('unsupported', 'message search is not available with NetEase IM');
  }

  /** Presence with NIM is its event subscription service, not wired here: nothing to hide. */
  async presenceVisible(): Promise<boolean> {
    throw new ImError('unsupported', 'presence is not available with NetEase IM');
  }

  /**
   * NIM forwards its own copy (NIM picks the new idClient; ours is not needed for dedup here). NIM
   * knows nothing of who may read a medical message, and team member lists are not loaded here, so
   * this only forwards to a private chat with someone who already had the original: its sender, or
   * the other person of a private chat.
   */
  async forward(msg: Message, toSessionId: string): Promise<Message> {
    const sdk = this.ready();
    const original = this.raw.get(msg.idClient);
    const target = parseSessionId(toSessionId);
    if (!original || !target) throw new ImError('notFound', `no message ${msg.idClient} to forward`);
    const hadIt = original.scene === 'p2p' ? [original.from, original.to] : [original.from];
    if (target.scene !== 'p2p' || !hadIt.includes(target.to)) {
      throw new ImError('forbidden', '只能转发给本来就能看到这条消息的人');
    }
    const copy = this.remember(await sdkCall(() => sdk.msg.forwardMsg({ ...target, msg: original })));
    if (!copy) throw new ImError('internal', 'NIM did not store the forwarded message');
    return copy;
  }

  async recall(sessionId: string, idClient: string): Promise<Message> {
    const sdk = this.ready();
    const target = this.raw.get(idClient);
    const recalled = target && fromNim(target);
    if (!target || !recalled || recalled.sessionId !== sessionId) throw new ImError('notFound', `no message ${idClient} in ${sessionId}`);
    if (target.from !== this.me?.account) throw new ImError('forbidden', 'only the sender can recall a message');
    if (Date.now() - target.time > RECALL_WINDOW_MS) throw new ImError('recallExpired', 'too late to recall');
    await sdkCall(() => sdk.msg.recallMsg({ msg: target }));
    return recallNotice(recalled, recalled.from, Date.now());
  }

  /** Consultations live on our server; with NIM the hospital's own system opens and closes them. */
  async changeConsultation(): Promise<never> {
    throw new ImError('unsupported', 'consultation changes are not available with NetEase IM');
  }

  /** Identity, consent, intake and prescriptions are our server's; NIM carries the chat only. */
  async encounter(): Promise<never> {
    throw new ImError('unsupported', 'the encounter is not available with NetEase IM');
  }

  typing(sessionId: string): void {
    const target = parseSessionId(sessionId);
    if (!this.sdk || !this.synced || !target) return;
    this.sdk.systemMessage
      .sendCustomSysMsg({
        to: target.to,
        type: target.scene === 'p2p' ? 'customP2p' : 'customTeam',
        attach: TYPING,
        setting: { needSaveOffline: false },
      })
      .catch(() => undefined);
  }
}

/** One call per SDK method: each keeps its own option type. */
function callSend(sdk: NimSdk, send: NimSend): Promise<IMMessage> {
  switch (send.method) {
    case 'sendTextMsg':
      return sdk.msg.sendTextMsg(send.options);
    case 'sendTipMsg':
      return sdk.msg.sendTipMsg(send.options);
    case 'sendGeoLocationMsg':
      return sdk.msg.sendGeoLocationMsg(send.options);
    case 'sendCustomMsg':
      return sdk.msg.sendCustomMsg(send.options);
    case 'sendImageMsg':
      return sdk.msg.sendImageMsg(send.options);
    case 'sendAudioMsg':
      return sdk.msg.sendAudioMsg(send.options);
    case 'sendVideoMsg':
      return sdk.msg.sendVideoMsg(send.options);
    case 'sendFileMsg':
      return sdk.msg.sendFileMsg(send.options);
  }
}
