/**
 * The WebSocket gateway: one JSON frame in, one reply or error frame out, per connection in order.
 * A bad frame is answered with an error frame and the connection stays usable.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { isMediaKind } from '../types/media';
import type { Account } from '../types/message';
import { sessionIdOf } from '../types/message';
import type { ErrorFrame, PushFrame, ReplyFrame, RequestFrame, RequestMap, RequestType } from '../types/protocol';
import { CLOSE_KICKED, CLOSE_RESTART, CLOSE_REVOKED, MAX_FRAME_BYTES, mayRequest, PROTOCOL_VERSION } from '../types/protocol';
import type { PrescriptionRecord } from '../types/prescription';
import type { Auth, SessionClaims } from './auth';
import type { Audit } from './audit';
import { verifySession } from './bearer';
import type { ChatService } from './chat';
import type { AccountPush, Bus } from './bus';
import { ackOf, infoOf } from './chat';
import type { EncounterService } from './encounter/service';
import { ClientError } from './errors';
import type { Limits } from './limits';
import { clientAddress } from './limits';
import type { Metrics } from './metrics';
import { LocalPresence, type Presence } from './notify/presence';
import { doctorPresence, presencePushes, withPresence } from './presence';
import { parseClientFrame } from './protocol';
import { type PrescriptionService, recordOf } from './prescriptions/service';
import type { TransferService } from './transfer';
import type { ConversationRef, Storage, StoredMessage } from './storage/types';

const AUTH_TIMEOUT_MS = 10_000;
/**
 * Connections from one client address that have not signed in yet. Clients sign in as soon as the
 * socket opens, so even a hospital's Wi-Fi behind one address has few at a time; a script holding
 * sockets open without signing in took file descriptors until the process had none left for anyone.
 * Beyond it the address's oldest waiting socket is closed, not the newcomer refused: a script's idle
 * sockets make room for the people behind the same address instead of shutting them out.
 */
export const MAX_PENDING_PER_ADDRESS = 100;
/** No authentication in time, or a token that ran out on a live connection: the client signs in again. */
const CLOSE_SIGN_IN_AGAIN = 4001;
const HEARTBEAT_MS = 30_000;
/**
 * A heartbeat pings every connection and checks its session again: with thousands of connections that
 * is thousands of writes and queries, so each connection belongs to one of this many slices and one
 * slice is done per tick (each connection still once per HEARTBEAT_MS), not all in one turn.
 */
const HEARTBEAT_SLICES = 30;

export interface GatewayOptions {
  maxDevicesPerAccount: number;
  /** Per account: frames that write and sign-ins, and per client address: failed sign-ins. */
  limits: Pick<Limits, 'frames' | 'reads' | 'logins' | 'failedSignIns'>;
  /** Browser pages of these origins may connect besides the app's own (see originAllowed). */
  allowedOrigins: string[];
  trustProxy: boolean;
  /** Fan-out to the other server processes (REDIS_URL); absent when this process is the only one. */
  bus?: Bus;
  metrics?: Metrics;
  /** Identity, consent, intake, rating, quick replies (issue 17). */
  encounter: EncounterService;
  /** Prescriptions and their review, transfer (issue 17). */
  prescriptions: PrescriptionService;
  transfers: TransferService;
}

/**
 * The frame kinds the per-account rate limit does not charge, each for its own reason. Every other kind
 * costs the server work (a write, a push, a query, a signature) and is charged, so that a kind added
 * later is charged unless it is named here: renew and encounter were once left out.
 */
const UNCHARGED = new Set<RequestType>([
  // Charged in its handler: a sign-in on a new connection as a login, again on a live one as a frame.
  'auth',
  // Answered from the clock alone.
  'ping',
  // Charged by the read budget instead, by what they open (read()).
  'history',
  'sync',
]);

/**
 * The mini-program platforms' own page origins, in case a base library sends one with the socket
 * handshake; our pages are theirs or the app's own.
 */
const PLATFORM_ORIGINS = [/^https:\/\/servicewechat\.com$/, /^https:\/\/[a-z0-9-]+\.hybrid\.alipay-eco\.com$/, /^https:\/\/tmaservice\.developer\.toutiao\.com$/];

