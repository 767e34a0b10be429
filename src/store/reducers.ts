/**
 * Pure state transitions of the chat store. They mutate an immer draft (or any plain object) and
 * touch neither Taro nor the network, so they are unit-tested directly.
 */
import type { Ack, Account, Message, SessionSummary } from '../../types/message';
import { consultationChange, parseSessionId, recallTarget, recalledView } from '../../types/message';
import { current, isDraft } from 'immer';
import { lowerBound } from './order';

/** Where the client's connection stands; the controller changes it, the banner shows it. */
export type ConnectionPhase =
  | 'idle'
  | 'connecting'
  | 'syncing'
  | 'synced'
  | 'disconnected'
  | 'authFailed'
  | 'kicked';

export interface SessionMessages {
  /** Keyed by idClient: receiving the same message twice can only overwrite it. */
  byId: Map<string, Message>;
  /** idClients in display order (see compareMessages). */
  order: string[];
  /** Highest server seq held. */
  maxSeq: number;
  /**
   * Highest seq up to which nothing is missing (from the oldest held on): the cursor for sync. Pushes
   * can arrive past a gap (a socket dropped between two of them); syncing from maxSeq would skip it.
   */
  syncedSeq: number;
  /** Lowest server seq held, the cursor for loading older history. */
  minSeq: number;
  /** False once the server said there is nothing older. */
  hasMore: boolean;
}

export interface ChatState {
  me?: Account;
  connection: ConnectionPhase;
  connectionError?: string;
  /**
   * Maps, not records: immer copies a changed Map far faster than it spreads a record with a
   * thousand keys, and every message touches these.
   */
  sessions: Map<string, SessionSummary>;
  messages: Map<string, SessionMessages>;
  currentSessionId?: string;
  /** Who is typing in which session right now (cleared by the controller after a few seconds). */
  typing: Record<string, string>;
  /** Upload progress (0..1) of own media messages still uploading, by idClient. */
  uploads: Record<string, number>;
  /**
   * Whether seqs count each conversation without holes (our server). NIM's stand-in seq is the server
   * time, where a jump is normal: nothing is ever "missing" and the SDK does its own sync.
   */
  seqGapFree: boolean;
}

export const initialChatState = (): ChatState => ({
  connection: 'idle',
  sessions: new Map(),
  messages: new Map(),
  typing: {},
  uploads: {},
  seqGapFree: true,
});

function sessionMessages(state: ChatState, sessionId: string): SessionMessages {
  let s = state.messages.get(sessionId);
  if (!s) {
    s = { byId: new Map(), order: [], maxSeq: 0, syncedSeq: 0, minSeq: 0, hasMore: true };
    state.messages.set(sessionId, s);
  }
  return s;
}

/**
 * The session's `byId` and `order` as plain values for the rest of this update. On drafts, immer traps
 * every element a splice shifts and drafts every message a lookup reads, which dominated ingest; a
 * copy made once per session and update is cheaper. Messages in it are frozen: replace, never mutate.
 */
function plain(s: SessionMessages): SessionMessages {
  if (isDraft(s.byId)) s.byId = new Map(current(s.byId));
  if (isDraft(s.order)) s.order = current(s.order).slice();
  return s;
}

/** A message `order` lists, or an upsert just put in: always present. */
const messageOf = (s: SessionMessages, idClient: string): Message => s.byId.get(idClient) as Message;

/** The newest message held, if any. */
const newestOf = (s: SessionMessages | undefined): Message | undefined =>
  s?.order.length ? messageOf(s, s.order[s.order.length - 1]) : undefined;

function removeFromOrder(s: SessionMessages, existing: Message): void {
  const i = lowerBound(s.order, s.byId, existing);
  if (s.order[i] === existing.idClient) s.order.splice(i, 1);
  else s.order.splice(s.order.indexOf(existing.idClient), 1);
}

/**
 * Insert or replace one message, keeping `order` sorted. A stored copy (with seq) is never replaced by a
 * pending or failed one: a late local echo must not undo an ack.
 */
function upsert(state: ChatState, msg: Message): boolean {
  const s = plain(sessionMessages(state, msg.sessionId));
  const existing = s.byId.get(msg.idClient);
  if (existing) {
    if (existing.seq !== undefined && msg.seq === undefined) return false;
    const samePlace = existing.seq === msg.seq && existing.time === msg.time;
    if (samePlace) {
      s.byId.set(msg.idClient, { ...msg, status: mergeStatus(existing, msg) });
      return false;
    }
    removeFromOrder(s, existing);
  }
  s.byId.set(msg.idClient, existing ? { ...msg, status: mergeStatus(existing, msg) } : msg);
  const at = lowerBound(s.order, s.byId, msg);
  s.order.splice(at, 0, msg.idClient);
  if (msg.seq !== undefined) {
    s.maxSeq = Math.max(s.maxSeq, msg.seq);
    s.minSeq = s.minSeq === 0 ? msg.seq : Math.min(s.minSeq, msg.seq);
    if (state.seqGapFree) advanceSynced(s, msg.seq, at);
    else s.syncedSeq = s.maxSeq;
  }
  return !existing;
}

