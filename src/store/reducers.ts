/**
 * Pure state transitions of the chat store. Each runs inside one update (`Tx`): it reads the state
 * the update started from, writes copies of what it changes, and `commit` hands zustand the changed
 * top-level fields. Nothing here touches Taro or the network, so they are unit-tested directly.
 *
 * Cost model (see docs-draft/perf.md): sessions and each session's messages by idClient are persistent
 * hash tries (pmap.ts), a session's display order is a persistent B+ tree (otree.ts). A live message,
 * an ack or a receipt copies one path in each of its own session's structures, O(log n) in that
 * session's length, and one path in the tries of sessions; every other session's objects stay the
 * same objects (`===`), so React re-renders only what shows them.
 */
import type { Ack, Account, ConsultationInfo, Message, PresenceInfo, SessionSummary } from '../../types/message';
import { consultationChange, parseSessionId, recallTarget, recalledView } from '../../types/message';
import { MessageOrder } from './otree';
import { compareMessages } from './order';
import type { Edit } from './pmap';
import { PMap } from './pmap';

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
  readonly byId: PMap<Message>;
  /** The messages in display order (see compareMessages). */
  readonly order: MessageOrder;
  /** Highest server seq held. */
  readonly maxSeq: number;
  /**
   * Highest seq up to which nothing is missing (from the oldest held on): the cursor for sync. Pushes
   * can arrive past a gap (a socket dropped between two of them); syncing from maxSeq would skip it.
   */
  readonly syncedSeq: number;
  /** Lowest server seq held, the cursor for loading older history. */
  readonly minSeq: number;
  /** False once the server said there is nothing older. */
  readonly hasMore: boolean;
  /** Lowest seq of a message held as 'unread' (-Infinity: one without seq; Infinity: none). */
  readonly unreadFrom: number;
  /** Lowest seq of an own message held as 'sent' that may still turn into a receipt (Infinity: none). */
  readonly sentFrom: number;
}

type MutableSession = { -readonly [K in keyof SessionMessages]: SessionMessages[K] };

export interface ChatState {
  me?: Account;
  connection: ConnectionPhase;
  connectionError?: string;
  /** Persistent maps: a change to one session copies a path of the trie, not the map. */
  sessions: PMap<SessionSummary>;
  messages: PMap<SessionMessages>;
  currentSessionId?: string;
  /** Who is typing in which session right now (cleared by the controller after a few seconds). */
  typing: Record<string, string>;
  /** Upload progress (0..1) of own media messages still uploading, by idClient. */
  uploads: Record<string, number>;
  /**
   * Delivery cursors of the other members, by session and account (from `delivered` pushes): the
   * session's peerDeliveredSeq is their lowest, as the server computes it for the summary.
   */
  delivered: Record<string, Record<string, number>>;
  /** Unsent text of the composer, by session (the controller persists it). */
  drafts: Record<string, string>;
  /**
   * Whether seqs count each conversation without holes (our server). NIM's stand-in seq is the server
   * time, where a jump is normal: nothing is ever "missing" and the SDK does its own sync.
   */
  seqGapFree: boolean;
  /**
   * Sessions removed in this run because the person may no longer open them (removeSessions), each
   * with the count of removals it went at: the page still showing one says so instead of looking
   * never loaded, and a reply to a request asked before it went (`asked`, see `drops`) cannot bring
   * it back. Whatever the server hands over afterwards readmits it.
   */
  dropped: Record<string, number>;
  /** How many removals so far: a request notes it when it goes out (`asked`) and hands it back with the reply. */
  drops: number;
}

export const initialChatState = (): ChatState => ({
  connection: 'idle',
  sessions: PMap.empty(),
  messages: PMap.empty(),
  typing: {},
  uploads: {},
  delivered: {},
  drafts: {},
  seqGapFree: true,
  dropped: {},
  drops: 0,
});

/**
 * One update. Reads go to the copies this update made, else to the state it started from; each
 * session touched is copied once (a shallow copy: its tries and tree are shared until changed, and
 * then changed by path copying owned by `edit`).
 */
export class Tx {
  readonly edit: Edit = {};
  readonly changed: Partial<ChatState> = {};
  private readonly msgs = new Map<string, MutableSession>();
  private readonly sums = new Map<string, SessionSummary>();

