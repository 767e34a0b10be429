/**
 * The provider for our own IM server: request/reply over one socket, pushes as events, automatic
 * reconnection with backoff. Only ever one socket per provider; listeners live on the provider, not on
 * sockets, so a reconnect cannot bind them twice.
 */
import type { MediaKind } from '../../../types/media';
import type { Account, Ack, ConsultationAction, Message, OutgoingMessage } from '../../../types/message';
import { isMediaKind } from '../../../types/media';
import type { ErrorFrame, RequestMap, RequestType, ServerFrame, SessionsFound } from '../../../types/protocol';
import { CLOSE_KICKED, CLOSE_RESTART, PROTOCOL_VERSION } from '../../../types/protocol';
import type { LocalFile } from '../../platform/files';
import type { WatchNetwork } from '../../platform/network';
import type { OpenSocket, SocketConnection } from '../../platform/socket-web';
import type { UploadFn } from '../../platform/upload-http';
import { backoffDelay } from '../backoff';
import { Emitter } from '../emitter';
import type { EncounterRequest, HistoryPage, ImProvider, ProviderEvents, SearchPage, SearchQuery, SyncResult } from '../types';
import { ImError } from '../types';
import { uploadError } from './upload-error';

export interface LocalProviderOptions {
  /** ws:// or wss:// address of the server's /ws endpoint. */
  url: string;
  openSocket: OpenSocket;
  /** Files go to the server's upload endpoint over HTTP (with the session token). */
  upload: UploadFn;
  /** The server's http(s) origin, for uploads. */
  baseUrl: string;
  requestTimeoutMs?: number;
  /** Application-level ping: a socket that stops answering is replaced. */
  pingIntervalMs?: number;
  random?: () => number;
  /** Names this client instance to the server (see the auth frame). */
  deviceId?: string;
  watchNetwork?: WatchNetwork;
}

/**
 * The attach as our server takes it: an upload by its id only (the server fills in what it measured),
 * a card without what the server stamps (who issued it, when).
 */
export function wireAttach(msg: Pick<Message, 'type' | 'attach'>): Record<string, unknown> | undefined {
  if (!msg.attach) return undefined;
  if (isMediaKind(msg.type)) return { fileId: msg.attach.fileId };
  if (msg.type === 'custom') {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { doctor, issuedAt, ...draft } = msg.attach;
    return draft;
  }
  return msg.attach;
}

/** After a server restart (CLOSE_RESTART) clients reconnect within this, spread so they do not all arrive at once. */
const RESTART_JITTER_MS = 1_000;

/** Renew this long before expiry at most; short-lived tokens renew at 80 % of their life. */
const RENEW_AHEAD_MAX_MS = 10 * 60_000;