/**
 * Whether a WebSocket handshake may proceed. Browsers always send Origin, so a page of another site
 * cannot ride on a signed-in person's token; mini programs and native clients send none.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin) || PLATFORM_ORIGINS.some((p) => p.test(origin))) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

interface Connection {
  ws: WebSocket;
  /** The client's address, for throttling failed sign-ins. */
  address: string;
  me?: Account;
  /** The sign-in this connection authenticated with, so that revoking it closes the connection. */
  session?: SessionClaims;
  deviceId?: string;
  /** When it authenticated: the oldest connection is the one logged out by one login too many. */
  since: number;
  tokenExpiresAt: number;
  alive: boolean;
  /** Its heartbeat slice. */
  slice: Set<Connection>;
  /** Frames of one connection are handled one after another, so sends are stored in the order sent. */
  queue: Promise<void>;
}

type Handlers = { [T in RequestType]: (c: Connection, f: RequestFrame<T>) => Promise<RequestMap[T]['res']> };

export class Gateway {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private readonly byAccount = new Map<string, Set<Connection>>();
  /** Connections not signed in yet, per client address, oldest first. */
  private readonly pending = new Map<string, Set<Connection>>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly slices: Array<Set<Connection>> = Array.from({ length: HEARTBEAT_SLICES }, () => new Set());
  private ticks = 0;
  private accepted = 0;
  /** Set by drain(): no new connections or frames, only what is in flight finishes. */
  private draining = false;
  /** Who is connected on any process: this one's connections, unless usePresence gave Redis's view. */
  private live: Presence = new LocalPresence(this);
  /** Per doctor, the last presence change queued (see inPresenceOrder). */
  private readonly announcing = new Map<string, Promise<void>>();

  constructor(
    private readonly storage: Storage,
    private readonly auth: Auth,
    private readonly chat: ChatService,
    private readonly audit: Audit,
    private readonly log: Logger,
    private readonly opts: GatewayOptions,
  ) {
    // ws closes the socket on frames over maxPayload; leave headroom so that ordinary oversized frames
    // get an error frame from us instead of a disconnect.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 16 * MAX_FRAME_BYTES });
    this.heartbeat = setInterval(() => this.beat(this.slices[this.ticks++ % HEARTBEAT_SLICES]), HEARTBEAT_MS / HEARTBEAT_SLICES);
    this.heartbeat.unref();
    opts.bus?.subscribe((e) => {
      if (e.kind === 'msg') this.deliverLocal(e.msg, e.members);
      else if (e.kind === 'push') this.pushLocal(e.pushes);
      else this.closeRevoked(e.account, e.sid, e.at);
    });
  }