  constructor(private readonly base: ChatState) {}

  get<K extends keyof ChatState>(key: K): ChatState[K] {
    return (key in this.changed ? this.changed[key] : this.base[key]) as ChatState[K];
  }

  put<K extends keyof ChatState>(key: K, value: ChatState[K]): void {
    this.changed[key] = value;
  }

  /** The session's messages as held (no copy), if any. */
  peek(sessionId: string): SessionMessages | undefined {
    return this.msgs.get(sessionId) ?? this.get('messages').get(sessionId);
  }

  /** This update's own copy of the session's messages, made on first use. */
  session(sessionId: string): MutableSession {
    let s = this.msgs.get(sessionId);
    if (!s) {
      const held = this.get('messages').get(sessionId);
      s = held
        ? { ...held }
        : {
            byId: PMap.empty(),
            order: MessageOrder.EMPTY,
            maxSeq: 0,
            syncedSeq: 0,
            minSeq: 0,
            hasMore: true,
            unreadFrom: Infinity,
            sentFrom: Infinity,
          };
      this.msgs.set(sessionId, s);
    }
    return s;
  }

  summary(sessionId: string): SessionSummary | undefined {
    return this.sums.get(sessionId) ?? this.get('sessions').get(sessionId);
  }

  /** This update's own copy of the summary (memberReads and consultation copied too), if it exists. */
  editSummary(sessionId: string): SessionSummary | undefined {
    let own = this.sums.get(sessionId);
    if (own) return own;
    const held = this.get('sessions').get(sessionId);
    if (!held) return undefined;
    own = { ...held, memberReads: { ...held.memberReads }, ...(held.consultation ? { consultation: { ...held.consultation } } : {}) };
    this.sums.set(sessionId, own);
    return own;
  }

  putSummary(summary: SessionSummary): void {
    this.sums.set(summary.id, summary);
  }

  /** Drops what is held of a session: its summary and its messages (this update's copies too). */
  dropSession(sessionId: string): void {
    this.msgs.delete(sessionId);
    this.sums.delete(sessionId);
    this.put('sessions', this.get('sessions').delete(sessionId, this.edit));
    this.put('messages', this.get('messages').delete(sessionId, this.edit));
  }

  resetSessions(): void {
    this.msgs.clear();
    this.sums.clear();
    this.put('sessions', PMap.empty());
    this.put('messages', PMap.empty());
    this.put('delivered', {});
    this.put('drafts', {});
    this.put('dropped', {});
  }

  /** The top-level fields this update changed, for zustand's `set`. */
  commit(): Partial<ChatState> {
    if (this.msgs.size) {
      let messages = this.get('messages');
      for (const [id, s] of this.msgs) messages = messages.set(id, s, this.edit);
      this.put('messages', messages);
    }
    if (this.sums.size) {
      let sessions = this.get('sessions');
      for (const [id, s] of this.sums) sessions = sessions.set(id, s, this.edit);
      this.put('sessions', sessions);
    }
    return this.changed;
  }
}

/** Where `msg` (held, same place) sits in the order: O(log n). */
function indexOf(s: SessionMessages, msg: Message): number {
  const at = s.order.firstWhere((m) => compareMessages(m, msg) >= 0);
  if (s.order.at(at)?.idClient === msg.idClient) return at;
  return s.order.map((m) => m.idClient).indexOf(msg.idClient);
}

/** Replaces a held message in its place (same seq and time). */
function replaceHeld(tx: Tx, s: MutableSession, existing: Message, next: Message): void {
  s.order = s.order.replace(indexOf(s, existing), next, tx.edit);
  s.byId = s.byId.set(next.idClient, next, tx.edit);
  noteStatus(tx, s, next);
}

/** Keeps the cursors that let opening a session and receipts visit only what can change. */
function noteStatus(tx: Tx, s: MutableSession, m: Message): void {
  if (m.status === 'unread') s.unreadFrom = Math.min(s.unreadFrom, m.seq ?? -Infinity);
  if (m.status === 'sent' && m.seq !== undefined && m.from === tx.get('me')?.account) s.sentFrom = Math.min(s.sentFrom, m.seq);
}

/**
 * Insert or replace one message, keeping the order sorted. A stored copy (with seq) is never replaced
 * by a pending or failed one: a late local echo must not undo an ack.
 */