interface Pending {
  resolve(data: unknown): void;
  reject(err: ImError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class LocalProvider implements ImProvider {
  readonly seqKind = 'gapFree';
  private readonly events = new Emitter<ProviderEvents>();
  private readonly pending = new Map<string, Pending>();
  private socket?: SocketConnection;
  /** The socket's handshake is done (it may be waiting for connect()'s token). */
  private socketOpen = false;
  private authed = false;
  private stopped = true;
  private token = '';
  private nextId = 0;
  private attempt = 0;
  private reconnectTimer?: ReturnType<typeof setTimeout>;
  private pingTimer?: ReturnType<typeof setInterval>;
  private renewTimer?: ReturnType<typeof setTimeout>;
  private offline = false;
  private unwatchNetwork?: () => void;
  private firstConnect?: { resolve(me: Account): void; reject(err: ImError): void };

  constructor(private readonly opts: LocalProviderOptions) {}

  on<E extends keyof ProviderEvents>(event: E, handler: ProviderEvents[E]): () => void {
    return this.events.on(event, handler);
  }

  connect(token: string): Promise<Account> {
    this.token = token;
    this.stopped = false;
    this.attempt = 0;
    this.unwatchNetwork ??= this.opts.watchNetwork?.((online) => this.onNetwork(online));
    return new Promise<Account>((resolve, reject) => {
      this.firstConnect = { resolve, reject };
      if (!this.socket) {
        this.openSocket();
      } else {
        // The socket preconnect() opened, without a word to the app: sign in on it now if its handshake
        // is done, otherwise when it ends.
        this.events.emit('state', 'connecting');
        if (this.socketOpen) void this.authenticate(this.socket);
      }
    });
  }

  /**
   * Before connect(), so the token need not be known yet. Silent: the app is not connecting until it
   * calls connect(). A socket that closes before then is not replaced (the provider is still stopped),
   * and one that is never used the server closes after its authentication timeout.
   */
  preconnect(): void {
    if (this.stopped && !this.socket && !this.offline) this.openSocket();
  }

  disconnect(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.unwatchNetwork?.();
    this.unwatchNetwork = undefined;
    this.firstConnect?.reject(new ImError('disconnected', 'disconnected by the app'));
    this.firstConnect = undefined;
    this.dropSocket('disconnected by the app');
  }

  send(msg: OutgoingMessage): Promise<Ack> {
    const attach = wireAttach(msg);
    return this.request('send', { msg: { ...msg, ...(attach ? { attach } : {}) } });
  }

  async upload(kind: MediaKind, file: LocalFile, onProgress: (fraction: number) => void) {
    if (!this.token) throw new ImError('unauthenticated', 'not signed in');
    try {
      return await this.opts.upload({ baseUrl: this.opts.baseUrl, token: this.token, kind, file, onProgress });
    } catch (e) {
      throw uploadError(e);
    }
  }

  history(sessionId: string, beforeSeq: number | undefined, limit: number): Promise<HistoryPage> {
    return this.request('history', { sessionId, limit, ...(beforeSeq !== undefined ? { beforeSeq } : {}) });
  }

  sync(cursors: Record<string, number>): Promise<SyncResult> {
    return this.request('sync', { cursors });
  }

  sessions(ids: string[]): Promise<SessionsFound> {
    return this.request('sessions', { ids });
  }

  async markRead(sessionId: string, seq: number): Promise<void> {
    await this.request('markRead', { sessionId, seq });
  }

  async delivered(sessionId: string, seq: number): Promise<void> {
    await this.request('delivered', { sessionId, seq });
  }

  search(query: SearchQuery): Promise<SearchPage> {
    return this.request('search', query);
  }

  async presenceVisible(visible?: boolean): Promise<boolean> {
    return (await this.request('presence', visible === undefined ? {} : { visible })).visible;
  }

  async forward(msg: Message, toSessionId: string, idClient: string): Promise<Message> {
    const req = { sessionId: msg.sessionId, from: msg.from, idClient: msg.idClient, toSessionId, newIdClient: idClient };
    return (await this.request('forward', req)).msg;
  }

  async recall(sessionId: string, idClient: string): Promise<Message> {
    return (await this.request('recall', { sessionId, idClient })).notice;
  }

  encounter<T extends EncounterRequest>(type: T, req: RequestMap[T]['req']): Promise<RequestMap[T]['res']> {
    return this.request(type, req);
  }

  changeConsultation(sessionId: string, action: ConsultationAction) {
    return this.request('consultation', { sessionId, action });
  }

  typing(sessionId: string): void {
    this.request('typing', { sessionId }).catch(() => undefined);
  }

  resume(): void {
    if (this.stopped) return;
    if (this.authed) {
      this.request('ping', {}).catch((e: ImError) => {
        if (e.code === 'timeout') this.onSocketLost('server did not answer after resume');
      });
    } else if (!this.socket) {
      this.reconnectNow();
    }
  }

  private onNetwork(online: boolean): void {
    this.offline = !online;
    if (online) {
      this.reconnectNow();
      return;
    }
    clearTimeout(this.reconnectTimer);
    if (this.socket) this.onSocketLost('network offline');
    else if (!this.stopped) this.events.emit('state', 'disconnected', new ImError('offline', 'network offline'));
  }

  /** Not while the platform reports no network: the 'online' event reconnects then. */
  private reconnectNow(): void {
    if (this.stopped || this.socket || this.offline) return;
    clearTimeout(this.reconnectTimer);
    this.attempt = 0;
    this.openSocket();
  }

  private openSocket(): void {
    if (!this.stopped) this.events.emit('state', 'connecting');
    this.socketOpen = false;
    const socket = this.opts.openSocket(this.opts.url, {
      onOpen: () => {
        if (this.socket !== socket) return;
        this.socketOpen = true;
        if (!this.stopped) void this.authenticate(socket);
      },
      onMessage: (data) => {
        if (this.socket === socket) this.onFrame(data);
      },
      onClose: (code, reason) => {
        if (this.socket !== socket) return;
        if (code === CLOSE_KICKED) this.onKicked();
        else if (code === CLOSE_RESTART) this.onServerRestart();
        else this.onSocketLost(reason || 'connection closed');
      },
    });
    this.socket = socket;
  }

  private async authenticate(socket: SocketConnection): Promise<void> {
    if (this.socket !== socket) return;
    try {
      const res = await this.rawRequest('auth', {
        token: this.token,
        ...(this.opts.deviceId ? { deviceId: this.opts.deviceId } : {}),
      });
      this.authed = true;
      this.attempt = 0;
      this.startPing();
      this.scheduleRenew(res.tokenExpiresAt - res.serverTime);
      this.events.emit('state', 'connected');
      this.firstConnect?.resolve(res.me);
      this.firstConnect = undefined;
    } catch (e) {
      const err = e instanceof ImError ? e : new ImError('internal', String(e));
      if (err.code === 'authFailed' || err.code === 'tokenExpired') {
        // Retrying with the same token cannot succeed: stop and let the app ask for a new one.
        this.stopped = true;
        this.dropSocket(err.message);
        this.events.emit('state', 'authFailed', err);
        this.firstConnect?.reject(err);
        this.firstConnect = undefined;
      }
    }
  }

  /** Server and device clocks differ, so the delay is computed from the server's own times. */
  private scheduleRenew(remainingMs: number): void {
    clearTimeout(this.renewTimer);
    const delay = Math.max(0, remainingMs - Math.min(remainingMs * 0.2, RENEW_AHEAD_MAX_MS));
    this.renewTimer = setTimeout(() => {
      this.request('renew', {})
        .then(({ token, expiresAt }) => {
          this.token = token;
          this.events.emit('token', token, expiresAt);
          this.scheduleRenew(expiresAt - Date.now());
        })
        // Not connected now: the next authentication schedules a new attempt.
        .catch(() => undefined);
    }, delay);
  }

  private onKicked(): void {
    this.stopped = true;
    this.dropSocket('logged in on another device');
    this.events.emit('state', 'kicked', new ImError('duplicateLogin', 'logged in on another device'));
  }

  /**
   * The server answered what it had taken and is going away: reconnect at once (with a little jitter),
   * to another process behind the same address, as a plain reconnect rather than a lost connection.
   */
  private onServerRestart(): void {
    this.dropSocket('server restarting');
    if (this.stopped) return;
    this.events.emit('state', 'connecting');
    clearTimeout(this.reconnectTimer);
    this.attempt = 0;
    this.reconnectTimer = setTimeout(() => {
      if (!this.stopped && !this.socket && !this.offline) this.openSocket();
    }, Math.floor((this.opts.random ?? Math.random)() * RESTART_JITTER_MS));
  }

  private startPing(): void {
    clearInterval(this.pingTimer);
    const every = this.opts.pingIntervalMs ?? 25_000;
    this.pingTimer = setInterval(() => {
      this.request('ping', {}).catch((e: ImError) => {
        if (e.code === 'timeout') this.onSocketLost('server did not answer ping');
      });
    }, every);
  }

  private onSocketLost(reason: string): void {
    this.dropSocket(reason);
    if (this.stopped) return;
    this.events.emit('state', 'disconnected', new ImError(this.offline ? 'offline' : 'disconnected', reason));
    // Offline: no timer; the network coming back reconnects at once.
    if (this.offline) return;
    const delay = backoffDelay(this.attempt++, 500, 30_000, this.opts.random);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      if (!this.stopped) this.openSocket();
    }, delay);
  }

