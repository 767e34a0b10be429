/**
 * What an authenticated account may do with conversations, independent of the transport.
 * Every operation checks membership first: nobody reads or writes a conversation they are not in.
 */
import type { CardDraft, CardKind } from '../types/cards';
import type { ClosedReason, WriteKind } from '../types/consultation';
import { closedReason, CONSULTATION_TRANSITIONS } from '../types/consultation';
import type { IntakeCard } from '../types/encounter';
import { careIdentity, intakeCardOf, listedInDoctorSync, maskIdentity, namesPatient, type QueueEntry } from '../types/encounter';
import { isMediaKind } from '../types/media';
import type {
  Account,
  Ack,
  ConsultationAction,
  ConsultationInfo,
  Message,
  MessageType,
  OutgoingMessage,
  Quote,
  ReplyRef,
  Role,
  Scene,
  SessionSummary,
} from '../types/message';
import { parseSessionId, RECALL_WINDOW_MS, recalledView, sessionIdOf } from '../types/message';
import { SEARCH_SESSIONS_MAX, SYNC_FRESH, type SessionsFound } from '../types/protocol';
import { consultationAccess } from '../types/transfer';
import { ClientError } from './errors';
import { quoteOf } from './quote';
import { notMember, refusal, replyRefusal } from './refusal';
import { decodeCursor, encodeCursor, matches, positionOf, SEARCH_BATCH, SEARCH_SCAN_MAX, searchNeedle } from './search';
import type { Audit } from './audit';
import type { FileService } from './files/service';
import type { ClientGrant, FileGrant } from './files/sign';
import type { Moderator } from './moderation';
import type { Consultation, ConversationRef, ConversationSummary, NewMessage, Storage, StoredMessage, TransferAway } from './storage/types';
import { intakeIdClient, p2pConvId, teamConvId } from './storage/types';

type AttachView = (type: Message['type'], attach: Record<string, unknown>) => Record<string, unknown>;

/**
 * A stored message as one viewer sees it: session ids are relative to the viewer, as in NIM; file
 * attachments get their signed URLs through `attachView`.
 */
export function viewOf(m: StoredMessage, viewer: string, attachView?: AttachView): Message {
  const own = m.from === viewer;
  const recalled = m.recalledAt !== undefined;
  const view: Message = {
    scene: m.scene,
    sessionId: sessionIdOf(m.scene, m.scene === 'team' || own ? m.to : m.from),
    from: m.from,
    ...(m.fromNick ? { fromNick: m.fromNick } : {}),
    to: m.to,
    type: m.type,
    body: m.body,
    ...(m.attach ? { attach: attachView ? attachView(m.type, m.attach) : m.attach } : {}),
    idClient: m.idClient,
    idServer: m.idServer,
    seq: m.seq,
    time: m.time,
    status: own ? 'sent' : 'unread',
    // A recalled reply shows as the recall line alone, without what it quoted.
    ...(m.quote && !recalled ? { quote: m.quote } : {}),
  };
  return recalled ? recalledView(view, viewer) : view;
}

export const ackOf = (m: StoredMessage, viewer: string): Ack => ({
  idClient: m.idClient,
  idServer: m.idServer,
  sessionId: viewOf(m, viewer).sessionId,
  seq: m.seq,
  time: m.time,
});

/** Messages after a cursor per sync reply and session: a client further behind syncs again from its new cursor. */
const SYNC_LIMIT_PER_SESSION = 500;

/**
 * A consultation as `viewer` sees it: the patient their own identity masked, anyone else (the doctor)
 * what care needs; without a viewer (the hospital API) no identity at all.
 */
export const infoOf = (c: Consultation, viewer?: string, now: number = Date.now()): ConsultationInfo => ({
  id: c.id,
  status: c.status,
  patient: c.patient,
  doctor: c.doctor,
  patientMessages: c.patientMessages,
  ...(c.maxPatientMessages !== undefined ? { maxPatientMessages: c.maxPatientMessages } : {}),
  ...(c.endsAt !== undefined ? { endsAt: c.endsAt } : {}),
  createdAt: c.createdAt,
  ...(c.acceptedAt !== undefined ? { acceptedAt: c.acceptedAt } : {}),
  ...(c.closedAt !== undefined ? { closedAt: c.closedAt } : {}),
  ...(c.consent ? { consent: c.consent } : {}),
  ...(c.identity && viewer !== undefined ? { subject: viewer === c.patient ? maskIdentity(c.identity, now) : careIdentity(c.identity, now) } : {}),
  identified: c.identity !== undefined,
  intake: { filled: c.intake !== undefined, allergies: (c.intake?.allergies.length ?? 0) > 0 },
  ...(c.followUp ? { followUp: c.followUp, followUps: c.followUps } : {}),
});