function upsert(tx: Tx, msg: Message): boolean {
  const s = tx.session(msg.sessionId);
  const existing = s.byId.get(msg.idClient);
  if (existing) {
    if (existing.seq !== undefined && msg.seq === undefined) return false;
    const samePlace = existing.seq === msg.seq && existing.time === msg.time;
    if (samePlace) {
      replaceHeld(tx, s, existing, { ...msg, status: mergeStatus(existing, msg) });
      return false;
    }
    s.order = s.order.remove(indexOf(s, existing), tx.edit);
  }
  const stored = existing ? { ...msg, status: mergeStatus(existing, msg) } : msg;
  s.byId = s.byId.set(msg.idClient, stored, tx.edit);
  const at = s.order.firstWhere((m) => compareMessages(m, stored) >= 0);
  s.order = s.order.insert(at, stored, tx.edit);
  noteStatus(tx, s, stored);
  if (msg.seq !== undefined) {
    s.maxSeq = Math.max(s.maxSeq, msg.seq);
    s.minSeq = s.minSeq === 0 ? msg.seq : Math.min(s.minSeq, msg.seq);
    if (tx.get('seqGapFree')) advanceSynced(s, msg.seq, at);
    else s.syncedSeq = s.maxSeq;
  }
  return !existing;
}

/**
 * Stored messages sit in the order by seq (server time never decreases within a conversation), so the
 * run of consecutive seqs continues right after the inserted message.
 */
function advanceSynced(s: MutableSession, seq: number, at: number): void {
  if (s.syncedSeq === 0) s.syncedSeq = seq - 1;
  if (seq !== s.syncedSeq + 1) return;
  s.syncedSeq = seq;
  s.order.forEachFrom(at + 1, (m) => {
    if (m.seq !== s.syncedSeq + 1) return false;
    s.syncedSeq = m.seq;
  });
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

function touchSession(tx: Tx, msg: Message): SessionSummary {
  let session = tx.editSummary(msg.sessionId);
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
      peerDeliveredSeq: 0,
    };
    tx.putSummary(session);
  }
  session.lastMsg = tx.peek(msg.sessionId)?.order.last();
  if (msg.seq !== undefined) session.lastSeq = Math.max(session.lastSeq, msg.seq);
  return session;
}

export function setMe(tx: Tx, me: Account): void {
  const was = tx.get('me');
  if (was && was.account !== me.account) {
    tx.resetSessions();
    tx.put('currentSessionId', undefined);
  }
  tx.put('me', me);
}

export function setSeqGapFree(tx: Tx, gapFree: boolean): void {
  tx.put('seqGapFree', gapFree);
}

export function setConnection(tx: Tx, connection: ConnectionPhase, error?: string): void {
  tx.put('connection', connection);
  tx.put('connectionError', error);
}

/** The person signed out on this device: nothing of theirs stays in memory either. */
export function signOut(tx: Tx): void {
  tx.resetSessions();
  tx.put('currentSessionId', undefined);
  tx.put('me', undefined);
}

/** Our own message enters the store the moment it is sent. */
export function addPending(tx: Tx, msg: Message): void {
  upsert(tx, { ...msg, status: 'sending', seq: undefined, error: undefined });
  touchSession(tx, tx.session(msg.sessionId).byId.get(msg.idClient) as Message);
}

/** Shown under one's own message when the server stored other text than was typed. */
export const MASKED_NOTICE = '消息中的敏感词已被屏蔽';

export function ackMessage(tx: Tx, ack: Ack): void {
  const pending = tx.peek(ack.sessionId)?.byId.get(ack.idClient);
  if (!pending) return;
  const masked = ack.body !== undefined ? { body: ack.body, notice: MASKED_NOTICE } : {};
  const isNew = pending.seq === undefined;
  // The device's own video poster is never sent (types/media.ts), so the stored attach has none.
  const poster = pending.attach?.poster;
  const attach = ack.attach ? { attach: { ...ack.attach, ...(poster !== undefined ? { poster } : {}) } } : {};
  upsert(tx, { ...pending, ...masked, ...attach, idServer: ack.idServer, seq: ack.seq, time: ack.time, status: 'sent', error: undefined });
  const session = touchSession(tx, tx.session(ack.sessionId).byId.get(ack.idClient) as Message);
  if (isNew) countPatientMessage(session, pending);
}