  /** Closes the socket (if any) and fails every request in flight: their outcome is unknown. */
  private dropSocket(reason: string): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.renewTimer);
    const socket = this.socket;
    this.socket = undefined;
    this.socketOpen = false;
    this.authed = false;
    try {
      socket?.close(1000, reason.slice(0, 100));
    } catch {
      // already closed
    }
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ImError('disconnected', reason));
      this.pending.delete(id);
    }
  }

  private request<T extends RequestType>(type: T, payload: RequestMap[T]['req']): Promise<RequestMap[T]['res']> {
    if (!this.authed) return Promise.reject(new ImError('disconnected', 'not connected'));
    return this.rawRequest(type, payload);
  }

  private rawRequest<T extends RequestType>(type: T, payload: RequestMap[T]['req']): Promise<RequestMap[T]['res']> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new ImError('disconnected', 'not connected'));
    const id = String(++this.nextId);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ImError('timeout', `${type} timed out`));
      }, this.opts.requestTimeoutMs ?? 10_000);
      this.pending.set(id, { resolve: resolve as (d: unknown) => void, reject, timer });
      try {
        socket.send(JSON.stringify({ v: PROTOCOL_VERSION, id, type, ...payload }));
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new ImError('disconnected', e instanceof Error ? e.message : 'send failed'));
      }
    });
  }

  private onFrame(data: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data) as ServerFrame;
    } catch {
      return;
    }
    switch (frame.type) {
      case 'reply':
      case 'error': {
        const p = frame.id !== undefined ? this.pending.get(frame.id) : undefined;
        if (!p) return;
        this.pending.delete(frame.id as string);
        clearTimeout(p.timer);
        if (frame.type === 'reply') p.resolve(frame.data);
        else p.reject(new ImError((frame as ErrorFrame).code, (frame as ErrorFrame).message));
        return;
      }
      case 'msg':
        this.events.emit('msgs', [frame.msg]);
        return;
      case 'read':
        this.events.emit('read', frame.sessionId, frame.account, frame.readSeq);
        return;
      case 'unread':
        this.events.emit('unread', frame.sessionId, frame.unread);
        return;
      case 'typing':
        this.events.emit('typing', frame.sessionId, frame.account);
        return;
      case 'delivered':
        this.events.emit('delivered', frame.sessionId, frame.account, frame.deliveredSeq);
        return;
      case 'presence':
        this.events.emit('presence', frame.sessionId, frame.presence);
        return;
      case 'rx':
        this.events.emit('rx', frame.prescription);
        return;
      case 'session':
        this.events.emit('session', frame.sessionId);
        return;
      case 'kicked':
        // The close with CLOSE_KICKED follows; acting on it here as well covers a lost close frame.
        this.onKicked();
        return;
    }
  }
}
