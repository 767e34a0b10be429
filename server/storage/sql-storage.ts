/**
 * The storage's queries, written once for SQLite and PostgreSQL (see sql.ts for how one operation runs
 * on either). The adapters supply how a read and a transaction run, and their own transaction control:
 * SQLite's group commit of appends, PostgreSQL's retry of an append that raced its original.
 */
import { randomUUID } from 'node:crypto';
import { closedReason, CONSULTATION_TRANSITIONS, partyOf } from '../../types/consultation';
import type { ConsentRecord, DoctorIdentity, IdentityRecord, IntakeCard, QuickReply, Rating, RatingSummary, RatingTag } from '../../types/encounter';
import type { Account, ConsultationAction, ConsultationStatus, MessageType, Role } from '../../types/message';
import { issueRefusal, type PrescriptionState, type RxCard } from '../../types/prescription';
import type { TransferRecord, TransferTarget } from '../../types/transfer';
import { ClientError } from '../errors';
import { recalledQuote } from '../quote';
import { issueRefused, notMember, refusal, replyRefusal } from '../refusal';
import type { Cipher } from '../crypto';
import type { AuditRow, ConsultationRow, ConversationRow, FileRow, MessageRow } from './rows';
import { encounterOf, fileGone, fileOf, newMessageRow, quotaOf, sealQuote, toAudit, toConsultation, toFile, toStored, toSummary } from './rows';
import { all, lock, one, type Op, run } from './sql';
import type {
  Appended,
  Audited,
  AuditEntry,
  AuditFor,
  AuditRecord,
  ClaimedNotification,
  ConsultationChange,
  ConsultationTransferred,
  MiniappBinding,
  NotifyConsent,
  NotifyKind,
  NotifyOutcome,
  NotifyPolicy,
  Consultation,
  ConversationSummary,
  NewConsultation,
  NewMessage,
  PrescriptionIssued,
  PrescriptionReview,
  PrescriptionReviewed,
  PresenceRecord,
  PurgeCutoffs,
  RatingsQuery,
  SearchPosition,
  Storage,
  StoredPrescription,
  StoredFile,
  StoredMessage,
  TransferAway,
} from './types';
import { intakeIdClient, teamConvId } from './types';

/** Serialises audit appends across processes (PostgreSQL; SQLite writes one at a time anyway). */
export const AUDIT_LOCK = 7_102;

// Statements built from parts once, here: a statement's text is its key in the prepared-statement cache.
const CONSULTATION = `SELECT c.*, v.team_name FROM consultations c JOIN conversations v ON v.id = 'team-' || c.id`;
const CONSULTATION_BY_ID = `${CONSULTATION} WHERE c.id = ?`;
const CONSULTATIONS_BETWEEN = `${CONSULTATION} WHERE (c.patient = ? AND c.doctor = ?) OR (c.patient = ? AND c.doctor = ?) ORDER BY c.created_at DESC, c.id`;
/**
 * `AND <column> IN (?, …)` of `ids`, nothing without them: the one difference between a person's whole
 * sessions list and the summaries of the sessions a client named (its parameters follow the account's).
 */
const among = (column: string, ids: readonly string[] | undefined) => (ids ? ` AND ${column} IN (${ids.map(() => '?').join(', ')})` : '');
const MINE = (ids?: readonly string[]) => `SELECT conv_id FROM conversation_members WHERE account = ?${among('conv_id', ids)}`;
const MY_OTHERS = (ids?: readonly string[]) =>
  `SELECT conv_id, account, read_seq, delivered_seq FROM conversation_members WHERE conv_id IN (${MINE(ids)}) AND account <> ? ORDER BY account`;
const MY_LASTS = (ids?: readonly string[]) =>
  `SELECT l.* FROM messages l WHERE l.conv_id IN (${MINE(ids)}) AND l.seq = (SELECT MAX(x.seq) FROM messages x WHERE x.conv_id = l.conv_id)`;
// Driven by the person's memberships (their index) to each consultation by its key: written as a
// filter on the conversation, it read every consultation of the hospital.
const MY_CONSULTATIONS = (ids?: readonly string[]) =>
  `${CONSULTATION} WHERE c.id IN (SELECT substr(conv_id, 6) FROM conversation_members WHERE account = ? AND conv_id LIKE 'team-%'${among('conv_id', ids)})`;

interface PrescriptionRow {
  id: string;
  conv_id: string;
  seq: number;
  card: string;
  state: PrescriptionState;
  reason: string | null;
  reviewer: string | null;
  reviewed_at: number | null;
  corrected_by: string | null;
}

interface TransferRow {
  consultation_id: string;
  from_doctor: string;
  to_doctor: string;
  at_seq: number;
  at: number;
  /** The consultation when it left `from_doctor`, sealed JSON (null for transfers from before it was kept). */
  left_state: string | null;
}

const toTransfer = (r: TransferRow): TransferRecord => ({
  consultationId: r.consultation_id,
  from: r.from_doctor,
  to: r.to_doctor,
  atSeq: Number(r.at_seq),
  at: Number(r.at),
});

/** A write's result with its audit record; no result stays none. */
type AuditedResult<R> = R extends object ? Audited<R> : R;

/** A mini-program user of (platform, appid) by any of its MACs (one per configured data key). */
const BY_MAC = (macs: string[]) => `platform = ? AND appid = ? AND openid_mac IN (${macs.map(() => '?').join(', ') || 'NULL'})`;

/** The intake card as the conversation's message: from the patient, once per consultation. */
export function intakeMessage(consultationId: string, patient: string, nick: string | undefined, card: IntakeCard): NewMessage {
  return {
    conv: { id: teamConvId(consultationId), scene: 'team', teamId: consultationId },
    idClient: intakeIdClient(consultationId),
    from: patient,
    ...(nick !== undefined ? { fromNick: nick } : {}),
    scene: 'team',
    to: consultationId,
    type: 'custom',
    body: '[问诊单]',
    attach: card as unknown as Record<string, unknown>,
    members: [],
  };
}

/** What a message says happened, before it is known whom it concerns. */
type NotifyEvent = 'message' | 'card' | 'accepted' | 'closed' | 'cancelled' | 'waiting';

/** Collapsing keeps the weightiest event's kind: a closed consultation outranks the replies before it. */
const WEIGHT: Record<NotifyKind, number> = { reply: 0, patientWrote: 0, waiting: 0, card: 1, accepted: 2, closed: 3, cancelled: 3 };

const STATUS_EVENT: Partial<Record<string, NotifyEvent>> = { inProgress: 'accepted', closed: 'closed', cancelled: 'cancelled' };

/** The event a row's kind was made from: what a transfer hands on to the new doctor. */
const EVENT_OF: Record<NotifyKind, NotifyEvent> = {
  reply: 'message',
  patientWrote: 'message',
  waiting: 'waiting',
  card: 'card',
  accepted: 'accepted',
  closed: 'closed',
  cancelled: 'cancelled',
};

/** Which event a new message is (none for tips, recalls and other bookkeeping). */
function eventOf(m: NewMessage): NotifyEvent | undefined {
  if (m.type === 'tip') return undefined;
  if (m.type === 'notification') {
    const status = (m.attach as { consultation?: { status?: unknown } } | undefined)?.consultation?.status;
    return typeof status === 'string' ? STATUS_EVENT[status] : undefined;
  }
  return m.type === 'custom' ? 'card' : 'message';
}

interface NotificationRow {
  id: string;
  account: string;
  conv_id: string;
  consultation_id: string | null;
  kind: NotifyKind;
  events: number;
  seq: number;
  event_at: number;
  attempts: number;
  lease_until: number;
}

export abstract class SqlStorage implements Storage {
  /** `now`: the clock a message's admission is decided on, the one the chat service runs on (tests move it). */
  constructor(
    protected readonly cipher: Cipher,
    private readonly now: () => number = Date.now,
  ) {}