/**
 * Stored messages sit in `order` by seq (server time never decreases within a conversation), so the
 * run of consecutive seqs continues right after the inserted message.
 */
function advanceSynced(s: SessionMessages, seq: number, at: number): void {
  if (s.syncedSeq === 0) s.syncedSeq = seq - 1;
  if (seq !== s.syncedSeq + 1) return;
  s.syncedSeq = seq;
  for (let i = at + 1; i < s.order.length; i++) {
    const next = messageOf(s, s.order[i]).seq;
    if (next !== s.syncedSeq + 1) break;
    s.syncedSeq = next;
  }
}

/** A status only moves forward: a re-delivered copy must not turn "read" back into "unread". */
const STATUS_RANK: Record<Message['status'], number> = {
  sendFailed: 0,
  sending: 1,
  sent: 2,
  unread: 2,
  read: 3,
  receipt: 3,
};
function mergeStatus(existing: Message, incoming: Message): Message['status'] {
  if (incoming.status === 'sending' || incoming.status === 'sendFailed') return incoming.status;
  return STATUS_RANK[existing.status] > STATUS_RANK[incoming.status] ? existing.status : incoming.status;
}

function touchSession(state: ChatState, msg: Message): SessionSummary {
  let session = state.sessions.get(msg.sessionId);
  if (!session) {
    const parsed = parseSessionId(msg.sessionId);
    session = {
      id: msg.sessionId,
      scene: parsed?.scene ?? msg.scene,
      to: parsed?.to ?? msg.to,
      name: msg.fromNick ?? msg.to,
      unread: 0,
      lastSeq: 0,
      readSeq: 0,
      peerReadSeq: 0,
      memberReads: {},
    };
    state.sessions.set(msg.sessionId, session);
  }
  session.lastMsg = newestOf(state.messages.get(msg.sessionId));
  if (msg.seq !== undefined) session.lastSeq = Math.max(session.lastSeq, msg.seq);
  return session;
}

export function setMe(state: ChatState, me: Account): void {
  if (state.me && state.me.account !== me.account) {
    state.sessions = new Map();
    state.messages = new Map();
    state.currentSessionId = undefined;
  }
  state.me = me;
}

export function setSeqGapFree(state: ChatState, gapFree: boolean): void {
  state.seqGapFree = gapFree;
}

export function setConnection(state: ChatState, connection: ConnectionPhase, error?: string): void {
  state.connection = connection;
  state.connectionError = error;
}

/** Our own message enters the store the moment it is sent. */
export function addPending(state: ChatState, msg: Message): void {
  upsert(state, { ...msg, status: 'sending', seq: undefined, error: undefined });
  touchSession(state, messageOf(sessionMessages(state, msg.sessionId), msg.idClient));
}

/** Shown under one's own message when the server stored other text than was typed. */
export const MASKED_NOTICE = '消息中的敏感词已被屏蔽';

export function ackMessage(state: ChatState, ack: Ack): void {
  const s = state.messages.get(ack.sessionId);
  const pending = s?.byId.get(ack.idClient);
  if (!s || !pending) return;
  const masked = ack.body !== undefined ? { body: ack.body, notice: MASKED_NOTICE } : {};
  const isNew = pending.seq === undefined;
  upsert(state, { ...pending, ...masked, idServer: ack.idServer, seq: ack.seq, time: ack.time, status: 'sent', error: undefined });
  const session = touchSession(state, messageOf(s, ack.idClient));
  if (isNew) countPatientMessage(session, pending);
}

/** The patient's quota counts their own messages (not system lines). */
function countPatientMessage(session: SessionSummary, msg: Message): void {
  const c = session.consultation;
  if (c && msg.from === c.patient && msg.type !== 'notification' && msg.type !== 'tip') c.patientMessages += 1;
}

export function failMessage(state: ChatState, sessionId: string, idClient: string, error: string): void {
  const s = state.messages.get(sessionId);
  const msg = s && plain(s).byId.get(idClient);
  if (!s || !msg || msg.seq !== undefined) return;
  s.byId.set(idClient, { ...msg, status: 'sendFailed', error });
}

/**
 * Messages from the server (live push, sync or history). Our own messages arrive as 'sent'; others'
 * count as unread unless their session is open or already read past them.
 */