/** The patient's quota counts their own messages (not system lines); after closing they are 追问. */
function countPatientMessage(session: SessionSummary, msg: Message): void {
  const c = session.consultation;
  if (!c || msg.from !== c.patient || msg.type === 'notification' || msg.type === 'tip') return;
  if (c.status === 'closed') c.followUps = (c.followUps ?? 0) + 1;
  else c.patientMessages += 1;
}

/** One's own message that never reached the server, deleted by its sender (删除 on a failed message). */
export function discardUnsent(tx: Tx, sessionId: string, idClient: string): void {
  const held = tx.peek(sessionId)?.byId.get(idClient);
  if (!held || held.seq !== undefined || held.status !== 'sendFailed') return;
  const s = tx.session(sessionId);
  s.order = s.order.remove(indexOf(s, held), tx.edit);
  s.byId = s.byId.delete(idClient, tx.edit);
  const session = tx.editSummary(sessionId);
  if (session) session.lastMsg = s.order.last();
}

export function failMessage(tx: Tx, sessionId: string, idClient: string, error: string): void {
  const msg = tx.peek(sessionId)?.byId.get(idClient);
  if (!msg || msg.seq !== undefined) return;
  replaceHeld(tx, tx.session(sessionId), msg, { ...msg, status: 'sendFailed', error });
}

/**
 * Whether a reply's part about `sessionId` is taken: not when the session was removed after the request
 * went out (`asked`: the count of removals then), as the server answered while the person could still
 * open it. A live push (no `asked`) or a reply asked after the removal readmits it: the server handed
 * it over since.
 */
function admits(tx: Tx, sessionId: string, asked: number | undefined): boolean {
  const dropped = tx.get('dropped');
  const at = dropped[sessionId];
  if (at === undefined) return true;
  if (asked !== undefined && at > asked) return false;
  const { [sessionId]: _readmitted, ...rest } = dropped;
  tx.put('dropped', rest);
  return true;
}

/**
 * Messages from the server (live push, or the reply to a sync, history page or request asked at `asked`
 * removals). Our own messages arrive as 'sent'; others' count as unread unless their session is open or
 * already read past them.
 */
export function receiveMessages(tx: Tx, msgs: readonly Message[], asked?: number): void {
  const myAccount = tx.get('me')?.account;
  const currentSessionId = tx.get('currentSessionId');
  for (const incoming of msgs) {
    if (!admits(tx, incoming.sessionId, asked)) continue;
    const own = incoming.from === myAccount;
    const session = tx.summary(incoming.sessionId);
    const alreadyRead = session !== undefined && incoming.seq !== undefined && incoming.seq <= session.readSeq;
    // The summary's consultation already holds everything up to its lastSeq: an older page (or a sync
    // overlapping it) must neither count those messages again nor bring back an earlier status.
    const news = incoming.seq === undefined || incoming.seq > (session?.lastSeq ?? 0);
    const open = currentSessionId === incoming.sessionId;
    const status = own ? 'sent' : open || alreadyRead ? 'read' : 'unread';
    const recall = recallTarget(incoming);
    const isNew = upsert(tx, { ...incoming, status: recall ? 'read' : status });
    if (recall) applyRecall(tx, incoming.sessionId, recall.idClient, myAccount);
    const updated = touchSession(tx, tx.session(incoming.sessionId).byId.get(incoming.idClient) as Message);
    const change = news ? consultationChange(incoming) : undefined;
    if (change && updated.consultation) {
      updated.consultation.status = change.status;
      // The 追问 window runs from the closing (types/consultation.ts), which this notice records.
      if (change.status === 'closed') updated.consultation.closedAt = incoming.time;
    }
    if (isNew && news) countPatientMessage(updated, incoming);
    if (isNew && status === 'unread' && !recall) updated.unread += 1;
    const typing = tx.get('typing');
    if (isNew && !own && typing[incoming.sessionId] === incoming.from) {
      const { [incoming.sessionId]: _gone, ...rest } = typing;
      tx.put('typing', rest);
    }
    if (!own && open && incoming.seq !== undefined) updated.readSeq = Math.max(updated.readSeq, incoming.seq);
  }
}