/** The line everyone sees after a consultation change (who may make which: types/consultation.ts). */
const CHANGE_LINE: Record<ConsultationAction, (name: string) => string> = {
  accept: (n) => `${n}已接诊`,
  close: (n) => `${n}已结束本次问诊`,
  cancel: (n) => `${n}已取消本次问诊`,
};

/** Every string of a card but its kind, replaced by `f` (in a fixed order: the walk's). */
function mapTexts(v: unknown, f: (text: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapTexts(x, f));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'card' ? x : mapTexts(x, f)]));
  return v;
}

/**
 * Roles that read conversations they are members of. Any other role (a pharmacist, who may read only
 * prescriptions) reads nothing through history or search until its own rule is written into `readable`.
 */
const READER_ROLES: ReadonlySet<Role> = new Set<Role>(['patient', 'doctor']);

/** What a fetch by id reads instead of everything of the person: the named conversations and consultations. */
interface NamedSessions {
  convIds: string[];
  consultationIds: string[];
}

/** A conversation someone may read, all of it or (a doctor it was transferred away from) up to a seq. */
interface Readable {
  conv: ConversationRef;
  upToSeq?: number;
}

/** Cards are clinical documents: only the doctor writes them. */
const DOCTOR_ONLY_CARDS = new Set<CardKind>(['prescription', 'labRequest', 'followUp', 'summary']);

/** What a list's filter reads of a session before its summary is built. */
type ListedSession = QueueEntry & { id: string };

/** The other end of a conversation as its session id names it: the team, or the peer. */
const destination = (c: ConversationSummary): string => (c.scene === 'team' ? (c.teamId as string) : (c.peer as string));

/** Whether `m` holds file `fileId`: its own media, or one of the records attached to its intake card. */
const carries = (m: StoredMessage, fileId: string): boolean =>
  m.attach?.fileId === fileId || (intakeCardOf(m)?.attachments.some((a) => a.fileId === fileId) ?? false);