  /** The outbox is written only once a notification channel is configured. */
  protected notifyPolicy: NotifyPolicy | undefined;
  /** How a claim skips rows another transaction holds (PostgreSQL); SQLite has one writer anyway. */
  protected readonly skipLocked: string = '';

  /** Runs an operation that only reads. */
  protected abstract read<T>(op: Op<T>): Promise<T>;
  /** Runs an operation in one transaction. */
  protected abstract write<T>(op: Op<T>): Promise<T>;
  abstract appendMessage(m: NewMessage, audit?: AuditFor<StoredMessage>): Promise<Appended>;
  abstract recall(target: StoredMessage, notice: NewMessage, audit?: AuditFor<StoredMessage>): Promise<Appended>;
  abstract close(): Promise<void>;

  async upsertAccount(a: Account): Promise<void> {
    await this.write(
      run(
        'INSERT INTO accounts (account, name, role) VALUES (?, ?, ?) ON CONFLICT (account) DO UPDATE SET name = excluded.name, role = excluded.role',
        a.account,
        this.cipher.sealName(a.name),
        a.role,
      ),
    );
  }

  async getAccount(account: string): Promise<Account | undefined> {
    const row = await this.read(one<Account>('SELECT account, name, role FROM accounts WHERE account = ?', account));
    return row && { ...row, name: this.cipher.openName(row.name) };
  }

  protected *consultationOp(id: string): Op<Consultation | undefined> {
    const row = yield* one<ConsultationRow>(CONSULTATION_BY_ID, id);
    return row && toConsultation(row, this.cipher);
  }

  createConsultation(c: NewConsultation, audit?: AuditFor<Consultation>): Promise<Audited<Consultation>> {
    return this.write(this.auditedOp(this.createConsultationOp(c), audit));
  }