/** The recalled message keeps its place and becomes a tip; a recall of something not held is a no-op. */
function applyRecall(tx: Tx, sessionId: string, idClient: string, myAccount: string | undefined): void {
  const target = tx.peek(sessionId)?.byId.get(idClient);
  if (!target || target.type === 'tip') return;
  replaceHeld(tx, tx.session(sessionId), target, recalledView(target, myAccount ?? ''));
}

/** An older page from the server; it may overlap what is held, which upsert absorbs. */
export function mergeHistory(tx: Tx, sessionId: string, msgs: readonly Message[], hasMore: boolean, asked?: number): void {
  if (!admits(tx, sessionId, asked)) return;
  receiveMessages(tx, msgs, asked);
  tx.session(sessionId).hasMore = hasMore;
}

/** The server's view of the sessions list wins for counters; local pending state is kept. */
export function setSessions(tx: Tx, sessions: readonly SessionSummary[], asked?: number): void {
  for (const incoming of sessions) {
    if (!admits(tx, incoming.id, asked)) continue;
    const newestLocal = tx.peek(incoming.id)?.order.last();
    const open = tx.get('currentSessionId') === incoming.id;
    const held = tx.summary(incoming.id);
    tx.putSummary({
      ...incoming,
      // A `delivered` push can be newer than the list the server sent before it.
      peerDeliveredSeq: Math.max(incoming.peerDeliveredSeq, held?.peerDeliveredSeq ?? 0),
      unread: open ? 0 : incoming.unread,
      lastMsg: newestLocal && newestLocal.seq === undefined ? newestLocal : (incoming.lastMsg ?? newestLocal),
    });
  }
}

/**
 * Sessions the person may no longer open (the server left them out of a fetch by id): the device keeps
 * nothing of them, neither the summary nor the messages, whose text is the consultation's as much as
 * theirs, nor the draft, which would list the session again (【草稿】) for a chat that takes no more
 * messages. Only their ids stay, in `dropped`: the one on screen stays current, and its page says it
 * is no longer theirs rather than jump elsewhere.
 */
export function removeSessions(tx: Tx, sessionIds: readonly string[]): void {
  const gone = new Set(sessionIds);
  const without = <V>(byId: Record<string, V>) => Object.fromEntries(Object.entries(byId).filter(([id]) => !gone.has(id)));
  const drops = tx.get('drops') + 1;
  tx.put('drops', drops);
  tx.put('dropped', { ...tx.get('dropped'), ...Object.fromEntries([...gone].map((id) => [id, drops])) });
  for (const id of gone) tx.dropSession(id);
  tx.put('delivered', without(tx.get('delivered')));
  tx.put('typing', without(tx.get('typing')));
  tx.put('drafts', without(tx.get('drafts')));
}

/**
 * The session on screen: its unread count goes to zero and its messages, held and arriving, count as
 * read. Visits only the messages from the oldest one held as unread on.
 */
export function openSessionAsRead(tx: Tx, sessionId: string): void {
  tx.put('currentSessionId', sessionId);
  const session = tx.editSummary(sessionId);
  if (session) {
    session.unread = 0;
    session.readSeq = Math.max(session.readSeq, session.lastSeq);
  }
  const held = tx.peek(sessionId);
  if (!held || held.unreadFrom === Infinity) return;
  const s = tx.session(sessionId);
  const from = s.unreadFrom;
  const start = s.order.firstWhere((m) => m.seq === undefined || m.seq >= from);
  const unread: Message[] = [];
  s.order.forEachFrom(start, (m) => void (m.status === 'unread' && unread.push(m)));
  s.unreadFrom = Infinity;
  for (const m of unread) replaceHeld(tx, s, m, { ...m, status: 'read' });
}

export function closeSession(tx: Tx): void {
  tx.put('currentSessionId', undefined);
}

/**
 * Another member read up to `readSeq`. Own messages that every other member has read show as read
 * ("receipt" in NIM's terms); in teams the per-member cursors also give "n人已读". Visits only the
 * messages between the oldest own 'sent' one and the new watermark.
 */