export class ChatService {
  constructor(
    private readonly storage: Storage,
    private readonly files: FileService,
    private readonly audit: Audit,
    private readonly moderator: Moderator,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The one gate for every frame that writes into a conversation (send, forward, recall, typing). A
   * conversation between a patient and a doctor is governed by their consultation: the team's own, or
   * for p2p any of theirs that is open to this writer (so p2p cannot route around a closed
   * consultation, a used-up quota or a doctor who has not accepted). Returns the consultation a message
   * counts against.
   */
  private async admit(me: Account, conv: ConversationRef, kind: WriteKind): Promise<string | undefined> {
    // A team's message is decided by its append, under the consultation's row lock and by the same
    // rule (storage admitOp); reading the consultation here too would only repeat that.
    if (kind === 'message' && conv.teamId !== undefined) return conv.teamId;
    return this.governing(me, conv, kind);
  }

  /** The consultation a write counts against, or its refusal (`admit` without the team message's shortcut). */
  private async governing(me: Account, conv: ConversationRef, kind: WriteKind): Promise<string | undefined> {
    const candidates = conv.teamId
      ? [await this.storage.consultation(conv.teamId)].filter((c): c is Consultation => c !== undefined)
      : await this.storage.consultationsBetween(...(conv.members as [string, string]));
    if (!candidates.length) return undefined;
    const refusals = candidates.map((c) => ({ c, reason: closedReason(c, me.account, this.now(), kind) }));
    const open = refusals.find((r) => r.reason === undefined);
    if (open) return open.c.id;
    const { c, reason } = refusals[0];
    throw refusal(reason as ClosedReason, c);
  }

  /**
   * What may be stored of a message's words: its text (or a non-text message's fallback text) and
   * every text field of a card or a location (checked as one message), with sensitive words masked –
   * or the whole message refused.
   */
  private moderate(msg: OutgoingMessage): { body: string; attach?: Record<string, unknown>; masked: boolean } {
    const words = msg.type === 'custom' || msg.type === 'geo' ? msg.attach : undefined;
    const texts: string[] = [msg.body];
    if (words) mapTexts(words, (t) => (texts.push(t), t));
    const verdict = this.moderator.checkAll(texts);
    if (verdict.action === 'block') throw new ClientError('contentBlocked', '消息含有不允许发送的内容，未发送');
    if (verdict.action === 'pass') return { body: msg.body, attach: msg.attach, masked: false };
    let i = 1;
    const attach = words ? (mapTexts(words, () => verdict.texts[i++]) as Record<string, unknown>) : msg.attach;
    return { body: verdict.texts[0], attach, masked: true };
  }

  async changeConsultation(me: Account, sessionId: string, action: ConsultationAction) {
    const conv = await this.conversationFor(me.account, sessionId);
    const c = conv.teamId ? await this.storage.consultation(conv.teamId) : undefined;
    if (!c) throw new ClientError('notFound', 'this session is not a consultation');
    const rule = CONSULTATION_TRANSITIONS[action];
    if (me.role !== rule.role) throw new ClientError('forbidden', action === 'cancel' ? '只有患者可以取消问诊' : '只有医生可以接诊或结束问诊');
    const cannot = (status: string) =>
      new ClientError('invalidTransition', `问诊当前状态（${status}）不能${action === 'accept' ? '接诊' : action === 'close' ? '结束' : '取消'}`);
    if (!rule.from.includes(c.status)) throw cannot(c.status);
    // The state moves only from the state it was checked in, with its notice, in one transaction: two
    // devices (or two server processes) changing it at once cannot both succeed.
    const changed = await this.audit.stored(
      this.storage.transitionConsultation(
        c.id,
        action,
        {
          conv,
          // ':' never occurs in client idClients; one notice per state, however often it is retried.
          idClient: `consultation:${c.id}:${rule.to}`,
          from: me.account,
          fromNick: me.name,
          scene: 'team',
          to: conv.teamId as string,
          type: 'notification',
          body: CHANGE_LINE[action](me.name),
          attach: { consultation: { status: rule.to, by: me.account } },
          members: [],
        },
        () => this.audit.entry(me.account, `consultation.${action}`, c.id, { from: c.status, to: rule.to }),
      ),
    );
    if (!changed) throw cannot((await this.storage.consultation(c.id))?.status ?? c.status);
    return changed;
  }

  /**
   * `m` as `viewer` sees it. Its files are signed for that person and message (mayOpenFile), or, for the
   * hospital's record export, which keeps recalled messages, for the API client that asked (`exported`:
   * opened with its key, whatever became of the message, until the URL expires).
   */
  view(m: StoredMessage, viewer: string, exported?: ClientGrant): Message {
    const grant = exported ?? { convId: m.convId, seq: m.seq, viewer };
    return viewOf(m, viewer, (type, attach) => {
      if (isMediaKind(type)) return this.files.withUrls(type, attach, grant);
      const intake = intakeCardOf({ type, attach });
      return intake ? (this.intakeView(intake, grant) as unknown as Record<string, unknown>) : attach;
    });
  }

  /**
   * Whether `grant.viewer` may still open file `fileId` through a URL signed for them and the message at
   * `grant.seq`: the message is there, carries that file and is not recalled, and its conversation is
   * still theirs to read up to it (the same rule as history: a transfer or a closed private chat ends it).
   */
  async mayOpenFile(grant: FileGrant, fileId: string): Promise<boolean> {
    const m = await this.storage.messageAt(grant.convId, grant.seq);
    if (!m || m.recalledAt !== undefined || !carries(m, fileId)) return false;
    const me = await this.storage.getAccount(grant.viewer);
    if (!me) return false;
    try {
      const [{ conv, upToSeq }] = await this.readable(me, viewOf(m, me.account).sessionId);
      return conv.id === m.convId && (upToSeq === undefined || m.seq <= upToSeq);
    } catch (e) {
      if (e instanceof ClientError) return false;
      throw e;
    }
  }

  /**
   * The intake card with its attachments' URLs (the doctor opens the patient's records), signed for the
   * viewer and the card's message like any file of the chat, or for the API client of the record export.
   */
  intakeView(card: IntakeCard, grant: FileGrant | ClientGrant): IntakeCard {
    return { ...card, attachments: card.attachments.map((a) => ({ ...a, url: this.files.withUrls('file', a, grant).url as string })) };
  }

  /** The consultation's intake as `viewer` opens it in the encounter panel: its files signed through its card's message. */
  async intakeFor(c: Consultation, intake: IntakeCard, viewer: string): Promise<IntakeCard> {
    const card = await this.storage.findMessage(teamConvId(c.id), c.patient, intakeIdClient(c.id));
    // Without its card there is no message to sign for: the records are named, not linked.
    if (!card) return { ...intake, attachments: intake.attachments.map(({ url: _url, ...a }) => a) };
    return this.intakeView(intake, { convId: card.convId, seq: card.seq, viewer });
  }

  /** The attach to store: uploads resolved to what the server measured, cards stamped by the server. */
  private async attachToStore(me: Account, msg: OutgoingMessage): Promise<Record<string, unknown> | undefined> {
    if (isMediaKind(msg.type)) {
      const stored = await this.files.resolve(me.account, msg.type, String(msg.attach?.fileId));
      if (msg.type === 'audio' && stored.dur === undefined) {
        throw new ClientError('invalidMessage', 'attach: a voice message needs its duration (upload with dur)');
      }
      return stored;
    }
    if (msg.type === 'custom') {
      const draft = msg.attach as CardDraft;
      // A prescription is valid only signed and reviewed: it is issued through `prescribe`, never sent.
      if (draft.card === 'prescription') throw new ClientError('forbidden', '处方请通过开方提交：由医院签名并经药师审核');
      if (DOCTOR_ONLY_CARDS.has(draft.card) && me.role !== 'doctor') {
        throw new ClientError('forbidden', '只有医生可以发送处方、检查单、复诊提醒和问诊小结');
      }
      return { ...draft, doctor: me.name, issuedAt: this.now() };
    }
    // Geo's attach is validated whole by the frame schema; text has none (the schema refuses one).
    return msg.type === 'geo' ? msg.attach : undefined;
  }

  /** Resolves a viewer-relative session id to the conversation, or throws forbidden/notFound. */
  async conversationFor(me: string, sessionId: string): Promise<ConversationRef> {
    const parsed = parseSessionId(sessionId);
    if (!parsed) throw new ClientError('badFrame', `bad session id ${sessionId}`);
    if (parsed.scene === 'team') {
      const id = teamConvId(parsed.to);
      if (!(await this.storage.isConversationMember(id, me))) {
        throw notMember();
      }
      return { id, scene: 'team', teamId: parsed.to };
    }
    if (parsed.to === me) throw new ClientError('forbidden', 'cannot chat with yourself');
    // The same answer whether the account exists or not, so that ids cannot be enumerated.
    if (!(await this.storage.consultationsBetween(me, parsed.to)).length) {
      throw new ClientError('forbidden', 'p2p chat is only open to the patient and doctor of a shared consultation');
    }
    return { id: p2pConvId(me, parsed.to), scene: 'p2p', members: [me, parsed.to] };
  }

  /**
   * The conversations `me` may read: the one of `sessionId`, or every one they are a member of. The
   * one place that says who reads what (history, search).
   */
  async readable(me: Account, sessionId?: string): Promise<Readable[]> {
    if (!READER_ROLES.has(me.role)) throw new ClientError('forbidden', '当前身份不能查看会话消息');
    if (sessionId !== undefined) return [await this.readableConversation(me.account, sessionId)];
    return (await this.openConversations(me.account)).map((c) => ({ conv: { id: c.convId, scene: c.scene, ...(c.teamId ? { teamId: c.teamId } : {}) } }));
  }

  /**
   * The conversations `me` is a member of and may still open. Membership of a p2p chat outlives what
   * opens it (a shared consultation, see conversationFor): after a transfer the patient and the doctor
   * it left keep the membership of a chat neither may open, which must not be listed, synced or searched.
   */
  private async openConversations(me: string): Promise<ConversationSummary[]> {
    return this.openOf(me, await this.storage.conversationsOf(me));
  }

  /** Of `me`'s conversations `convs`, those `me` may still open (see openConversations). */
  private async openOf(me: string, convs: ConversationSummary[]): Promise<ConversationSummary[]> {
    const open = await Promise.all(
      convs.map((c) =>
        c.scene === 'team'
          ? true
          : this.conversationFor(me, sessionIdOf('p2p', c.peer as string)).then(
              () => true,
              (e: unknown) => (e instanceof ClientError && e.code === 'forbidden' ? false : Promise.reject(e)),
            ),
      ),
    );
    return convs.filter((_, i) => open[i]);
  }

  /**
   * The quote of a reply, made from the stored original: a message of this very conversation (found by
   * its seq here, and its idClient must agree), neither recalled nor a system line.
   */
  private async quoteFor(conv: ConversationRef, ref: ReplyRef): Promise<Quote> {
    const original = await this.storage.messageAt(conv.id, ref.seq);
    if (!original || original.idClient !== ref.idClient) throw replyRefusal('missing');
    if (original.type === 'notification' || original.type === 'tip') throw replyRefusal('system');
    if (original.recalledAt !== undefined) throw replyRefusal('recalled');
    return quoteOf(original);
  }

  async send(me: Account, msg: OutgoingMessage): Promise<{ stored: StoredMessage; duplicate: boolean }> {
    const conv = await this.conversationFor(me.account, sessionIdOf(msg.scene, msg.to));
    let prepared: { message: NewMessage; masked: boolean };
    try {
      prepared = await this.prepare(me, conv, msg);
    } catch (e) {
      // A resend of a message already stored gets its ack whatever changed since (a consultation
      // closed, an original recalled); the append finds every other resend itself.
      const existing = await this.storage.findMessage(conv.id, me.account, msg.idClient);
      if (existing) return { stored: existing, duplicate: true };
      // A team message refused for its content (its quote, words or file) into a consultation that
      // refuses it anyway is told the consultation's reason: that is the one the sender can act on.
      // Only a refused send pays for this read; an accepted one is admitted by its append.
      if (conv.teamId !== undefined) await this.governing(me, conv, 'message');
      throw e;
    }
    return this.audit.stored(
      this.storage.appendMessage(prepared.message, (m) =>
        this.audit.entry(me.account, 'message.send', conv.id, { seq: m.seq, type: m.type, idClient: m.idClient, ...(prepared.masked ? { masked: true } : {}) }),
      ),
    );
  }

  /** A message as it is to be stored: admitted, its quote made, its words moderated, its attach resolved. */
  private async prepare(me: Account, conv: ConversationRef, msg: OutgoingMessage): Promise<{ message: NewMessage; masked: boolean }> {
    const consultationId = await this.admit(me, conv, 'message');
    const quote = msg.replyTo ? await this.quoteFor(conv, msg.replyTo) : undefined;
    const moderated = this.moderate(msg);
    const attach = await this.attachToStore(me, { ...msg, ...moderated });
    const message: NewMessage = {
      conv,
      idClient: msg.idClient,
      from: me.account,
      fromNick: me.name,
      scene: msg.scene,
      to: msg.to,
      type: msg.type,
      body: moderated.body,
      attach,
      members: conv.members ?? [],
      consultationId,
      ...(quote ? { quote } : {}),
    };
    return { message, masked: moderated.masked };
  }

  /**
   * Who may read a conversation: its members, and a doctor a consultation was transferred away from,
   * up to the transfer (types/transfer.ts); undefined `upToSeq` reads everything.
   */
  private async readableConversation(me: string, sessionId: string): Promise<Readable> {
    try {
      return { conv: await this.conversationFor(me, sessionId) };
    } catch (e) {
      // Only a refused team conversation can still be read, by the doctor it was transferred away from;
      // members never pay for this look-up.
      const parsed = parseSessionId(sessionId);
      if (!(e instanceof ClientError && e.code === 'forbidden') || parsed?.scene !== 'team') throw e;
      const c = await this.storage.consultation(parsed.to);
      const access = c ? consultationAccess(c, await this.storage.transfersOf(c.id), me) : undefined;
      if (access?.read !== 'upTo') throw e;
      return { conv: { id: teamConvId(parsed.to), scene: 'team', teamId: parsed.to }, upToSeq: access.upToSeq };
    }
  }

  async history(me: Account, sessionId: string, beforeSeq: number | undefined, limit: number) {
    const [{ conv, upToSeq }] = await this.readable(me, sessionId);
    const before = upToSeq === undefined ? beforeSeq : Math.min(beforeSeq ?? Infinity, upToSeq + 1);
    const rows = await this.storage.history(conv.id, before, limit + 1);
    const hasMore = rows.length > limit;
    return { msgs: rows.slice(hasMore ? 1 : 0).map((m) => this.view(m, me.account)), hasMore };
  }

  /**
   * Messages `me` may read that match, newest first: authorization first (`readable`), then batches of
   * candidates narrowed by the database (conversation, type), opened and matched here, at most
   * SEARCH_SCAN_MAX rows per request. `next` continues after the last hit of a full page, or after the
   * last row opened when the cap stopped the scan; none when nothing is left. `scanned` and
   * `conversations` are for the log (counts only).
   */
  async search(me: Account, q: { sessionId?: string; text?: string; types?: MessageType[]; before?: string; limit: number }) {
    const readable = await this.readable(me, q.sessionId);
    const convIds = readable.map((r) => r.conv.id);
    const upTo = new Map(readable.map((r) => [r.conv.id, r.upToSeq]));
    let position = q.before === undefined ? undefined : decodeCursor(q.before, convIds);
    const needle = searchNeedle(q.text);
    const hits: Message[] = [];
    let scanned = 0;
    let exhausted = false;
    scan: while (scanned < SEARCH_SCAN_MAX) {
      const want = Math.min(SEARCH_BATCH, SEARCH_SCAN_MAX - scanned);
      const batch = await this.storage.searchMessages(convIds, q.types, position, want);
      for (const m of batch) {
        scanned++;
        position = positionOf(m);
        const cap = upTo.get(m.convId);
        if ((cap !== undefined && m.seq > cap) || !matches(m, needle)) continue;
        hits.push(this.view(m, me.account));
        if (hits.length === q.limit) break scan;
      }
      if (batch.length < want) {
        exhausted = true;
        break;
      }
    }
    const next = exhausted || position === undefined ? undefined : encodeCursor(position);
    const named = me.role === 'doctor' && q.sessionId === undefined && q.before === undefined && q.text ? await this.sessionsNaming(me.account, q.text) : undefined;
    return {
      hits,
      ...(next ? { next } : {}),
      ...(named ? { sessions: named.sessions } : {}),
      // For the read budget: the messages opened and the sessions built (a name and a last message each).
      scanned: scanned + (named?.built ?? 0),
      conversations: convIds.length,
    };
  }

  /**
   * A doctor's sessions whose patient `text` names, newest first. Names are sealed, so every session is
   * built to be matched: a doctor's explicit search pays for it, never a sync.
   */
  private async sessionsNaming(me: string, text: string): Promise<{ sessions: SessionSummary[]; built: number }> {
    const all = (await this.sessions(me, () => true)).map(({ session }) => session);
    const latest = (s: SessionSummary) => s.lastMsg?.time ?? s.consultation?.createdAt ?? 0;
    const sessions = all
      .filter((s) => namesPatient(s, text))
      .sort((a, b) => latest(b) - latest(a))
      .slice(0, SEARCH_SESSIONS_MAX);
    return { sessions, built: all.length };
  }

  /**
   * The sessions list as `me` sees it, of the sessions `keep` lets through, each with this account's own
   * delivery cursor (not sent: sync reads it to tell what to acknowledge). `keep` reads what the
   * conversation rows hold, before a summary is built: each name is a read and a decryption. With
   * `named`, only those conversations and those consultations' transfers are read, not all of them.
   */
  private async sessions(
    me: string,
    keep: (s: ListedSession) => boolean,
    named?: NamedSessions,
  ): Promise<Array<{ session: SessionSummary; deliveredSeq: number }>> {
    const convs = named ? await this.openOf(me, await this.storage.conversationsNamed(me, named.convIds)) : await this.openConversations(me);
    const open = convs.map((c) => ({ c, id: sessionIdOf(c.scene, destination(c)) }));
    const kept = open.filter(({ c, id }) => keep({ id, unread: c.unread, lastMsg: c.lastMsg, consultation: c.consultation }));
    const current = await Promise.all(
      kept.map(async ({ c, id }): Promise<{ session: SessionSummary; deliveredSeq: number }> => {
        const consultation = c.consultation;
        const counterpart = consultation
          ? me === consultation.patient
            ? consultation.doctor
            : consultation.patient
          : c.peer;
        const name = counterpart ? ((await this.storage.getAccount(counterpart))?.name ?? counterpart) : c.teamName;
        const to = destination(c);
        const session: SessionSummary = {
          id,
          scene: c.scene,
          to,
          name: name ?? to,
          unread: c.unread,
          lastSeq: c.lastSeq,
          readSeq: c.readSeq,
          peerReadSeq: c.peerReadSeq,
          memberReads: c.memberReads,
          peerDeliveredSeq: c.peerDeliveredSeq,
          ...(c.lastMsg ? { lastMsg: this.view(c.lastMsg, me) } : {}),
          ...(consultation ? { consultation: infoOf(consultation, me) } : {}),
        };
        return { session, deliveredSeq: c.deliveredSeq };
      }),
    );
    // Every current session, listed or not: one transferred away and back is the doctor's again.
    const former = await this.formerSessions(me, new Set(open.map(({ id }) => id)), keep, named?.consultationIds);
    // Nothing of a former session is acknowledged any more: it is read-only, and no longer this account's.
    return [...current, ...former.map((session) => ({ session, deliveredSeq: session.lastSeq }))];
  }

  /**
   * The summaries of the sessions named that `me` may open, built as the list's are from only the
   * named conversations and transfers; `gone` is every other id asked, whether it ever existed or not
   * (the same answer for someone else's session and for none), so that a device drops what it holds.
   */
  async sessionsById(me: string, ids: readonly string[]): Promise<SessionsFound> {
    const wanted = new Set(ids);
    const named: NamedSessions = { convIds: [], consultationIds: [] };
    for (const id of wanted) {
      const parsed = parseSessionId(id);
      if (parsed?.scene === 'team') {
        named.convIds.push(teamConvId(parsed.to));
        named.consultationIds.push(parsed.to);
      } else if (parsed && parsed.to !== me) named.convIds.push(p2pConvId(me, parsed.to));
    }
    const sessions = (await this.sessions(me, (s) => wanted.has(s.id), named)).map(({ session }) => session);
    const found = new Set(sessions.map((s) => s.id));
    return { sessions, gone: [...wanted].filter((id) => !found.has(id)) };
  }

  /**
   * Consultations transferred away from `me` (and not back): listed read-only up to their last transfer
   * from `me`, as they were then. Nothing that happened after it (the status, the quota, an identity
   * confirmed, consent) reaches the doctor it left: they keep only what they had.
   */
  private async formerSessions(
    me: string,
    listed: Set<string>,
    keep: (s: ListedSession) => boolean,
    consultationIds?: readonly string[],
  ): Promise<SessionSummary[]> {
    const latest = new Map<string, TransferAway>();
    for (const t of await this.storage.transfersFrom(me, consultationIds)) if (t.atSeq >= (latest.get(t.consultationId)?.atSeq ?? -1)) latest.set(t.consultationId, t);
    const former: SessionSummary[] = [];
    for (const [id, t] of latest) {
      const sessionId = sessionIdOf('team', id);
      const seq = t.atSeq;
      // Decided on what the transfer kept, before any read: a fetch by id skips the others unread.
      if (listed.has(sessionId) || !keep({ id: sessionId, unread: 0, readOnlyUpTo: seq, ...(t.left ? { consultation: t.left } : {}) })) continue;
      const c = await this.storage.consultation(id);
      if (!c) continue;
      const [last] = await this.storage.history(teamConvId(id), seq + 1, 1);
      former.push({
        id: sessionId,
        scene: 'team',
        to: id,
        name: (await this.storage.getAccount(c.patient))?.name ?? c.patient,
        unread: 0,
        lastSeq: seq,
        readSeq: seq,
        peerReadSeq: 0,
        memberReads: {},
        peerDeliveredSeq: 0,
        ...(last ? { lastMsg: this.view(last, me) } : {}),
        ...(t.left ? { consultation: infoOf(t.left, me, t.at) } : {}),
        readOnlyUpTo: seq,
      });
    }
    return former;
  }

  /**
   * Everything after each cursor; of the SYNC_FRESH.sessions most recent sessions (the current ones come
   * newest first, those transferred away after them) the newest page where the client has no cursor;
   * and the sessions: a patient's all, a doctor's those the workbench lists and those the client holds
   * a cursor for (listedInDoctorSync). A session whose messages are left out arrives as its list row,
   * last message included: that message reached the device, so it counts as delivered (`delivered`, the
   * raised cursors, for the gateway to tell the senders), as the client's ack does for the messages it gets.
   */
  async sync(me: Account, cursors: Record<string, number>) {
    const now = this.now();
    const listed = await this.sessions(me.account, (s) => me.role !== 'doctor' || Object.hasOwn(cursors, s.id) || listedInDoctorSync(s, now));
    const msgs: Message[] = [];
    const delivered: Array<{ sessionId: string; conv: ConversationRef; deliveredSeq: number }> = [];
    let complete = true;
    for (const [rank, { session: s, deliveredSeq }] of listed.entries()) {
      const known = cursors[s.id];
      if (known === undefined && rank >= SYNC_FRESH.sessions) {
        if (s.lastMsg && s.lastMsg.from !== me.account && deliveredSeq < s.lastSeq) {
          const mark = await this.markDelivered(me.account, s.id, s.lastSeq);
          if (mark.raised) delivered.push({ sessionId: s.id, conv: mark.conv, deliveredSeq: mark.deliveredSeq });
        }
        continue;
      }
      const cursor = known ?? Math.max(0, s.lastSeq - SYNC_FRESH.messages);
      if (s.lastSeq <= cursor) continue;
      const { conv, upToSeq } = await this.readableConversation(me.account, s.id);
      const rows = await this.storage.after(conv.id, cursor, SYNC_LIMIT_PER_SESSION);
      const readable = upToSeq === undefined ? rows : rows.filter((m) => m.seq <= upToSeq);
      for (const m of readable) msgs.push(this.view(m, me.account));
      // Cut by the limit, not by the transfer point: the client syncs again from its new cursor.
      if (rows.length === SYNC_LIMIT_PER_SESSION && readable.length === rows.length) complete = false;
    }
    return { msgs, sessions: listed.map(({ session }) => session), complete, delivered };
  }

  /**
   * Only the sender, only within the window. The recall is stored as a notification message so every
   * device learns of it through push, sync or history; retrying returns the same notice.
   */
  async recall(me: Account, sessionId: string, idClient: string): Promise<{ notice: StoredMessage; duplicate: boolean }> {
    const conv = await this.conversationFor(me.account, sessionId);
    const target = await this.storage.findMessage(conv.id, me.account, idClient);
    if (!target) throw new ClientError('notFound', 'no message of yours with this idClient in this session');
    if (target.recalledAt === undefined) await this.admit(me, conv, 'signal');
    if (target.type === 'notification') throw new ClientError('forbidden', 'notifications cannot be recalled');
    if (target.recalledAt === undefined && this.now() - target.time > RECALL_WINDOW_MS) {
      throw new ClientError('recallExpired', `messages can only be recalled within ${RECALL_WINDOW_MS / 60_000} minutes`);
    }
    const { stored, duplicate } = await this.audit.stored(
      this.storage.recall(
        target,
        {
          conv,
          // ':' never occurs in client idClients, so no client message can take this id first.
          idClient: `recall:${idClient}`,
          from: me.account,
          fromNick: me.name,
          scene: target.scene,
          to: target.to,
          type: 'notification',
          body: '',
          attach: { recall: { idClient, by: me.account } },
          members: conv.members ?? [],
        },
        () => this.audit.entry(me.account, 'message.recall', conv.id, { seq: target.seq, idClient }),
      ),
    );
    return { notice: stored, duplicate };
  }

  /**
   * A copy of a message into another session, from the forwarder. Medical content must not reach
   * anyone who could not already read it: every member of the target must be a member of the source.
   * The copy keeps the original's content as stored (moderated text, measured files, the card as its
   * doctor issued it) and counts as a message sent in the target. A reply's quote stays behind: it
   * names a seq of the source conversation, which means nothing (or another message) in the target.
   */
  async forward(
    me: Account,
    f: { sessionId: string; from: string; idClient: string; toSessionId: string; newIdClient: string },
  ): Promise<{ stored: StoredMessage; duplicate: boolean }> {
    const source = await this.conversationFor(me.account, f.sessionId);
    const target = await this.conversationFor(me.account, f.toSessionId);
    const existing = await this.storage.findMessage(target.id, me.account, f.newIdClient);
    if (existing) return { stored: existing, duplicate: true };
    const original = await this.storage.findMessage(source.id, f.from, f.idClient);
    if (!original || original.recalledAt !== undefined || original.type === 'notification' || original.type === 'tip') {
      throw new ClientError('notFound', 'no message to forward with this idClient in this session');
    }
    // A prescription is reviewed and valid in its own consultation only: a copy elsewhere would look valid unreviewed.
    if (original.type === 'custom' && original.attach?.card === 'rx') throw new ClientError('forbidden', '处方不能转发');
    // A clinical document goes out only from a doctor, forwarded or not.
    if (original.type === 'custom' && DOCTOR_ONLY_CARDS.has((original.attach as CardDraft | undefined)?.card as CardKind) && me.role !== 'doctor') {
      throw new ClientError('forbidden', '只有医生可以发送处方、检查单、复诊提醒和问诊小结');
    }
    const readers = new Set(await this.storage.conversationMembers(source.id));
    const recipients = target.members ?? (await this.storage.conversationMembers(target.id));
    if (recipients.some((a) => !readers.has(a))) {
      throw new ClientError('forbidden', '只能转发给本来就能看到这条消息的人');
    }
    const consultationId = await this.admit(me, target, 'message');
    const parsed = parseSessionId(f.toSessionId) as { scene: Scene; to: string };
    return this.audit.stored(
      this.storage.appendMessage(
        {
          conv: target,
          idClient: f.newIdClient,
          from: me.account,
          fromNick: me.name,
          scene: parsed.scene,
          to: target.scene === 'team' ? (target.teamId as string) : parsed.to,
          type: original.type,
          body: original.body,
          attach: original.attach,
          members: target.members ?? [],
          consultationId,
        },
        (m) => this.audit.entry(me.account, 'message.forward', target.id, { seq: m.seq, from: source.id, fromSeq: original.seq }),
      ),
    );
  }

  /** Typing goes only where its sender may write; the caller pushes it to the returned conversation. */
  async typing(me: Account, sessionId: string): Promise<ConversationRef> {
    const conv = await this.conversationFor(me.account, sessionId);
    await this.admit(me, conv, 'signal');
    return conv;
  }

  async markRead(me: string, sessionId: string, seq: number) {
    const conv = await this.conversationFor(me, sessionId);
    const { readSeq, raised } = await this.storage.markRead(conv.id, me, seq);
    // A repeated or older mark changes nothing, so it is neither recorded nor pushed.
    if (raised) await this.audit.record(me, 'message.read', conv.id, { readSeq });
    return { conv, readSeq, raised };
  }

  /** Not audited: a device's receipt of a push is transport, written per push; reading is what is recorded. */
  async markDelivered(me: string, sessionId: string, seq: number) {
    const conv = await this.conversationFor(me, sessionId);
    const { deliveredSeq, raised } = await this.storage.markDelivered(conv.id, me, seq);
    return { conv, deliveredSeq, raised };
  }
}