  private *createConsultationOp(c: NewConsultation): Op<Consultation> {
    const convId = teamConvId(c.id);
    const sealJson = (v: unknown) => (v === undefined ? null : this.cipher.seal(JSON.stringify(v)));
    yield* run(
      `INSERT INTO consultations (id, patient, doctor, status, created_at, max_patient_msgs, ends_at, consent_version, consent_at, consent_by,
         identity, candidates, intake, follow_up_msgs, follow_up_days) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      c.id,
      c.patient,
      c.doctor,
      c.status ?? 'inProgress',
      Date.now(),
      c.maxPatientMessages ?? null,
      c.endsAt ?? null,
      c.consent?.version ?? null,
      c.consent?.acceptedAt ?? null,
      c.consent?.by ?? null,
      sealJson(c.identity),
      sealJson(c.candidates),
      sealJson(c.intake),
      c.followUp?.messages ?? null,
      c.followUp?.days ?? null,
    );
    yield* run('INSERT INTO conversations (id, scene, team_id, team_name) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', convId, 'team', c.id, this.cipher.seal(c.teamName));
    for (const account of [c.patient, c.doctor]) yield* this.addMember(convId, account);
    if (c.status === 'waiting') yield* this.notifyOp(c.id, convId, c.patient, 'waiting', 0, Date.now());
    if (c.intake) {
      const nick = yield* one<{ name: string }>('SELECT name FROM accounts WHERE account = ?', c.patient);
      yield* this.appendOp(intakeMessage(c.id, c.patient, nick && this.cipher.openName(nick.name), c.intake));
    }
    return (yield* this.consultationOp(c.id)) as Consultation;
  }

  consultation(id: string): Promise<Consultation | undefined> {
    return this.read(this.consultationOp(id));
  }

  setConsultationStatus(id: string, status: ConsultationStatus): Promise<Consultation> {
    return this.write(this.setStatusOp(id, status));
  }

  private *setStatusOp(id: string, status: ConsultationStatus): Op<Consultation> {
    yield* run('UPDATE consultations SET status = ? WHERE id = ?', status, id);
    return (yield* this.consultationOp(id)) as Consultation;
  }

  transitionConsultation(
    id: string,
    action: ConsultationAction,
    notice: NewMessage,
    audit?: AuditFor<ConsultationChange>,
  ): Promise<Audited<ConsultationChange> | undefined> {
    return this.write(this.auditedOp(this.transitionOp(id, action, notice), audit));
  }

  /**
   * The notice's sender takes the action only while still the party the rule names: a doctor who
   * transferred the consultation away on another connection meanwhile is refused as the checks before
   * would have refused them.
   */
  private *transitionOp(id: string, action: ConsultationAction, notice: NewMessage): Op<ConsultationChange | undefined> {
    const { role, from, to } = CONSULTATION_TRANSITIONS[action];
    const now = Date.now();
    const moved = yield* run(
      `UPDATE consultations SET status = ?, accepted_at = CASE WHEN ? = 'inProgress' THEN ? ELSE accepted_at END,
         closed_at = CASE WHEN ? IN ('closed', 'cancelled') THEN ? ELSE closed_at END
       WHERE id = ? AND ${role} = ? AND status IN (${from.map(() => '?').join(', ')})`,
      to,
      to,
      now,
      to,
      now,
      id,
      notice.from,
      ...from,
    );
    if (moved.changes === 0) {
      const c = yield* this.consultationOp(id);
      if (c && partyOf(c, notice.from) !== role) throw notMember();
      return undefined;
    }
    const { stored } = yield* this.appendOp(notice);
    return { consultation: (yield* this.consultationOp(id)) as Consultation, notice: stored };
  }

  async consultationsBetween(a: string, b: string): Promise<Consultation[]> {
    const rows = await this.read(
      all<ConsultationRow>(CONSULTATIONS_BETWEEN, a, b, b, a),
    );
    return rows.map((r) => toConsultation(r, this.cipher));
  }

  async revokeSessions(account: string, sid: string, at: number): Promise<void> {
    await this.write(run('INSERT INTO session_revocations (account, sid, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', account, sid, at));
  }

  async isSessionRevoked(account: string, sid: string | undefined, startedAt: number): Promise<boolean> {
    const row = await this.read(
      one("SELECT 1 AS one FROM session_revocations WHERE account = ? AND (sid = ? OR (sid = '*' AND at > ?)) LIMIT 1", account, sid ?? '', startedAt),
    );
    return row !== undefined;
  }

  async useLink(jti: string, at: number): Promise<boolean> {
    return (await this.write(run('INSERT INTO used_links (jti, used_at) VALUES (?, ?) ON CONFLICT DO NOTHING', jti, at))).changes === 1;
  }

  appendAudit(make: AuditEntry): Promise<AuditRecord> {
    return this.write(SqlStorage.appendAuditOp(make));
  }

  /**
   * A write and the audit record `make` gives for its result, in the write's transaction: neither is
   * stored without the other. None when the write changed nothing: no result, or a retry that found
   * what its first try stored (`duplicate`). The audit chain's lock comes last, after the rows the write
   * locks; the only other write that takes it (appendAudit) locks nothing else, so none waits for
   * another in a cycle.
   */
  private *auditedOp<R extends object | undefined>(op: Op<R>, make: AuditFor<NonNullable<R>> | undefined): Op<AuditedResult<R>> {
    const r = yield* op;
    if (!r || !make || (r as { duplicate?: boolean }).duplicate) return r as AuditedResult<R>;
    return { ...r, audit: yield* SqlStorage.appendAuditOp(make(r)) } as AuditedResult<R>;
  }

  /** An append with the record `audit` makes from the message it stored. */
  protected auditedAppendOp(append: Op<Appended>, audit: AuditFor<StoredMessage> | undefined): Op<Appended> {
    return this.auditedOp(append, audit && ((r) => audit(r.stored)));
  }

  private static *appendAuditOp(make: AuditEntry): Op<AuditRecord> {
    yield* lock(AUDIT_LOCK);
    const rec = make(yield* one<Pick<AuditRow, 'seq' | 'hash'>>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1'));
    yield* run(
      'INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      rec.seq,
      rec.at,
      rec.actor,
      rec.action,
      rec.target,
      rec.detail,
      rec.prevHash,
      rec.hash,
    );
    return rec;
  }

  async auditRecords(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    return (await this.read(all<AuditRow>('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?', afterSeq, limit))).map(toAudit);
  }

  purge(cutoffs: PurgeCutoffs): Promise<{ messages: number; fileIds: string[] }> {
    return this.write(SqlStorage.purgeOp(cutoffs));
  }

  private static *purgeOp(cutoffs: PurgeCutoffs): Op<{ messages: number; fileIds: string[] }> {
    const removed = yield* run("DELETE FROM messages WHERE time < ? AND (type <> 'custom' OR time < ?)", cutoffs.chatBefore, cutoffs.medicalBefore);
    const files = yield* all<{ id: string }>('DELETE FROM files WHERE created_at < ? RETURNING id', cutoffs.chatBefore);
    return { messages: removed.changes, fileIds: files.map((r) => r.id) };
  }

  async isConversationMember(convId: string, account: string): Promise<boolean> {
    return (await this.read(one('SELECT 1 AS one FROM conversation_members WHERE conv_id = ? AND account = ?', convId, account))) !== undefined;
  }

  async conversationMembers(convId: string): Promise<string[]> {
    return (await this.read(all<{ account: string }>('SELECT account FROM conversation_members WHERE conv_id = ? ORDER BY account', convId))).map((r) => r.account);
  }

  private *addMember(convId: string, account: string): Op<void> {
    yield* run('INSERT INTO conversation_members (conv_id, account) VALUES (?, ?) ON CONFLICT DO NOTHING', convId, account);
  }

  protected static byClientId(from: string, idClient: string): Op<MessageRow | undefined> {
    return one<MessageRow>('SELECT * FROM messages WHERE from_account = ? AND id_client = ?', from, idClient);
  }

  /**
   * The stored message a resend of `m` finds: only its own, in its conversation. An idClient is unique
   * per sender (the index), so one reused in another conversation is refused, never answered with what
   * that conversation holds.
   */
  protected duplicateOf(existing: MessageRow, m: NewMessage): Appended {
    if (existing.conv_id !== m.conv.id) throw new ClientError('invalidMessage', 'this idClient was already used in another conversation; use a new one');
    return { stored: toStored(existing, this.cipher), duplicate: true };
  }

  /**
   * One append inside the caller's transaction: once per (from, idClient); the next gap-free seq and a
   * time never below the conversation's last; the upload it refers to kept; the quota counted.
   */
  protected *appendOp(m: NewMessage): Op<Appended> {
    const existing = yield* SqlStorage.byClientId(m.from, m.idClient);
    if (existing) return this.duplicateOf(existing, m);
    // Rows are locked in one order by every write (a quoted original, the consultation, the
    // conversation), as a recall (original, conversation) and a state change or transfer (consultation,
    // conversation) take them: two writes at once wait for each other rather than deadlock.
    if (m.quote) yield* this.holdOriginalOp(m.conv.id, m.quote.seq, m.quote.idClient);
    const governing = quotaOf(m);
    if (governing !== undefined) yield* this.admitOp(governing, m.from);
    const now = Date.now();
    const bump = () =>
      one<{ last_seq: number; last_time: number }>(
        'UPDATE conversations SET last_seq = last_seq + 1, last_time = CASE WHEN last_time > ? THEN last_time ELSE ? END WHERE id = ? RETURNING last_seq, last_time',
        now,
        now,
        m.conv.id,
      );
    // The conversation almost always exists: created by the first message (p2p) or the consultation (team).
    let bumped = yield* bump();
    if (!bumped) yield* run('INSERT INTO conversations (id, scene) VALUES (?, ?) ON CONFLICT DO NOTHING', m.conv.id, m.scene);
    for (const account of m.members) yield* this.addMember(m.conv.id, account);
    bumped ??= yield* bump();
    if (!bumped) throw new Error(`conversation ${m.conv.id} vanished`);
    const { row, stored } = newMessageRow(m, bumped.last_seq, bumped.last_time, this.cipher);
    const file = fileOf(m);
    if (file !== undefined && (yield* run('UPDATE files SET referenced = 1 WHERE id = ?', file)).changes === 0) throw fileGone();
    yield* run(
      `INSERT INTO messages (conv_id, seq, id_server, id_client, from_account, from_nick, scene, to_target, type, body, attach, time, quote, quote_seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      row.conv_id,
      row.seq,
      row.id_server,
      row.id_client,
      row.from_account,
      row.from_nick,
      row.scene,
      row.to_target,
      row.type,
      row.body,
      row.attach,
      row.time,
      row.quote,
      row.quote_seq,
    );
    const event = m.conv.teamId !== undefined ? eventOf(m) : undefined;
    if (event) yield* this.notifyOp(m.conv.teamId as string, m.conv.id, m.from, event, stored.seq, stored.time);
    return { stored, duplicate: false };
  }

  /**
   * The outbox step of a change, in its transaction: the consultation's other person (patient or doctor)
   * gets a row due after the collapse delay, and not sooner than the minimum interval after their last
   * notice here; while that row is open, further events collapse into it.
   */
  private *notifyOp(consultationId: string, convId: string, from: string, event: NotifyEvent, seq: number, at: number): Op<void> {
    const policy = this.notifyPolicy;
    if (!policy) return;
    const c = yield* one<{ patient: string; doctor: string }>('SELECT patient, doctor FROM consultations WHERE id = ?', consultationId);
    if (!c) return;
    const to = from === c.doctor ? c.patient : from === c.patient ? c.doctor : undefined;
    if (to === undefined) return;
    const kind: NotifyKind = event === 'message' ? (to === c.patient ? 'reply' : 'patientWrote') : event;
    const open = yield* one<{ id: string; kind: NotifyKind }>(
      "SELECT id, kind FROM notifications WHERE account = ? AND conv_id = ? AND state IN ('pending', 'retry')",
      to,
      convId,
    );
    if (open) {
      const keep = WEIGHT[open.kind] > WEIGHT[kind] ? open.kind : kind;
      yield* run('UPDATE notifications SET kind = ?, events = events + 1, seq = CASE WHEN seq > ? THEN seq ELSE ? END, event_at = ? WHERE id = ?', keep, seq, seq, at, open.id);
      return;
    }
    const now = Date.now();
    const last = yield* one<{ at: number | null }>(
      "SELECT MAX(claimed_at) AS at FROM notifications WHERE account = ? AND conv_id = ? AND state IN ('claimed', 'sent')",
      to,
      convId,
    );
    const lastAt = last?.at === null || last?.at === undefined ? undefined : Number(last.at);
    const due = Math.max(now + policy.collapseMs, lastAt === undefined ? 0 : lastAt + policy.minIntervalMs);
    yield* run(
      `INSERT INTO notifications (id, account, conv_id, consultation_id, kind, events, seq, event_at, state, due_at, attempts, created_at)
       VALUES (?, ?, ?, ?, ?, 1, ?, ?, 'pending', ?, 0, ?) ON CONFLICT DO NOTHING`,
      randomUUID(),
      to,
      convId,
      consultationId,
      kind,
      seq,
      at,
      due,
      now,
    );
  }

  /**
   * A transfer's outbox step: what was still to tell the doctor it left is now for the doctor it went
   * to (read after the move, `c.doctor`). The consultation waiting is told afresh, since the old doctor
   * may have been told already; the open row's patient events move with it and collapse as they would.
   */
  private *handOverNoticesOp(c: Consultation, from: string, at: number): Op<void> {
    const convId = teamConvId(c.id);
    const left = yield* one<{ kind: NotifyKind; seq: number; event_at: number }>(
      `UPDATE notifications SET state = 'cancelled', outcome = 'transferred', done_at = ?
       WHERE account = ? AND conv_id = ? AND state IN ('pending', 'retry') RETURNING kind, seq, event_at`,
      at,
      from,
      convId,
    );
    if (c.status === 'waiting') yield* this.notifyOp(c.id, convId, c.patient, 'waiting', 0, at);
    if (left && left.kind !== 'waiting') yield* this.notifyOp(c.id, convId, c.patient, EVENT_OF[left.kind], Number(left.seq), Number(left.event_at));
  }

  /**
   * Counts a message against its consultation, or refuses it, inside the append's transaction: the
   * UPDATE takes the consultation's row lock (PostgreSQL) before the rule is read, so concurrent sends
   * and state changes are decided one after another against the counter and state as they are.
   */
  private *admitOp(consultationId: string, from: string): Op<void> {
    // After closing, a patient's message is a follow-up (追问): counted apart from the visit's quota.
    const row = yield* one<Omit<ConsultationRow, 'id' | 'team_name' | 'created_at' | 'identity' | 'candidates' | 'intake'>>(
      `UPDATE consultations SET patient_msgs = patient_msgs + CASE WHEN patient = ? AND status <> 'closed' THEN 1 ELSE 0 END,
         follow_ups = follow_ups + CASE WHEN patient = ? AND status = 'closed' THEN 1 ELSE 0 END
       WHERE id = ? RETURNING status, patient, doctor, ends_at, max_patient_msgs, patient_msgs, accepted_at, closed_at,
         consent_version, consent_at, consent_by, follow_up_msgs, follow_up_days, follow_ups`,
      from,
      from,
      consultationId,
    );
    if (!row) return;
    const counted = row.patient === from ? 1 : 0;
    const encounter = encounterOf({ ...row, identity: null, candidates: null, intake: null });
    const c = {
      status: row.status,
      patient: row.patient,
      doctor: row.doctor,
      ...(row.ends_at !== null ? { endsAt: row.ends_at } : {}),
      ...(row.max_patient_msgs !== null ? { maxPatientMessages: row.max_patient_msgs } : {}),
      ...encounter,
      patientMessages: row.patient_msgs - (row.status !== 'closed' ? counted : 0),
      followUps: encounter.followUps - (row.status === 'closed' ? counted : 0),
    };
    // Notifications and tips are not admitted (quotaOf): a write admitted here comes from a person.
    if (!partyOf(c, from)) throw notMember();
    const reason = closedReason(c, from, this.now());
    if (reason) throw refusal(reason, c);
  }

  /**
   * A reply is stored only while its original is not recalled. The no-op UPDATE takes the original's
   * row lock (PostgreSQL) until the reply commits: a recall at the same time waits for it and then
   * empties its quote too, or went first and the reply is refused.
   */
  private *holdOriginalOp(convId: string, seq: number, idClient: string): Op<void> {
    const held = yield* one<{ seq: number }>(
      'UPDATE messages SET recalled_at = recalled_at WHERE conv_id = ? AND seq = ? AND id_client = ? AND recalled_at IS NULL RETURNING seq',
      convId,
      seq,
      idClient,
    );
    if (!held) throw replyRefusal('recalled');
  }

  /**
   * Marks `target` recalled and appends the notice, in the caller's transaction. Replies to it keep
   * who and what they quoted, but not its words: their quotes are replaced by the recalled one.
   */
  protected *recallOp(target: StoredMessage, notice: NewMessage): Op<Appended> {
    yield* run(
      'UPDATE messages SET recalled_at = COALESCE(recalled_at, ?) WHERE conv_id = ? AND from_account = ? AND id_client = ?',
      Date.now(),
      target.convId,
      target.from,
      target.idClient,
    );
    yield* run('UPDATE messages SET quote = ? WHERE conv_id = ? AND quote_seq = ?', sealQuote(recalledQuote(target), this.cipher), target.convId, target.seq);
    return yield* this.appendOp(notice);
  }

  async findMessage(convId: string, from: string, idClient: string): Promise<StoredMessage | undefined> {
    const row = await this.read(SqlStorage.byClientId(from, idClient));
    return row && row.conv_id === convId ? toStored(row, this.cipher) : undefined;
  }

  async history(convId: string, beforeSeq: number | undefined, limit: number): Promise<StoredMessage[]> {
    const rows = await this.read(
      beforeSeq === undefined
        ? all<MessageRow>('SELECT * FROM (SELECT * FROM messages WHERE conv_id = ? ORDER BY seq DESC LIMIT ?) m ORDER BY seq', convId, limit)
        : all<MessageRow>('SELECT * FROM (SELECT * FROM messages WHERE conv_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?) m ORDER BY seq', convId, beforeSeq, limit),
    );
    return rows.map((r) => toStored(r, this.cipher));
  }

  async after(convId: string, afterSeq: number, limit: number): Promise<StoredMessage[]> {
    const rows = await this.read(all<MessageRow>('SELECT * FROM messages WHERE conv_id = ? AND seq > ? ORDER BY seq LIMIT ?', convId, afterSeq, limit));
    return rows.map((r) => toStored(r, this.cipher));
  }

  async messageAt(convId: string, seq: number): Promise<StoredMessage | undefined> {
    const row = await this.read(one<MessageRow>('SELECT * FROM messages WHERE conv_id = ? AND seq = ?', convId, seq));
    return row && toStored(row, this.cipher);
  }

  async markRead(convId: string, account: string, seq: number): Promise<{ readSeq: number; raised: boolean }> {
    const { cursor, raised } = await this.write(SqlStorage.raiseCursorOp('read_seq', convId, account, seq));
    return { readSeq: cursor, raised };
  }

  async markDelivered(convId: string, account: string, seq: number): Promise<{ deliveredSeq: number; raised: boolean }> {
    const { cursor, raised } = await this.write(SqlStorage.raiseCursorOp('delivered_seq', convId, account, seq));
    return { deliveredSeq: cursor, raised };
  }

  /** Raises a member's cursor; a read raises the delivery cursor with it, so it is never below the read one. */
  private static *raiseCursorOp(column: 'read_seq' | 'delivered_seq', convId: string, account: string, seq: number): Op<{ cursor: number; raised: boolean }> {
    // A cursor past the newest message would hide messages that arrive later.
    const conv = yield* one<{ last_seq: number }>('SELECT last_seq FROM conversations WHERE id = ?', convId);
    const target = Math.min(seq, conv?.last_seq ?? 0);
    const alsoDelivered = column === 'read_seq' ? ', delivered_seq = CASE WHEN delivered_seq < ? THEN ? ELSE delivered_seq END' : '';
    const raised = yield* one<{ cursor: number }>(
      `UPDATE conversation_members SET ${column} = ?${alsoDelivered} WHERE conv_id = ? AND account = ? AND ${column} < ? RETURNING ${column} AS cursor`,
      target,
      ...(alsoDelivered ? [target, target] : []),
      convId,
      account,
      target,
    );
    if (raised) return { cursor: Number(raised.cursor), raised: true };
    const current = yield* one<{ cursor: number }>(`SELECT ${column} AS cursor FROM conversation_members WHERE conv_id = ? AND account = ?`, convId, account);
    return { cursor: Number(current?.cursor ?? 0), raised: false };
  }

  async searchMessages(convIds: string[], types: readonly MessageType[] | undefined, before: SearchPosition | undefined, limit: number): Promise<StoredMessage[]> {
    if (!convIds.length) return [];
    const ofType = types ? ` AND type IN (${types.map(() => '?').join(', ')})` : '';
    const candidates = `recalled_at IS NULL AND type NOT IN ('notification', 'tip')${ofType}`;
    // One conversation pages by its key (within it, time never goes back as seq rises); several by time.
    const rows = await this.read(
      convIds.length === 1
        ? all<MessageRow>(
            `SELECT * FROM messages WHERE conv_id = ? AND seq < ? AND ${candidates} ORDER BY seq DESC LIMIT ?`,
            convIds[0],
            before?.seq ?? Number.MAX_SAFE_INTEGER,
            ...(types ?? []),
            limit,
          )
        : all<MessageRow>(
            `SELECT * FROM messages WHERE conv_id IN (${convIds.map(() => '?').join(', ')}) AND (time, conv_id, seq) < (?, ?, ?) AND ${candidates}
             ORDER BY time DESC, conv_id DESC, seq DESC LIMIT ?`,
            ...convIds,
            before?.time ?? Number.MAX_SAFE_INTEGER,
            before?.convId ?? '',
            before?.seq ?? 0,
            ...(types ?? []),
            limit,
          ),
    );
    return rows.map((r) => toStored(r, this.cipher));
  }

  async presenceOf(account: string): Promise<PresenceRecord> {
    const row = await this.read(one<{ visible: number; last_seen: number | null }>('SELECT visible, last_seen FROM presence_settings WHERE account = ?', account));
    return { visible: row === undefined || Number(row.visible) === 1, ...(row?.last_seen != null ? { lastSeen: Number(row.last_seen) } : {}) };
  }

  async setPresenceVisible(account: string, visible: boolean, at: number): Promise<void> {
    await this.write(
      run(
        'INSERT INTO presence_settings (account, visible, updated_at) VALUES (?, ?, ?) ON CONFLICT (account) DO UPDATE SET visible = excluded.visible, updated_at = excluded.updated_at',
        account,
        visible ? 1 : 0,
        at,
      ),
    );
  }

  async setLastSeen(account: string, at: number): Promise<void> {
    await this.write(
      run(
        'INSERT INTO presence_settings (account, visible, last_seen, updated_at) VALUES (?, 1, ?, ?) ON CONFLICT (account) DO UPDATE SET last_seen = excluded.last_seen, updated_at = excluded.updated_at',
        account,
        at,
        at,
      ),
    );
  }

  /**
   * The sessions list runs on every sync: five set queries for all of an account's conversations
   * (rows, other members' cursors, last messages, consultations, unread counts), whatever their number.
   */
  conversationsOf(account: string): Promise<ConversationSummary[]> {
    return this.read(this.conversationsOp(account));
  }

  /** The same five queries, kept to the named conversations: a fetch by id reads only what it names. */
  async conversationsNamed(account: string, convIds: readonly string[]): Promise<ConversationSummary[]> {
    return convIds.length ? this.read(this.conversationsOp(account, [...new Set(convIds)])) : [];
  }

  /** Of all the account's conversations, or only of `ids` (each query's parameters: the account's, then the ids). */
  private *conversationsOp(account: string, ids?: readonly string[]): Op<ConversationSummary[]> {
    const named = ids ?? [];
    const convs = yield* all<ConversationRow>(
      `SELECT c.id, c.scene, c.team_id, c.team_name, c.last_seq, m.read_seq, m.delivered_seq
       FROM conversation_members m JOIN conversations c ON c.id = m.conv_id
       WHERE m.account = ?${among('m.conv_id', ids)} ORDER BY c.last_time DESC, c.id`,
      account,
      ...named,
    );
    const others = yield* all<{ conv_id: string; account: string; read_seq: number; delivered_seq: number }>(MY_OTHERS(ids), account, ...named, account);
    const lasts = yield* all<MessageRow>(MY_LASTS(ids), account, ...named);
    const consultations = yield* all<ConsultationRow>(MY_CONSULTATIONS(ids), account, ...named);
    // Notifications (recalls) are bookkeeping, not something to read.
    const unread = yield* all<{ conv_id: string; n: number }>(
      `SELECT u.conv_id, COUNT(*) AS n FROM messages u JOIN conversation_members m ON m.conv_id = u.conv_id AND m.account = ?${among('m.conv_id', ids)}
       WHERE u.seq > m.read_seq AND u.from_account <> ? AND u.type <> 'notification' GROUP BY u.conv_id`,
      account,
      ...named,
      account,
    );
    const othersOf = new Map<string, Array<{ account: string; read_seq: number; delivered_seq: number }>>();
    for (const o of others) othersOf.set(o.conv_id, [...(othersOf.get(o.conv_id) ?? []), o]);
    const lastOf = new Map(lasts.map((r) => [r.conv_id, r]));
    const consultationOf = new Map(consultations.map((r) => [r.id, r]));
    const unreadOf = new Map(unread.map((r) => [r.conv_id, Number(r.n)]));
    return convs.map((c) =>
      toSummary(
        c,
        {
          others: othersOf.get(c.id) ?? [],
          last: lastOf.get(c.id),
          consultation: c.team_id ? consultationOf.get(c.team_id) : undefined,
          unread: unreadOf.get(c.id) ?? 0,
        },
        this.cipher,
      ),
    );
  }

  async putFile(f: StoredFile): Promise<void> {
    await this.write(
      run(
        'INSERT INTO files (id, owner, kind, name, ext, mime, size, w, h, dur, thumb, created_at, referenced) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)',
        f.id,
        f.owner,
        f.kind,
        this.cipher.seal(f.name),
        f.ext,
        f.mime,
        f.size,
        f.w ?? null,
        f.h ?? null,
        f.dur ?? null,
        f.thumb ? 1 : 0,
        f.createdAt,
      ),
    );
  }

  async getFile(id: string): Promise<StoredFile | undefined> {
    const row = await this.read(one<FileRow>('SELECT * FROM files WHERE id = ?', id));
    return row && toFile(row, this.cipher);
  }

  async recordUpload(owner: string, at: number, bytes: number): Promise<void> {
    await this.write(run('INSERT INTO upload_attempts (owner, at, bytes) VALUES (?, ?, ?)', owner, at, bytes));
  }

  async uploadsSince(owner: string, since: number): Promise<{ count: number; bytes: number }> {
    const row = await this.read(
      one<{ count: number; bytes: number }>(
        'SELECT COUNT(*) AS count, CAST(COALESCE(SUM(bytes), 0) AS BIGINT) AS bytes FROM upload_attempts WHERE owner = ? AND at >= ?',
        owner,
        since,
      ),
    );
    return { count: Number(row?.count ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  async forgetUploadsBefore(before: number): Promise<void> {
    await this.write(run('DELETE FROM upload_attempts WHERE at < ?', before));
  }

  bindMiniapp(b: MiniappBinding): Promise<{ previous?: string }> {
    return this.write(this.bindMiniappOp(b));
  }

  /** Rows under older data keys' MACs go too, so that one user never has two bindings. */
  private *bindMiniappOp(b: MiniappBinding): Op<{ previous?: string }> {
    const found = yield* one<{ account: string }>(`SELECT account FROM miniapp_bindings WHERE ${BY_MAC(b.openidMacs)}`, b.platform, b.appid, ...b.openidMacs);
    yield* run(`DELETE FROM miniapp_bindings WHERE ${BY_MAC(b.openidMacs.slice(1))}`, b.platform, b.appid, ...b.openidMacs.slice(1));
    yield* run(
      `INSERT INTO miniapp_bindings (platform, appid, openid_mac, openid, unionid, account, bound_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (platform, appid, openid_mac) DO UPDATE SET openid = excluded.openid, unionid = excluded.unionid, account = excluded.account, bound_at = excluded.bound_at`,
      b.platform,
      b.appid,
      b.openidMacs[0],
      this.cipher.seal(b.openid),
      b.unionid === undefined ? null : this.cipher.seal(b.unionid),
      b.account,
      b.boundAt,
    );
    return found && found.account !== b.account ? { previous: found.account } : {};
  }

  async miniappAccount(platform: string, appid: string, openidMacs: string[]): Promise<string | undefined> {
    return (await this.read(one<{ account: string }>(`SELECT account FROM miniapp_bindings WHERE ${BY_MAC(openidMacs)}`, platform, appid, ...openidMacs)))?.account;
  }

  async unbindMiniapp(platform: string, appid: string, openidMacs: string[], account: string): Promise<boolean> {
    const removed = await this.write(run(`DELETE FROM miniapp_bindings WHERE ${BY_MAC(openidMacs)} AND account = ?`, platform, appid, ...openidMacs, account));
    return removed.changes > 0;
  }

  async unbindMiniappAll(account: string): Promise<number> {
    return (await this.write(run('DELETE FROM miniapp_bindings WHERE account = ?', account))).changes;
  }

  async miniappBindingsOf(account: string): Promise<Array<Omit<MiniappBinding, 'openidMacs'>>> {
    const rows = await this.read(
      all<{ platform: string; appid: string; openid: string; unionid: string | null; bound_at: number }>(
        'SELECT platform, appid, openid, unionid, bound_at FROM miniapp_bindings WHERE account = ? ORDER BY bound_at, platform, appid',
        account,
      ),
    );
    return rows.map((r) => ({
      platform: r.platform,
      appid: r.appid,
      openid: this.cipher.open(r.openid),
      ...(r.unionid === null ? {} : { unionid: this.cipher.open(r.unionid) }),
      account,
      boundAt: r.bound_at,
    }));
  }

  async platformToken(name: string): Promise<{ token: string; expiresAt: number } | undefined> {
    const row = await this.read(one<{ token: string; expires_at: number }>('SELECT token, expires_at FROM platform_tokens WHERE name = ?', name));
    return row && { token: this.cipher.open(row.token), expiresAt: row.expires_at };
  }

  async putPlatformToken(name: string, token: string, expiresAt: number): Promise<void> {
    await this.write(
      run(
        'INSERT INTO platform_tokens (name, token, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at',
        name,
        this.cipher.seal(token),
        expiresAt,
      ),
    );
  }

  async removeOrphanFiles(before: number): Promise<string[]> {
    return (await this.write(all<{ id: string }>('DELETE FROM files WHERE referenced = 0 AND created_at < ? RETURNING id', before))).map((r) => r.id);
  }

  setNotifyPolicy(policy: NotifyPolicy | undefined): void {
    this.notifyPolicy = policy;
  }

  claimNotifications(node: string, now: number, leaseMs: number, limit: number): Promise<ClaimedNotification[]> {
    return this.write(this.claimOp(node, now, leaseMs, limit));
  }

  private *claimOp(node: string, now: number, leaseMs: number, limit: number): Op<ClaimedNotification[]> {
    const rows = yield* all<NotificationRow>(
      `UPDATE notifications SET state = 'claimed', claimed_by = ?, claimed_at = ?, lease_until = ?, attempts = attempts + 1
       WHERE id IN (SELECT id FROM notifications
         WHERE (state IN ('pending', 'retry') AND due_at <= ?) OR (state = 'claimed' AND lease_until < ?)
         ORDER BY due_at LIMIT ?${this.skipLocked})
       RETURNING id, account, conv_id, consultation_id, kind, events, seq, event_at, attempts, lease_until`,
      node,
      now,
      now + leaseMs,
      now,
      now,
      limit,
    );
    const out: ClaimedNotification[] = [];
    for (const r of rows) {
      const member = yield* one<{ read_seq: number }>('SELECT read_seq FROM conversation_members WHERE conv_id = ? AND account = ?', r.conv_id, r.account);
      out.push({
        id: r.id,
        account: r.account,
        convId: r.conv_id,
        ...(r.consultation_id === null ? {} : { consultationId: r.consultation_id }),
        kind: r.kind,
        events: Number(r.events),
        seq: Number(r.seq),
        eventAt: Number(r.event_at),
        attempts: Number(r.attempts),
        leaseUntil: Number(r.lease_until),
        readSeq: Number(member?.read_seq ?? 0),
      });
    }
    return out;
  }

  finishNotification(id: string, node: string, now: number, outcome: NotifyOutcome): Promise<boolean> {
    return this.write(SqlStorage.finishOp(id, node, now, outcome));
  }

  /** A retry gives way to an open row of the same person and conversation: that one will tell them. */
  private static *finishOp(id: string, node: string, now: number, o: NotifyOutcome): Op<boolean> {
    const mine = yield* one<{ account: string; conv_id: string }>("SELECT account, conv_id FROM notifications WHERE id = ? AND claimed_by = ? AND state = 'claimed'", id, node);
    if (!mine) return false;
    if (o.state === 'retry') {
      const open = yield* one("SELECT 1 AS one FROM notifications WHERE account = ? AND conv_id = ? AND state IN ('pending', 'retry')", mine.account, mine.conv_id);
      if (!open) {
        yield* run("UPDATE notifications SET state = 'retry', due_at = ?, outcome = ?, lease_until = NULL WHERE id = ?", o.dueAt, o.outcome, id);
        return true;
      }
      yield* run("UPDATE notifications SET state = 'cancelled', outcome = 'collapsed', done_at = ? WHERE id = ?", now, id);
      return true;
    }
    yield* run('UPDATE notifications SET state = ?, outcome = ?, done_at = ? WHERE id = ?', o.state, o.outcome, now, id);
    return true;
  }

  async notificationQueue(): Promise<number> {
    const row = await this.read(one<{ n: number }>("SELECT COUNT(*) AS n FROM notifications WHERE state IN ('pending', 'retry')"));
    return Number(row?.n ?? 0);
  }

  async notificationsOf(account: string) {
    const rows = await this.read(
      all<{ id: string; conv_id: string; kind: NotifyKind; events: number; state: string; outcome: string | null; attempts: number }>(
        'SELECT id, conv_id, kind, events, state, outcome, attempts FROM notifications WHERE account = ? ORDER BY created_at, id',
        account,
      ),
    );
    return rows.map((r) => ({
      id: r.id,
      convId: r.conv_id,
      kind: r.kind,
      events: Number(r.events),
      state: r.state,
      ...(r.outcome === null ? {} : { outcome: r.outcome }),
      attempts: Number(r.attempts),
    }));
  }

  changeNotifyConsent(account: string, platform: string, template: string, change: 'grant' | 'use' | 'revoke', at: number): Promise<number> {
    return this.write(SqlStorage.consentOp(account, platform, template, change, at));
  }

  /** One-time subscriptions add up on the platform; we count at most this many. */
  private static *consentOp(account: string, platform: string, template: string, change: 'grant' | 'use' | 'revoke', at: number): Op<number> {
    const delta = change === 'grant' ? 1 : change === 'use' ? -1 : 0;
    const row = yield* one<{ remaining: number }>(
      `INSERT INTO notify_consents (account, platform, template, remaining, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (account, platform, template) DO UPDATE SET updated_at = excluded.updated_at,
         remaining = CASE WHEN ? = 0 THEN 0 WHEN notify_consents.remaining + ? < 0 THEN 0 WHEN notify_consents.remaining + ? > 100 THEN 100 ELSE notify_consents.remaining + ? END
       RETURNING remaining`,
      account,
      platform,
      template,
      Math.max(0, delta),
      at,
      change === 'revoke' ? 0 : 1,
      delta,
      delta,
      delta,
    );
    return Number(row?.remaining ?? 0);
  }

  async notifyConsents(account: string): Promise<NotifyConsent[]> {
    const rows = await this.read(
      all<NotifyConsent>('SELECT platform, template, remaining FROM notify_consents WHERE account = ? ORDER BY platform, template', account),
    );
    return rows.map((r) => ({ ...r, remaining: Number(r.remaining) }));
  }

  async setNotifyEnabled(account: string, enabled: boolean, at: number): Promise<void> {
    await this.write(
      run(
        'INSERT INTO notify_settings (account, enabled, updated_at) VALUES (?, ?, ?) ON CONFLICT (account) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at',
        account,
        enabled ? 1 : 0,
        at,
      ),
    );
  }

  async notifyEnabled(account: string): Promise<boolean> {
    const row = await this.read(one<{ enabled: number }>('SELECT enabled FROM notify_settings WHERE account = ?', account));
    return row === undefined || Number(row.enabled) === 1;
  }

  async accountsWithRole(role: Role): Promise<string[]> {
    return (await this.read(all<{ account: string }>('SELECT account FROM accounts WHERE role = ? ORDER BY account', role))).map((r) => r.account);
  }

  async doctorDirectory(): Promise<TransferTarget[]> {
    const rows = await this.read(
      all<{ account: string; name: string; title: string | null; department: string | null }>(
        `SELECT a.account, a.name, p.title, p.department FROM accounts a LEFT JOIN doctor_profiles p ON p.account = a.account
         WHERE a.role = 'doctor' ORDER BY a.account`,
      ),
    );
    return rows.map((r) => ({
      account: r.account,
      name: this.cipher.openName(r.name),
      ...(r.title ? { title: r.title } : {}),
      ...(r.department ? { department: r.department } : {}),
    }));
  }

  private toPrescription(r: PrescriptionRow): StoredPrescription {
    // The reason is the pharmacist's words about the drugs: sealed like the card.
    return {
      ...(JSON.parse(this.cipher.open(r.card)) as RxCard),
      convId: r.conv_id,
      seq: Number(r.seq),
      state: r.state,
      ...(r.reason !== null ? { reason: this.cipher.open(r.reason) } : {}),
      ...(r.reviewer !== null ? { reviewer: r.reviewer } : {}),
      ...(r.reviewed_at !== null ? { reviewedAt: Number(r.reviewed_at) } : {}),
      ...(r.corrected_by !== null ? { correctedBy: r.corrected_by } : {}),
    };
  }

  private *prescriptionOp(id: string): Op<StoredPrescription | undefined> {
    const row = yield* one<PrescriptionRow>('SELECT * FROM prescriptions WHERE id = ?', id);
    return row && this.toPrescription(row);
  }

  issuePrescription(
    card: RxCard,
    message: NewMessage,
    audit?: AuditFor<PrescriptionIssued>,
  ): Promise<Audited<PrescriptionIssued & { duplicate: boolean }>> {
    return this.write(this.auditedOp(this.issueOp(card, message), audit));
  }

  private *issueOp(card: RxCard, message: NewMessage): Op<PrescriptionIssued & { duplicate: boolean }> {
    const { stored, duplicate } = yield* this.appendOp(message);
    if (duplicate) {
      const row = yield* one<PrescriptionRow>('SELECT * FROM prescriptions WHERE conv_id = ? AND seq = ?', stored.convId, stored.seq);
      if (!row) throw new ClientError('invalidMessage', 'this idClient was used for another message');
      return { prescription: this.toPrescription(row), stored, duplicate };
    }
    const rx = card.rx;
    // The append's admission locked the consultation's row: its doctor and state are as they are now,
    // not as the checks before the transaction read them (a transfer or a close may have come between).
    // The issuer's role was checked before and is not what a concurrent change moves.
    const c = (yield* this.consultationOp(rx.consultationId)) as Consultation;
    const refused = issueRefusal({ account: rx.doctor, role: 'doctor' }, c);
    if (refused) throw issueRefused(refused, c);
    if (rx.corrects !== undefined) {
      const marked = yield* run(
        "UPDATE prescriptions SET corrected_by = ? WHERE id = ? AND consultation_id = ? AND state = 'rejected' AND corrected_by IS NULL",
        rx.id,
        rx.corrects,
        rx.consultationId,
      );
      if (marked.changes === 0) throw new ClientError('invalidTransition', '只能更正本次问诊中未通过审核、尚未更正的处方');
    }
    yield* run(
      `INSERT INTO prescriptions (id, consultation_id, conv_id, seq, doctor, patient, card, state, corrects, issued_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      rx.id,
      rx.consultationId,
      stored.convId,
      stored.seq,
      rx.doctor,
      rx.patient,
      this.cipher.seal(JSON.stringify(card)),
      rx.corrects ?? null,
      rx.issuedAt,
    );
    return { prescription: (yield* this.prescriptionOp(rx.id)) as StoredPrescription, stored, duplicate };
  }

  prescription(id: string): Promise<StoredPrescription | undefined> {
    return this.read(this.prescriptionOp(id));
  }

  async prescriptionsInState(state: PrescriptionState, afterIssuedAt: number, limit: number): Promise<StoredPrescription[]> {
    const rows = await this.read(
      all<PrescriptionRow>('SELECT * FROM prescriptions WHERE state = ? AND issued_at > ? ORDER BY issued_at, id LIMIT ?', state, afterIssuedAt, limit),
    );
    return rows.map((r) => this.toPrescription(r));
  }

  reviewPrescription(
    id: string,
    review: PrescriptionReview,
    notice: NewMessage,
    audit?: AuditFor<PrescriptionReviewed>,
  ): Promise<Audited<PrescriptionReviewed> | undefined> {
    return this.write(this.auditedOp(this.reviewOp(id, review, notice), audit));
  }

  private *reviewOp(id: string, review: PrescriptionReview, notice: NewMessage): Op<PrescriptionReviewed | undefined> {
    const moved = yield* run(
      "UPDATE prescriptions SET state = ?, reason = ?, reviewer = ?, reviewed_at = ? WHERE id = ? AND state = 'pending'",
      review.state,
      review.reason === undefined ? null : this.cipher.seal(review.reason),
      review.reviewer,
      review.at,
      id,
    );
    if (moved.changes === 0) return undefined;
    const { stored } = yield* this.appendOp(notice);
    return { prescription: (yield* this.prescriptionOp(id)) as StoredPrescription, notice: stored };
  }

  transferConsultation(
    id: string,
    from: string,
    to: string,
    notice: NewMessage,
    audit?: AuditFor<ConsultationTransferred>,
  ) {
    return this.write(this.auditedOp(this.transferOp(id, from, to, notice), audit));
  }

  private *transferOp(
    id: string,
    from: string,
    to: string,
    notice: NewMessage,
  ): Op<ConsultationTransferred | undefined> {
    const moved = yield* run("UPDATE consultations SET doctor = ? WHERE id = ? AND doctor = ? AND status IN ('waiting', 'inProgress')", to, id, from);
    if (moved.changes === 0) return undefined;
    // Read under the row lock the UPDATE took: nothing changes it between this and the commit.
    const consultation = (yield* this.consultationOp(id)) as Consultation;
    const convId = teamConvId(id);
    const conv = yield* one<{ last_seq: number }>('SELECT last_seq FROM conversations WHERE id = ?', convId);
    const transfer: TransferRecord = { consultationId: id, from, to, atSeq: Number(conv?.last_seq ?? 0), at: Date.now() };
    // The records the patient was offered to confirm are not what the doctor it left had seen.
    const { candidates: _offered, ...left } = consultation;
    yield* run(
      'INSERT INTO consultation_transfers (consultation_id, from_doctor, to_doctor, at_seq, at, left_state) VALUES (?, ?, ?, ?, ?, ?)',
      id,
      from,
      to,
      transfer.atSeq,
      transfer.at,
      this.cipher.seal(JSON.stringify(left)),
    );
    yield* run('DELETE FROM conversation_members WHERE conv_id = ? AND account = ?', convId, from);
    yield* this.addMember(convId, to);
    yield* this.handOverNoticesOp(consultation, from, transfer.at);
    const { stored } = yield* this.appendOp(notice);
    return { consultation, notice: stored, transfer };
  }

  async transfersOf(consultationId: string): Promise<TransferRecord[]> {
    const rows = await this.read(all<TransferRow>('SELECT * FROM consultation_transfers WHERE consultation_id = ? ORDER BY at_seq, at', consultationId));
    return rows.map(toTransfer);
  }

  async transfersFrom(doctor: string, consultationIds?: readonly string[]): Promise<TransferAway[]> {
    if (consultationIds?.length === 0) return [];
    const rows = await this.read(
      all<TransferRow>(
        `SELECT * FROM consultation_transfers WHERE from_doctor = ?${among('consultation_id', consultationIds)} ORDER BY at, consultation_id`,
        doctor,
        ...(consultationIds ?? []),
      ),
    );
    return rows.map((r) => ({ ...toTransfer(r), ...(r.left_state !== null ? { left: JSON.parse(this.cipher.open(r.left_state)) as Consultation } : {}) }));
  }
  confirmIdentity(id: string, identity: IdentityRecord): Promise<Consultation | undefined> {
    return this.write(this.confirmIdentityOp(id, identity));
  }

  private *confirmIdentityOp(id: string, identity: IdentityRecord): Op<Consultation | undefined> {
    const set = yield* run('UPDATE consultations SET identity = ? WHERE id = ? AND identity IS NULL', this.cipher.seal(JSON.stringify(identity)), id);
    return set.changes === 0 ? undefined : yield* this.consultationOp(id);
  }

  giveConsent(
    id: string,
    consent: ConsentRecord,
    notice: NewMessage,
    audit?: AuditFor<ConsultationChange>,
  ): Promise<Audited<ConsultationChange> | undefined> {
    return this.write(this.auditedOp(this.giveConsentOp(id, consent, notice), audit));
  }

  private *giveConsentOp(id: string, consent: ConsentRecord, notice: NewMessage): Op<ConsultationChange | undefined> {
    const set = yield* run(
      'UPDATE consultations SET consent_version = ?, consent_at = ?, consent_by = ? WHERE id = ? AND consent_at IS NULL',
      consent.version,
      consent.acceptedAt,
      consent.by,
      id,
    );
    if (set.changes === 0) return undefined;
    const { stored } = yield* this.appendOp(notice);
    return { consultation: (yield* this.consultationOp(id)) as Consultation, notice: stored };
  }

  putIntake(
    id: string,
    card: IntakeCard,
    msg: NewMessage,
    audit?: AuditFor<{ consultation: Consultation; stored: StoredMessage }>,
  ): Promise<Audited<{ consultation: Consultation; stored: StoredMessage }> | undefined> {
    return this.write(this.auditedOp(this.putIntakeOp(id, card, msg), audit));
  }

  private *putIntakeOp(id: string, card: IntakeCard, msg: NewMessage): Op<{ consultation: Consultation; stored: StoredMessage } | undefined> {
    const set = yield* run('UPDATE consultations SET intake = ? WHERE id = ? AND intake IS NULL', this.cipher.seal(JSON.stringify(card)), id);
    if (set.changes === 0) return undefined;
    for (const a of card.attachments) {
      if ((yield* run('UPDATE files SET referenced = 1 WHERE id = ?', a.fileId)).changes === 0) throw fileGone();
    }
    const { stored } = yield* this.appendOp(msg);
    return { consultation: (yield* this.consultationOp(id)) as Consultation, stored };
  }

  async putDoctorProfile(account: string, p: Omit<DoctorIdentity, 'name'>, at: number): Promise<void> {
    await this.write(
      run(
        `INSERT INTO doctor_profiles (account, title, department, licence, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (account) DO UPDATE SET title = excluded.title, department = excluded.department, licence = excluded.licence, updated_at = excluded.updated_at`,
        account,
        p.title,
        p.department,
        p.licence,
        at,
      ),
    );
  }

  async doctorProfile(account: string): Promise<Omit<DoctorIdentity, 'name'> | undefined> {
    return this.read(one<Omit<DoctorIdentity, 'name'>>('SELECT title, department, licence FROM doctor_profiles WHERE account = ?', account));
  }

  async rate(r: Rating): Promise<boolean> {
    const added = await this.write(
      run(
        'INSERT INTO ratings (consultation_id, doctor, patient, stars, tags, comment, rated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        r.consultationId,
        r.doctor,
        r.patient,
        r.stars,
        JSON.stringify(r.tags),
        r.comment === undefined ? null : this.cipher.seal(r.comment),
        r.ratedAt,
      ),
    );
    return added.changes === 1;
  }

  private toRating(r: RatingRow): Rating {
    return {
      consultationId: r.consultation_id,
      doctor: r.doctor,
      patient: r.patient,
      stars: Number(r.stars),
      tags: JSON.parse(r.tags) as RatingTag[],
      ...(r.comment === null ? {} : { comment: this.cipher.open(r.comment) }),
      ratedAt: Number(r.rated_at),
    };
  }

  async rating(consultationId: string): Promise<Rating | undefined> {
    const row = await this.read(one<RatingRow>('SELECT * FROM ratings WHERE consultation_id = ?', consultationId));
    return row && this.toRating(row);
  }

  async ratingSummary(doctor: string): Promise<RatingSummary> {
    const row = await this.read(one<{ total: number | null; n: number }>('SELECT SUM(stars) AS total, COUNT(*) AS n FROM ratings WHERE doctor = ?', doctor));
    const count = Number(row?.n ?? 0);
    return { average: count ? Math.round((Number(row?.total) / count) * 10) / 10 : 0, count };
  }

  async ratings(q: RatingsQuery): Promise<Rating[]> {
    const after = q.after ?? { ratedAt: -1, consultationId: '' };
    const rows = await this.read(
      all<RatingRow>(
        `SELECT * FROM ratings WHERE (? = '' OR doctor = ?) AND (rated_at > ? OR (rated_at = ? AND consultation_id > ?))
         ORDER BY rated_at, consultation_id LIMIT ?`,
        q.doctor ?? '',
        q.doctor ?? '',
        after.ratedAt,
        after.ratedAt,
        after.consultationId,
        q.limit,
      ),
    );
    return rows.map((r) => this.toRating(r));
  }

  /** A doctor's replies are what they write to patients (diagnoses, drugs): sealed like message bodies. */
  async quickReplies(doctor: string): Promise<QuickReply[]> {
    const row = await this.read(one<{ items: string }>('SELECT items FROM quick_replies WHERE doctor = ?', doctor));
    return row ? (JSON.parse(this.cipher.openStored(row.items)) as QuickReply[]) : [];
  }

  editQuickReplies(doctor: string, edit: (current: QuickReply[]) => QuickReply[], at: number): Promise<QuickReply[]> {
    return this.write(this.editQuickRepliesOp(doctor, edit, at));
  }

  /** The UPDATE takes the row's lock first (PostgreSQL): two devices editing at once apply one after the other. */
  private *editQuickRepliesOp(doctor: string, edit: (current: QuickReply[]) => QuickReply[], at: number): Op<QuickReply[]> {
    yield* run('INSERT INTO quick_replies (doctor, items, updated_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', doctor, this.cipher.seal('[]'), at);
    const row = (yield* one<{ items: string }>('UPDATE quick_replies SET updated_at = ? WHERE doctor = ? RETURNING items', at, doctor)) as { items: string };
    const next = edit(JSON.parse(this.cipher.openStored(row.items)) as QuickReply[]);
    yield* run('UPDATE quick_replies SET items = ? WHERE doctor = ?', this.cipher.seal(JSON.stringify(next)), doctor);
    return next;
  }
}

interface RatingRow {
  consultation_id: string;
  doctor: string;
  patient: string;
  stars: number;
  tags: string;
  comment: string | null;
  rated_at: number;
}