export function peerRead(tx: Tx, sessionId: string, account: string, readSeq: number): void {
  const session = tx.editSummary(sessionId);
  if (!session) return;
  session.memberReads[account] = Math.max(session.memberReads[account] ?? 0, readSeq);
  const cursors = Object.values(session.memberReads);
  session.peerReadSeq = Math.max(session.peerReadSeq, Math.min(...cursors));
  const held = tx.peek(sessionId);
  const upTo = session.peerReadSeq;
  if (!held || held.sentFrom > upTo) return;
  const s = tx.session(sessionId);
  const me = tx.get('me')?.account;
  const from = s.sentFrom;
  const start = s.order.firstWhere((m) => m.seq === undefined || m.seq >= from);
  const read: Message[] = [];
  s.order.forEachFrom(start, (m) => {
    if (m.seq === undefined || m.seq > upTo) return false;
    if (m.from === me && m.status === 'sent') read.push(m);
  });
  s.sentFrom = upTo + 1;
  for (const m of read) replaceHeld(tx, s, m, { ...m, status: 'receipt' });
}

/**
 * Another member's device got the messages up to `seq`. Read implies delivered, so each member's
 * cursor counts with their read cursor; the members are the keys of memberReads (the server lists
 * every other member there), or just this one while the session's members are unknown.
 */
export function peerDelivered(tx: Tx, sessionId: string, account: string, seq: number): void {
  const all = tx.get('delivered');
  const mine = { ...all[sessionId], [account]: Math.max(all[sessionId]?.[account] ?? 0, seq) };
  tx.put('delivered', { ...all, [sessionId]: mine });
  const session = tx.editSummary(sessionId);
  if (!session) return;
  const members = Object.keys(session.memberReads).length ? Object.keys(session.memberReads) : [account];
  const lowest = Math.min(...members.map((a) => Math.max(mine[a] ?? 0, session.memberReads[a] ?? 0)));
  session.peerDeliveredSeq = Math.max(session.peerDeliveredSeq, lowest);
}

/**
 * The doctor came or went (shown to the patient). Offline without a last-seen time is the server's
 * "nothing to show": the doctor hid their presence.
 */
export function setPresence(tx: Tx, sessionId: string, presence: PresenceInfo): void {
  const session = tx.editSummary(sessionId);
  if (!session) return;
  if (presence.online || presence.lastSeen !== undefined) session.presence = presence;
  else delete session.presence;
}

/** Empty text removes the draft. */
export function setDraft(tx: Tx, sessionId: string, text: string): void {
  const { [sessionId]: _was, ...rest } = tx.get('drafts');
  tx.put('drafts', text ? { ...rest, [sessionId]: text } : rest);
}

export function loadDrafts(tx: Tx, drafts: Record<string, string>): void {
  tx.put('drafts', { ...drafts });
}

export function setTyping(tx: Tx, sessionId: string, account: string | undefined): void {
  const { [sessionId]: _was, ...rest } = tx.get('typing');
  tx.put('typing', account === undefined ? rest : { ...rest, [sessionId]: account });
}

/** `undefined` once the upload is over (done or failed). */
export function setUploadProgress(tx: Tx, idClient: string, fraction: number | undefined): void {
  const { [idClient]: _was, ...rest } = tx.get('uploads');
  tx.put('uploads', fraction === undefined ? rest : { ...rest, [idClient]: Math.max(0, Math.min(1, fraction)) });
}

export function setUnread(tx: Tx, sessionId: string, unread: number): void {
  if (tx.get('currentSessionId') === sessionId) return;
  const session = tx.editSummary(sessionId);
  if (session) session.unread = unread;
}

/** The server's answer to an encounter request (consent, identity, accept…) replaces the consultation it holds. */
export function setConsultation(tx: Tx, sessionId: string, consultation: ConsultationInfo): void {
  const session = tx.editSummary(sessionId);
  if (session) session.consultation = { ...consultation };
}

/** Cursors for sync: per session, the seq up to which nothing is missing. */
export function syncCursors(state: ChatState): Record<string, number> {
  const cursors: Record<string, number> = {};
  for (const [id, s] of state.messages.entries()) if (s.syncedSeq > 0) cursors[id] = s.syncedSeq;
  return cursors;
}

/** Sessions holding a message past a gap: a sync fills it. */
export function hasGaps(state: ChatState): boolean {
  for (const s of state.messages.values()) if (s.maxSeq > s.syncedSeq) return true;
  return false;
}

export function orderedMessages(state: ChatState, sessionId: string): Message[] {
  return state.messages.get(sessionId)?.order.toArray() ?? [];
}