  /** Several processes (REDIS_URL): presence as every process sees it. */
  usePresence(live: Presence): void {
    this.live = live;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.draining) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    if (!originAllowed(req.headers.origin, req.headers.host, this.opts.allowedOrigins)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    const address = clientAddress(req, this.opts.trustProxy);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, address));
  }

  /** A new connection waits to sign in; past the address's limit its oldest waiting one goes. */
  private waiting(c: Connection): void {
    let set = this.pending.get(c.address);
    if (!set) this.pending.set(c.address, (set = new Set()));
    set.add(c);
    if (set.size <= MAX_PENDING_PER_ADDRESS) return;
    const [oldest] = set;
    this.notWaiting(oldest);
    // At once: a close handshake the peer never answers would hold the socket for ws's 30 s.
    oldest.ws.terminate();
  }

  private notWaiting(c: Connection): void {
    const set = this.pending.get(c.address);
    if (set?.delete(c) && set.size === 0) this.pending.delete(c.address);
  }

  /** Revoked sessions lose their connections here and, through the bus, on the other processes. */
  revoke(account: string, sid: string, at: number): void {
    this.closeRevoked(account, sid, at);
    this.opts.bus?.publish({ kind: 'revoke', account, sid, at });
  }

  private closeRevoked(account: string, sid: string, at: number): void {
    for (const c of this.byAccount.get(account) ?? []) {
      const s = c.session;
      if (s && (s.sid === sid || (sid === '*' && s.startedAt < at))) c.ws.close(CLOSE_REVOKED, 'session revoked');
    }
  }

  private accept(ws: WebSocket, address: string): void {
    const c: Connection = {
      ws,
      address,
      since: 0,
      tokenExpiresAt: 0,
      alive: true,
      slice: this.slices[this.accepted++ % HEARTBEAT_SLICES],
      queue: Promise.resolve(),
    };
    this.connections.add(c);
    c.slice.add(c);
    this.waiting(c);
    const authTimer = setTimeout(() => {
      if (!c.me) ws.close(CLOSE_SIGN_IN_AGAIN, 'authentication timeout');
    }, AUTH_TIMEOUT_MS);
    ws.on('pong', () => (c.alive = true));
    ws.on('message', (data, isBinary) => {
      // Draining: the close with CLOSE_RESTART follows; the client sends this again to another process.
      if (this.draining) return;
      const raw = isBinary ? null : data.toString();
      c.queue = c.queue.then(() => this.onFrame(c, raw));
    });
    ws.on('close', () => {
      clearTimeout(authTimer);
      this.connections.delete(c);
      c.slice.delete(c);
      if (!c.me) return this.notWaiting(c);
      const set = this.byAccount.get(c.me.account);
      if (set?.delete(c) && set.size === 0 && c.me.role === 'doctor') this.presenceChanged(c.me.account);
    });
    ws.on('error', (err) => this.log.warn({ err: err.message }, 'socket error'));
  }

  /**
   * The same device reconnecting replaces its old connection (a socket the phone lost without a close);
   * a login beyond the device limit logs the oldest connection out with a reason it can show.
   */
  private admit(c: Connection, account: string): void {
    let set = this.byAccount.get(account);
    if (!set) this.byAccount.set(account, (set = new Set()));
    for (const other of set) {
      if (c.deviceId !== undefined && other.deviceId === c.deviceId && other !== c) {
        // Usually a dead socket nobody hears this on; if a copy of the tab is alive, it stops instead of
        // reconnecting and replacing this one in turn.
        set.delete(other);
        this.kick(other);
      }
    }
    set.add(c);
    const byAge = [...set].sort((a, b) => a.since - b.since);
    while (byAge.length > this.opts.maxDevicesPerAccount) {
      const oldest = byAge.shift() as Connection;
      set.delete(oldest);
      this.kick(oldest);
    }
  }

  private kick(c: Connection): void {
    this.send(c, { v: PROTOCOL_VERSION, type: 'kicked', reason: 'duplicateLogin' });
    c.ws.close(CLOSE_KICKED, 'logged in on another device');
  }

  /**
   * Sockets that did not answer the previous ping are dead (a phone that lost its network). Live ones
   * have their session checked again: a revocation published while this process missed it (the bus
   * is at most once, or there is none) still closes them within a heartbeat.
   */
  private beat(slice: Set<Connection>): void {
    for (const c of slice) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      if (c.me && !this.listening(c)) continue;
      c.alive = false;
      c.ws.ping();
      const session = c.session;
      if (session) {
        this.auth.ensureNotRevoked(session).catch((e: unknown) => {
          if (e instanceof ClientError) c.ws.close(CLOSE_REVOKED, 'session revoked');
        });
      }
    }
  }

  /**
   * Whether `c` may still be sent what its account receives. A token that ran out (and so, at the
   * latest, the sign-in's absolute lifetime) ends the connection, not only its next request: a socket
   * kept open without renewing must not go on receiving the chat.
   */
  private listening(c: Connection): boolean {
    if (Date.now() < c.tokenExpiresAt) return true;
    c.ws.close(CLOSE_SIGN_IN_AGAIN, 'token expired');
    return false;
  }

  private send(c: Connection, frame: ReplyFrame | ErrorFrame | PushFrame): void {
    if (frame.type === 'error') this.opts.metrics?.errors.inc({ code: frame.code });
    if (c.ws.readyState === WebSocket.OPEN) c.ws.send(JSON.stringify(frame));
  }

  private async onFrame(c: Connection, raw: string | null): Promise<void> {
    if (raw === null) {
      this.send(c, { v: PROTOCOL_VERSION, type: 'error', code: 'badFrame', message: 'binary frames are not accepted' });
      return;
    }
    const parsed = parseClientFrame(raw);
    this.opts.metrics?.frames.inc({ type: parsed.ok ? parsed.frame.type : 'invalid' });
    if (!parsed.ok) {
      this.send(c, parsed.error);
      return;
    }
    const frame = parsed.frame;
    const endSend = frame.type === 'send' ? this.opts.metrics?.sendAck.startTimer() : undefined;
    try {
      if (frame.type !== 'auth') {
        if (!c.me) throw new ClientError('unauthenticated', 'send an auth frame first');
        if (Date.now() >= c.tokenExpiresAt) throw new ClientError('tokenExpired', 'token expired, sign in again');
        // The one refusal by role (types/protocol.ts REQUEST_ROLES): a pharmacist reviews and does nothing else.
        if (!mayRequest((c.me as Account).role, frame.type)) throw new ClientError('forbidden', `a ${(c.me as Account).role} cannot ${frame.type}`);
      }
      if (!UNCHARGED.has(frame.type)) await this.opts.limits.frames.spend((c.me as Account).account);
      const handler = this.handlers[frame.type] as (c: Connection, f: RequestFrame) => Promise<unknown>;
      const data = await handler(c, frame);
      this.send(c, { v: PROTOCOL_VERSION, type: 'reply', id: frame.id, data } as ReplyFrame);
      endSend?.();
    } catch (e) {
      const known = e instanceof ClientError;
      if (!known) this.log.error({ err: e instanceof Error ? e.message : String(e), type: frame.type }, 'request failed');
      this.send(c, {
        v: PROTOCOL_VERSION,
        type: 'error',
        id: frame.id,
        code: known ? e.code : 'internal',
        message: known ? e.message : 'internal error',
      });
    }
  }

  private readonly handlers: Handlers = {
    auth: async (c, f) => {
      const claims = await verifySession(this.auth, f.token, { address: c.address, limits: this.opts.limits });
      const me = await this.storage.getAccount(claims.account);
      if (!me) throw new ClientError('authFailed', 'account no longer exists');
      if (c.me && c.me.account !== me.account) throw new ClientError('forbidden', 'cannot switch accounts on one connection');
      // Every sign-in is audited: again on a live connection it counts as a write, on a new one as a login.
      const again = c.me !== undefined;
      await (again ? this.opts.limits.frames : this.opts.limits.logins).spend(me.account);
      // Closed while its token was checked (by the client, the auth timeout, or to make room): nothing to register.
      if (c.ws.readyState !== WebSocket.OPEN) throw new ClientError('authFailed', 'the connection closed while signing in');
      if (!again) this.notWaiting(c);
      c.me = me;
      c.session = claims;
      c.tokenExpiresAt = claims.expiresAt;
      c.deviceId = f.deviceId;
      c.since = Date.now();
      this.admit(c, me.account);
      if (!again && me.role === 'doctor' && this.byAccount.get(me.account)?.size === 1) this.presenceChanged(me.account);
      // A revocation that landed between the token check and the registration above found no
      // connection to close: look again now that one would be found.
      await this.auth.ensureNotRevoked(claims).catch((e: unknown) => {
        c.ws.close(CLOSE_REVOKED, 'session revoked');
        throw e;
      });
      this.log.info({ account: me.account, role: me.role }, 'authenticated');
      if (!again) await this.audit.record(me.account, 'login', me.account, { deviceId: f.deviceId ?? null });
      return { me, serverTime: Date.now(), tokenExpiresAt: claims.expiresAt };
    },
    renew: async (c) => {
      const me = c.me as Account;
      const renewed = await this.auth.renew(me, c.session as SessionClaims);
      c.tokenExpiresAt = renewed.expiresAt;
      return renewed;
    },
    recall: async (c, f) => {
      const me = c.me as Account;
      const { notice, duplicate } = await this.chat.recall(me, f.sessionId, f.idClient);
      if (!duplicate) await this.deliver(notice, c);
      return { notice: this.chat.view(notice, me.account) };
    },
    forward: async (c, f) => {
      const me = c.me as Account;
      const { stored, duplicate } = await this.chat.forward(me, f);
      if (!duplicate) await this.deliver(stored, c);
      return { msg: this.chat.view(stored, me.account) };
    },
    typing: async (c, f) => {
      const me = (c.me as Account).account;
      const conv = await this.chat.typing(c.me as Account, f.sessionId);
      await this.pushToMembers(c, conv, f.sessionId, (account, sessionId) =>
        account === me ? undefined : { v: PROTOCOL_VERSION, type: 'typing', sessionId, account: me },
      );
      return {};
    },
    send: async (c, f) => {
      const me = c.me as Account;
      const { stored, duplicate } = await this.chat.send(me, f.msg);
      if (!duplicate) await this.deliver(stored, c);
      const ack = ackOf(stored, me.account);
      const attach = isMediaKind(stored.type) ? { attach: this.chat.view(stored, me.account).attach } : {};
      // The sender learns what was stored when it is not what they typed (masked words).
      return { ...ack, ...attach, ...(stored.body !== f.msg.body ? { body: stored.body } : {}) };
    },
    consultation: async (c, f) => {
      const me = c.me as Account;
      const { consultation, notice } = await this.chat.changeConsultation(me, f.sessionId, f.action);
      await this.deliver(notice, c);
      return { consultation: infoOf(consultation, me.account), notice: this.chat.view(notice, me.account) };
    },
    history: async (c, f) => this.read(c, () => this.chat.history(c.me as Account, f.sessionId, f.beforeSeq, f.limit), (r) => r.msgs.length),
    sync: async (c, f) => {
      const me = c.me as Account;
      // A sync builds the whole sessions list even when no message is new: each session counts as one.
      const { delivered, ...synced } = await this.read(c, () => this.chat.sync(me, f.cursors), (r) => r.msgs.length + r.sessions.length);
      for (const d of delivered) await this.tellDelivered(c, d.conv, d.sessionId, d.deliveredSeq);
      return { ...synced, sessions: await withPresence(this.storage, this.live, me.account, synced.sessions) };
    },
    sessions: async (c, f) => {
      const me = (c.me as Account).account;
      const found = await this.read(c, () => this.chat.sessionsById(me, f.ids), (r) => r.sessions.length);
      return { ...found, sessions: await withPresence(this.storage, this.live, me, found.sessions) };
    },
    delivered: async (c, f) => {
      const { conv, deliveredSeq, raised } = await this.chat.markDelivered((c.me as Account).account, f.sessionId, f.seq);
      if (raised) await this.tellDelivered(c, conv, f.sessionId, deliveredSeq);
      return { deliveredSeq };
    },
    search: async (c, f) => {
      const me = c.me as Account;
      // Charged by the messages it opened, matching or not.
      const { hits, next, sessions, scanned, conversations } = await this.read(c, () => this.chat.search(me, f), (r) => r.scanned);
      // Ids and counts only: never the text searched for, nor what was found.
      this.log.info({ account: me.account, conversations, scanned, hits: hits.length, ...(sessions ? { sessions: sessions.length } : {}) }, 'search');
      return { hits, ...(next ? { next } : {}), ...(sessions ? { sessions } : {}) };
    },
    presence: async (c, f) => {
      const me = c.me as Account;
      if (me.role !== 'doctor') throw new ClientError('forbidden', '只有医生的在线状态会显示给患者，无需设置');
      const visible = f.visible;
      if (visible === undefined) return { visible: (await this.storage.presenceOf(me.account)).visible };
      return this.inPresenceOrder(me.account, async () => {
        await this.storage.setPresenceVisible(me.account, visible, Date.now());
        // Hiding tells the patients once that there is nothing to show: offline, with no time.
        const shown = (await doctorPresence(this.storage, this.live, me.account)) ?? { account: me.account, online: false };
        this.pushEverywhere(await presencePushes(this.storage, me.account, shown));
        return { visible };
      });
    },
    markRead: async (c, f) => {
      const me = (c.me as Account).account;
      const { conv, readSeq, raised } = await this.chat.markRead(me, f.sessionId, f.seq);
      if (!raised) return { readSeq };
      await this.pushToMembers(c, conv, f.sessionId, (account, sessionId) =>
        account === me
          ? { v: PROTOCOL_VERSION, type: 'unread', sessionId, unread: 0 }
          : { v: PROTOCOL_VERSION, type: 'read', sessionId, account: me, readSeq },
      );
      return { readSeq };
    },
    ping: async () => ({ serverTime: Date.now() }),
    prescribe: async (c, f) => {
      const me = c.me as Account;
      const { stored, prescription, duplicate } = await this.opts.prescriptions.prescribe(me, f);
      const record = recordOf(prescription);
      if (!duplicate) {
        await this.deliver(stored, c);
        await this.pushToPharmacists(record);
      }
      return { msg: this.chat.view(stored, me.account), prescription: record };
    },
    review: async (c, f) => {
      const { prescription, notice } = await this.opts.prescriptions.review(c.me as Account, f.prescriptionId, f.decision, f.reason);
      const record = recordOf(prescription);
      await this.deliver(notice, c);
      await this.pushToPharmacists(record, c);
      return { prescription: record };
    },
    prescriptions: async (_c, f) => ({ items: await this.opts.prescriptions.queue(f.state ?? 'pending', f.afterIssuedAt ?? 0, f.limit) }),
    renewRx: async (c, f) => {
      const me = c.me as Account;
      const { notice, duplicate } = await this.opts.prescriptions.renew(me, f.prescriptionId);
      if (!duplicate) await this.deliver(notice, c);
      return { notice: this.chat.view(notice, me.account) };
    },
    transfer: async (c, f) => {
      const me = c.me as Account;
      const { consultation, notice } = await this.opts.transfers.transfer(me, f.sessionId, f.to);
      await this.deliver(notice, c);
      return { consultation: infoOf(consultation, me.account), notice: this.chat.view(notice, me.account) };
    },
    doctors: async (c, f) => ({ doctors: await this.opts.transfers.doctors(c.me as Account, f.filter, f.limit) }),
    encounter: async (c, f) => this.opts.encounter.encounter(c.me as Account, f.sessionId),
    identity: async (c, f) => this.opts.encounter.confirmIdentity(c.me as Account, f.sessionId, f.candidate),
    consent: async (c, f) => {
      const me = c.me as Account;
      const { consultation, notice } = await this.opts.encounter.consent(me, f.sessionId, f.version);
      await this.deliver(notice, c);
      return { consultation, notice: this.chat.view(notice, me.account) };
    },
    intake: async (c, f) => {
      const me = c.me as Account;
      const { consultation, stored } = await this.opts.encounter.intake(me, f.sessionId, f.form);
      await this.deliver(stored, c);
      return { consultation, msg: this.chat.view(stored, me.account) };
    },
    rate: async (c, f) => ({ rating: await this.opts.encounter.rate(c.me as Account, f.sessionId, f.rating) }),
    quickReplies: async (c, f) => {
      // The frame's own fields are not the operation's.
      const { v: _v, id: _id, type: _type, ...op } = f;
      return { replies: await this.opts.encounter.quickReplies(c.me as Account, op) };
    },
  };

  /**
   * A read of stored messages: refused while the account's budget is spent, then charged its `cost`, and
   * at least one: a read that found nothing, or was refused, still ran its queries.
   */
  private async read<T>(c: Connection, open: () => Promise<T>, cost: (result: T) => number): Promise<T> {
    const account = (c.me as Account).account;
    await this.opts.limits.reads.ensure(account);
    let spent = 1;
    try {
      const result = await open();
      spent = Math.max(1, cost(result));
      return result;
    } finally {
      await this.opts.limits.reads.charge(account, spent);
    }
  }

  /** Pharmacists learn of new and reviewed prescriptions by push; they are in no conversation. */
  private async pushToPharmacists(prescription: PrescriptionRecord, origin?: Connection): Promise<void> {
    const frame: PushFrame = { v: PROTOCOL_VERSION, type: 'rx', prescription };
    const pushes = (await this.storage.accountsWithRole('pharmacist')).map((account) => ({ account, frame }));
    this.pushLocal(pushes, origin);
    this.opts.bus?.publish({ kind: 'push', pushes });
  }

  /** The other members learn that `origin`'s account received the session up to `deliveredSeq` (已送达). */
  private tellDelivered(origin: Connection, conv: ConversationRef, sessionId: string, deliveredSeq: number): Promise<void> {
    const me = (origin.me as Account).account;
    return this.pushToMembers(origin, conv, sessionId, (account, theirs) =>
      account === me ? undefined : { v: PROTOCOL_VERSION, type: 'delivered', sessionId: theirs, account: me, deliveredSeq },
    );
  }

  /**
   * Sends `frameFor`'s frame (if any) to every connection of every member but `origin`, naming the
   * session as that member sees it: a p2p session carries the other person's account.
   */
  private async pushToMembers(
    origin: Connection,
    conv: ConversationRef,
    sessionId: string,
    frameFor: (account: string, theirSessionId: string) => PushFrame | undefined,
  ): Promise<void> {
    const me = (origin.me as Account).account;
    const pushes: AccountPush[] = [];
    for (const account of await this.storage.conversationMembers(conv.id)) {
      const frame = frameFor(account, account === me || conv.scene === 'team' ? sessionId : sessionIdOf('p2p', me));
      if (frame) pushes.push({ account, frame });
    }
    this.pushLocal(pushes, origin);
    this.opts.bus?.publish({ kind: 'push', pushes });
  }

  /**
   * Runs a change of a doctor's presence after the ones before it (connections opening and closing,
   * the visibility setting), so that patients are told of them in the order they happened.
   */
  private inPresenceOrder<T>(doctor: string, step: () => Promise<T>): Promise<T> {
    const run = (this.announcing.get(doctor) ?? Promise.resolve()).then(step);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.announcing.set(doctor, settled);
    void settled.then(() => {
      if (this.announcing.get(doctor) === settled) this.announcing.delete(doctor);
    });
    return run;
  }

  /**
   * A doctor's first connection here opened or their last one closed: publish it, and tell their
   * patients (on every process) whether the doctor is online anywhere, or since when not.
   */
  private presenceChanged(doctor: string): void {
    this.inPresenceOrder(doctor, async () => {
      await this.live.changed(doctor);
      if (!(await this.live.isOnline(doctor))) await this.storage.setLastSeen(doctor, Date.now());
      const shown = await doctorPresence(this.storage, this.live, doctor);
      if (shown) this.pushEverywhere(await presencePushes(this.storage, doctor, shown));
    }).catch((e: unknown) => this.log.warn({ err: e instanceof Error ? e.message : String(e), account: doctor }, 'presence change not announced'));
  }

  /** A session changed where no message says so (a consultation opened): its members' devices fetch its summary. */
  sessionChanged(sessionId: string, accounts: readonly string[]): void {
    const frame: PushFrame = { v: PROTOCOL_VERSION, type: 'session', sessionId };
    this.pushEverywhere(accounts.map((account) => ({ account, frame })));
  }

  private pushEverywhere(pushes: AccountPush[]): void {
    this.pushLocal(pushes);
    this.opts.bus?.publish({ kind: 'push', pushes });
  }

  private pushLocal(pushes: AccountPush[], origin?: Connection): void {
    for (const { account, frame } of pushes) {
      for (const other of this.byAccount.get(account) ?? []) if (other !== origin && this.listening(other)) this.send(other, frame);
    }
  }

  /** Pushes a new message to every connection of every member, here and (through the bus) elsewhere. */
  private async deliver(m: StoredMessage, origin: Connection): Promise<void> {
    const end = this.opts.metrics?.fanOut.startTimer({ path: 'local' });
    const members = await this.storage.conversationMembers(m.convId);
    this.deliverLocal(m, members, origin);
    this.opts.bus?.publish({ kind: 'msg', msg: m, members });
    end?.();
  }

  /**
   * To this process's connections of `members` except the one that sent it. The frame is encoded once
   * per point of view (sender's devices, everyone else), not once per recipient.
   */
  private deliverLocal(m: StoredMessage, members: string[], origin?: Connection): void {
    const encoded = new Map<string, string>();
    const frameFor = (viewer: string): string => {
      const key = viewer === m.from ? 'sender' : m.scene === 'team' ? 'others' : viewer;
      let text = encoded.get(key);
      if (text === undefined) {
        text = JSON.stringify({ v: PROTOCOL_VERSION, type: 'msg', msg: this.chat.view(m, viewer) } satisfies PushFrame);
        encoded.set(key, text);
      }
      return text;
    };
    for (const account of members) {
      // Encoded only for someone to send it to: usually the sender's only connection is `origin`.
      for (const c of this.byAccount.get(account) ?? []) if (c !== origin && c.ws.readyState === WebSocket.OPEN && this.listening(c)) c.ws.send(frameFor(account));
    }
  }

  /** Whether `account` has an authenticated connection to this process (notification presence). */
  isConnected(account: string): boolean {
    return (this.byAccount.get(account)?.size ?? 0) > 0;
  }

  /** Accounts with an authenticated connection to this process. */
  connectedAccounts(): string[] {
    return [...this.byAccount].filter(([, set]) => set.size > 0).map(([account]) => account);
  }

  /** Open connections, by whether they authenticated (for the metrics). */
  stats(): { authenticated: number; pending: number } {
    let authenticated = 0;
    for (const c of this.connections) if (c.me) authenticated++;
    return { authenticated, pending: this.connections.size - authenticated };
  }

  /**
   * Graceful restart: takes no new connections or frames, lets every connection's frames in flight
   * finish (their replies, acks included, go out), then closes it with CLOSE_RESTART so the client
   * reconnects at once, to another process. Connections still busy after `timeoutMs` are cut.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    const closeAfterQueue = async (c: Connection) => {
      await c.queue;
      c.ws.close(CLOSE_RESTART, 'server restarting');
    };
    await Promise.race([Promise.all([...this.connections].map(closeAfterQueue)), deadline]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