export function receiveMessages(state: ChatState, msgs: readonly Message[]): void {
  const myAccount = state.me?.account;
  for (const incoming of msgs) {
    const own = incoming.from === myAccount;
    const session = state.sessions.get(incoming.sessionId);
    const alreadyRead = session !== undefined && incoming.seq !== undefined && incoming.seq <= session.readSeq;
    const open = state.currentSessionId === incoming.sessionId;
    const status = own ? 'sent' : open || alreadyRead ? 'read' : 'unread';
    const recall = recallTarget(incoming);
    const isNew = upsert(state, { ...incoming, status: recall ? 'read' : status });
    if (recall) applyRecall(state, incoming.sessionId, recall.idClient, myAccount);
    const updated = touchSession(state, messageOf(sessionMessages(state, incoming.sessionId), incoming.idClient));
    const change = consultationChange(incoming);
    if (change && updated.consultation) updated.consultation.status = change.status;
    if (isNew) countPatientMessage(updated, incoming);
    if (isNew && status === 'unread' && !recall) updated.unread += 1;
    if (isNew && !own && state.typing[incoming.sessionId] === incoming.from) delete state.typing[incoming.sessionId];
    if (!own && open && incoming.seq !== undefined) updated.readSeq = Math.max(updated.readSeq, incoming.seq);
  }
}

/** The recalled message keeps its place and becomes a tip; a recall of something not held is a no-op. */
function applyRecall(state: ChatState, sessionId: string, idClient: string, myAccount: string | undefined): void {
  const s = state.messages.get(sessionId);
  const target = s?.byId.get(idClient);
  if (!s || !target || target.type === 'tip') return;
  s.byId.set(idClient, recalledView(target, myAccount ?? ''));
}

/** An older page from the server; it may overlap what is held, which upsert absorbs. */
export function mergeHistory(state: ChatState, sessionId: string, msgs: readonly Message[], hasMore: boolean): void {
  receiveMessages(state, msgs);
  sessionMessages(state, sessionId).hasMore = hasMore;
}

/** The server's view of the sessions list wins for counters; local pending state is kept. */
export function setSessions(state: ChatState, sessions: readonly SessionSummary[]): void {
  for (const incoming of sessions) {
    const local = state.messages.get(incoming.id);
    const newestLocal = newestOf(local);
    const open = state.currentSessionId === incoming.id;
    state.sessions.set(incoming.id, {
      ...incoming,
      unread: open ? 0 : incoming.unread,
      lastMsg: newestLocal && newestLocal.seq === undefined ? newestLocal : (incoming.lastMsg ?? newestLocal),
    });
  }
}

/** The session on screen: its unread count goes to zero and its messages, held and arriving, count as read. */
export function openSessionAsRead(state: ChatState, sessionId: string): void {
  state.currentSessionId = sessionId;
  const session = state.sessions.get(sessionId);
  if (session) {
    session.unread = 0;
    session.readSeq = Math.max(session.readSeq, session.lastSeq);
  }
  const s = state.messages.get(sessionId);
  if (!s) return;
  plain(s);
  for (const id of s.order) {
    const m = messageOf(s, id);
    if (m.status === 'unread') s.byId.set(id, { ...m, status: 'read' });
  }
}

export function closeSession(state: ChatState): void {
  state.currentSessionId = undefined;
}

/**
 * Another member read up to `readSeq`. Own messages that every other member has read show as read
 * ("receipt" in NIM's terms); in teams the per-member cursors also give "n人已读".
 */
export function peerRead(state: ChatState, sessionId: string, account: string, readSeq: number): void {
  const session = state.sessions.get(sessionId);
  if (!session) return;
  session.memberReads[account] = Math.max(session.memberReads[account] ?? 0, readSeq);
  const cursors = Object.values(session.memberReads);
  session.peerReadSeq = Math.max(session.peerReadSeq, Math.min(...cursors));
  const s = state.messages.get(sessionId);
  if (!s) return;
  plain(s);
  for (const id of s.order) {
    const m = messageOf(s, id);
    if (m.from === state.me?.account && m.seq !== undefined && m.seq <= session.peerReadSeq && m.status === 'sent') {
      s.byId.set(id, { ...m, status: 'receipt' });
    }
  }
}

export function setTyping(state: ChatState, sessionId: string, account: string | undefined): void {
  if (account === undefined) delete state.typing[sessionId];
  else state.typing[sessionId] = account;
}

/** `undefined` once the upload is over (done or failed). */
export function setUploadProgress(state: ChatState, idClient: string, fraction: number | undefined): void {
  if (fraction === undefined) delete state.uploads[idClient];
  else state.uploads[idClient] = Math.max(0, Math.min(1, fraction));
}

export function setUnread(state: ChatState, sessionId: string, unread: number): void {
  const session = state.sessions.get(sessionId);
  if (session && state.currentSessionId !== sessionId) session.unread = unread;
}

/** Cursors for sync: per session, the seq up to which nothing is missing. */
export function syncCursors(state: ChatState): Record<string, number> {
  const cursors: Record<string, number> = {};
  for (const [id, s] of state.messages.entries()) if (s.syncedSeq > 0) cursors[id] = s.syncedSeq;
  return cursors;
}

/** Sessions holding a message past a gap: a sync fills it. */
export function hasGaps(state: ChatState): boolean {
  return [...state.messages.values()].some((s) => s.maxSeq > s.syncedSeq);
}

export function orderedMessages(state: ChatState, sessionId: string): Message[] {
  const s = state.messages.get(sessionId);
  return s ? s.order.map((id) => messageOf(s, id)) : [];
}
