import type { ConsentRecord, DoctorIdentity, FollowUpRule, IdentityRecord, IntakeCard, QuickReply, Rating, RatingSummary } from '../../types/encounter';
import type { MediaKind } from '../../types/media';
import type { Account, ConsultationAction, ConsultationStatus, MessageType, Quote, Role, Scene } from '../../types/message';
import type { PrescriptionRecord, PrescriptionState, RxCard } from '../../types/prescription';
import type { TransferRecord, TransferTarget } from '../../types/transfer';

/**
 * A conversation as the server keys it: one per team, one per unordered pair of accounts for p2p.
 * Viewer-relative session ids (`p2p-<peer>`) are derived from it per recipient.
 */
export interface ConversationRef {
  id: string;
  scene: Scene;
  /** p2p: both accounts; team: the team id. */
  members?: [string, string];
  teamId?: string;
}

export interface StoredMessage {
  convId: string;
  seq: number;
  idServer: string;
  idClient: string;
  from: string;
  fromNick?: string;
  scene: Scene;
  to: string;
  type: MessageType;
  body: string;
  attach?: Record<string, unknown>;
  time: number;
  /** Set once the sender recalled it; the row is kept (medical records are retained) but never shown. */
  recalledAt?: number;
  /** A reply's quote as the server made it (sealed like the body); emptied when the original is recalled. */
  quote?: Quote;
}

export interface NewMessage {
  conv: ConversationRef;
  idClient: string;
  from: string;
  fromNick?: string;
  scene: Scene;
  to: string;
  type: MessageType;
  body: string;
  attach?: Record<string, unknown>;
  /** Members to attach to a p2p conversation on its first message. */
  members: string[];
  /**
   * The consultation that governs this message (default: the team's): the append takes it only while
   * the consultation is open to its sender (types/consultation.ts), checked and counted against the
   * patient's quota in the append's own transaction, so concurrent sends cannot overrun it.
   */
  consultationId?: string;
  /**
   * A reply's quote: the append takes it only while the original (quote.seq in this conversation,
   * same idClient) is not recalled, checked in its own transaction so that a recall cannot slip between.
   */
  quote?: Quote;
}

/** Where a search stands: messages before this one, newest first by (time, conversation, seq). */
export interface SearchPosition {
  time: number;
  convId: string;
  seq: number;
}

/** A doctor's presence as stored: whether patients may see it, and when their last connection closed. */
export interface PresenceRecord {
  visible: boolean;
  lastSeen?: number;
}

/** An uploaded file: the bytes live on disk under its id, this is what the server measured of them. */
export interface StoredFile {
  id: string;
  owner: string;
  kind: MediaKind;
  name: string;
  ext: string;
  mime: string;
  size: number;
  w?: number;
  h?: number;
  /** Audio/video duration in ms, as the uploader's recorder reported it (capped). */
  dur?: number;
  /** Whether a thumbnail was made (images). */
  thumb: boolean;
  createdAt: number;
}

export interface Consultation {
  id: string;
  teamName: string;
  patient: string;
  doctor: string;
  status: ConsultationStatus;
  createdAt: number;
  maxPatientMessages?: number;
  endsAt?: number;
  /** Messages the patient has sent (notifications and tips not counted). */
  patientMessages: number;
  acceptedAt?: number;
  closedAt?: number;
  consent?: ConsentRecord;
  /** The confirmed identity, and the hospital's records to confirm one of (opened from their sealed columns). */
  identity?: IdentityRecord;
  candidates?: IdentityRecord[];
  intake?: IntakeCard;
  followUp?: FollowUpRule;
  /** Follow-up messages (追问) the patient sent after closing. */
  followUps: number;
}

export interface NewConsultation {
  id: string;
  patient: string;
  doctor: string;
  teamName: string;
  status?: ConsultationStatus;
  maxPatientMessages?: number;
  endsAt?: number;
  /** Consent the hospital recorded (at its counter, in its own app) before opening the consultation. */
  consent?: ConsentRecord;
  identity?: IdentityRecord;
  candidates?: IdentityRecord[];
  /** The intake the hospital's system filled: stored, and appended as the conversation's first card. */
  intake?: IntakeCard;
  followUp?: FollowUpRule;
}

/** Where a page of ratings starts: after this one (ordered by time, then consultation id). */
export interface RatingsQuery {
  doctor?: string;
  after?: { ratedAt: number; consultationId: string };
  limit: number;
}

/** One audit record; `hash` chains it to the one before (see server/audit.ts). */
export interface AuditRecord {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  /** JSON; never message text or personal data beyond account ids. */
  detail: string;
  prevHash: string;
  hash: string;
}

/** Builds the next audit record from the chain's head (undefined for the first record): server/audit.ts. */
export type AuditEntry = (prev: Pick<AuditRecord, 'seq' | 'hash'> | undefined) => AuditRecord;

/**
 * The audit record of a write that stores a message (a send, a notice), made from what it stored inside
 * its transaction: neither is stored without the other. None for a retry that stored nothing new.
 */
export type AuditFor<R> = (result: R) => AuditEntry;

/** A write's result with the record its `AuditFor` wrote. */
export type Audited<R> = R & { audit?: AuditRecord };

/** A message as stored, or as first stored (`duplicate`), with the record its append wrote. */
export type Appended = Audited<{ stored: StoredMessage; duplicate: boolean }>;

/** A consultation as a change left it, and the notice that change appended to its conversation. */
export interface ConsultationChange {
  consultation: Consultation;
  notice: StoredMessage;
}

/**
 * A transfer away from a doctor, with the consultation as it was the moment it left them (what they keep
 * seeing of it); none for transfers stored before that was kept.
 */
export interface TransferAway extends TransferRecord {
  left?: Consultation;
}

/** A consultation handed to another doctor: the change, and the transfer as recorded. */
export interface ConsultationTransferred extends ConsultationChange {
  transfer: TransferRecord;
}

/** A prescription issued: the prescription and its card message. */
export interface PrescriptionIssued {
  prescription: StoredPrescription;
  stored: StoredMessage;
}

/** A prescription reviewed: the prescription and the notice of its new state. */
export interface PrescriptionReviewed {
  prescription: StoredPrescription;
  notice: StoredMessage;
}

/** What a purge may remove: older than these times (ms). */
export interface PurgeCutoffs {
  /** Chat messages and files. */
  chatBefore: number;
  /** Medical records (cards). */
  medicalBefore: number;
}

export interface ConversationSummary {
  convId: string;
  scene: Scene;
  teamId?: string;
  teamName?: string;
  /** The other account of a p2p conversation. */
  peer?: string;
  lastSeq: number;
  readSeq: number;
  /** Highest seq that reached one of this account's devices (never below readSeq). */
  deliveredSeq: number;
  /** Lowest read cursor among the other members (the receipt watermark). */
  peerReadSeq: number;
  memberReads: Record<string, number>;
  /** Lowest delivery cursor among the other members (never below their read cursors). */
  peerDeliveredSeq: number;
  unread: number;
  lastMsg?: StoredMessage;
  consultation?: Consultation;
}

/** A mini-program user bound to an account (the openid sealed at rest, found by its MAC). */
export interface MiniappBinding {
  platform: string;
  appid: string;
  /** The lookup key under each configured data key, the active one first (see platforms/identity.ts). */
  openidMacs: string[];
  openid: string;
  unionid?: string;
  account: string;
  boundAt: number;
}

/** What makes a notification due (issue 16); the worker words it, never with message content. */
export type NotifyKind = 'reply' | 'card' | 'accepted' | 'closed' | 'cancelled' | 'waiting' | 'patientWrote';

/** When the outbox makes a row due: a collapse delay after the first event, never sooner than the interval after the last notice. */
export interface NotifyPolicy {
  collapseMs: number;
  minIntervalMs: number;
}

/** An outbox row a worker holds (claimed until `leaseUntil`). */
export interface ClaimedNotification {
  id: string;
  account: string;
  convId: string;
  consultationId?: string;
  kind: NotifyKind;
  /** Events collapsed into it. */
  events: number;
  /** The newest message it is about (0: none, e.g. a new consultation); read up to it = nothing to tell. */
  seq: number;
  eventAt: number;
  attempts: number;
  leaseUntil: number;
  /** The person's read cursor in the conversation now. */
  readSeq: number;
}

/** How a claimed row ends, or `retry` at `dueAt`. */
export type NotifyOutcome =
  | { state: 'sent' | 'refused' | 'dropped' | 'cancelled'; outcome: string }
  | { state: 'retry'; outcome: string; dueAt: number };

export interface NotifyConsent {
  platform: string;
  template: string;
  remaining: number;
}

/** A prescription as stored: its record and where its card message is. */
export interface StoredPrescription extends PrescriptionRecord {
  convId: string;
  seq: number;
}

/** A review's outcome, stored with its notice in one transaction. */
export interface PrescriptionReview {
  state: Exclude<PrescriptionState, 'pending'>;
  reason?: string;
  reviewer: string;
  at: number;
}

/**
 * Persistence of the IM server. Async so that a network database can implement it as well as SQLite.
 */
export interface Storage {
  upsertAccount(account: Account): Promise<void>;
  getAccount(account: string): Promise<Account | undefined>;
  createConsultation(c: NewConsultation, audit?: AuditFor<Consultation>): Promise<Audited<Consultation>>;
  consultation(id: string): Promise<Consultation | undefined>;
  setConsultationStatus(id: string, status: ConsultationStatus): Promise<Consultation>;
  /**
   * Takes `action` (types/consultation.ts) for the notice's sender and appends the notice, in one
   * transaction; undefined (nothing changed) when the consultation was in none of the action's states
   * by then; refused (forbidden) when the sender is no longer the party the action needs.
   */
  transitionConsultation(
    id: string,
    action: ConsultationAction,
    notice: NewMessage,
    audit?: AuditFor<ConsultationChange>,
  ): Promise<Audited<ConsultationChange> | undefined>;
  /**
   * Revokes one session of `account` (`sid`), or with `sid` '*' every session of it that started
   * before `at` (ms).
   */
  revokeSessions(account: string, sid: string, at: number): Promise<void>;
  /** Whether the session `sid` (started at `startedAt`) of `account` was revoked. */
  isSessionRevoked(account: string, sid: string | undefined, startedAt: number): Promise<boolean>;
  /** Marks a one-time link id used; false if it already was. */
  useLink(jti: string, at: number): Promise<boolean>;
  /** Appends one audit record built from the previous one (undefined for the first), atomically. */
  appendAudit(make: AuditEntry): Promise<AuditRecord>;
  /** Audit records after `afterSeq`, ascending. */
  auditRecords(afterSeq: number, limit: number): Promise<AuditRecord[]>;
  /** Removes messages and files past retention; returns what went (file ids, for the disk). */
  purge(cutoffs: PurgeCutoffs): Promise<{ messages: number; fileIds: string[] }>;
  isConversationMember(convId: string, account: string): Promise<boolean>;
  conversationMembers(convId: string): Promise<string[]>;
  /** Consultations between two accounts (either may be the patient), newest first: what governs p2p between them. */
  consultationsBetween(a: string, b: string): Promise<Consultation[]>;
  /**
   * Store once per (from, idClient): a retry returns the original with `duplicate: true`.
   * Assigns the next gap-free seq and a time never below the conversation's last. `audit` makes the
   * message's audit record, committed with it (a retry makes none).
   */
  appendMessage(m: NewMessage, audit?: AuditFor<StoredMessage>): Promise<Appended>;
  findMessage(convId: string, from: string, idClient: string): Promise<StoredMessage | undefined>;
  /** Marks `target` recalled and appends the recall notice, atomically; idempotent and audited like appendMessage. */
  recall(target: StoredMessage, notice: NewMessage, audit?: AuditFor<StoredMessage>): Promise<Appended>;
  /** Up to `limit` messages with seq < beforeSeq (or the newest), ascending. */
  history(convId: string, beforeSeq: number | undefined, limit: number): Promise<StoredMessage[]>;
  /** Up to `limit` messages with seq > afterSeq, ascending. */
  after(convId: string, afterSeq: number, limit: number): Promise<StoredMessage[]>;
  /** The message at `seq` of a conversation (recalled or not). */
  messageAt(convId: string, seq: number): Promise<StoredMessage | undefined>;
  /**
   * Raises the account's read cursor (never lowers it, never past the newest message), and its delivery
   * cursor with it (read implies delivered); returns the read cursor and whether it moved.
   */
  markRead(convId: string, account: string, seq: number): Promise<{ readSeq: number; raised: boolean }>;
  /** Raises the account's delivery cursor like markRead; returns it and whether it moved. */
  markDelivered(convId: string, account: string, seq: number): Promise<{ deliveredSeq: number; raised: boolean }>;
  /**
   * Up to `limit` messages of `convIds` before `before` (or the newest), newest first, of `types` if
   * given, never recalled ones or system lines: one batch of a search (the caller matches the text).
   */
  searchMessages(convIds: string[], types: readonly MessageType[] | undefined, before: SearchPosition | undefined, limit: number): Promise<StoredMessage[]>;
  /** A person's presence setting (visible unless they hid it) and last-seen time. */
  presenceOf(account: string): Promise<PresenceRecord>;
  setPresenceVisible(account: string, visible: boolean, at: number): Promise<void>;
  setLastSeen(account: string, at: number): Promise<void>;
  conversationsOf(account: string): Promise<ConversationSummary[]>;
  /** What conversationsOf says of the conversations among `convIds` (any order) that `account` is a member of. */
  conversationsNamed(account: string, convIds: readonly string[]): Promise<ConversationSummary[]>;
  putFile(file: StoredFile): Promise<void>;
  getFile(id: string): Promise<StoredFile | undefined>;
  /**
   * Records an upload admitted for `owner` (whatever becomes of it: refused for its content, never
   * sent and swept): what the upload quota counts.
   */
  recordUpload(owner: string, at: number, bytes: number): Promise<void>;
  /** How many uploads `owner` was admitted for since `since` (ms), and their bytes: the upload quota. */
  uploadsSince(owner: string, since: number): Promise<{ count: number; bytes: number }>;
  /** Forgets upload records older than the quota looks back. */
  forgetUploadsBefore(before: number): Promise<void>;
  /**
   * Removes the records of uploads created before `before` that no message refers to, and returns their
   * ids (for the disk). A message appended with such a file marks it referred to, in its own transaction.
   */
  removeOrphanFiles(before: number): Promise<string[]>;
  /**
   * Binds a mini-program user to `account`, replacing the account it was bound to (returned when it
   * was another). One user binds to one account; an account may have several users.
   */
  bindMiniapp(b: MiniappBinding): Promise<{ previous?: string }>;
  /** The account a mini-program user (any of its MACs) of (platform, appid) is bound to. */
  miniappAccount(platform: string, appid: string, openidMacs: string[]): Promise<string | undefined>;
  /** Removes that user's binding if it is to `account`; whether it was. */
  unbindMiniapp(platform: string, appid: string, openidMacs: string[], account: string): Promise<boolean>;
  /** Removes every binding of `account` (the hospital revoked it); how many. */
  unbindMiniappAll(account: string): Promise<number>;
  /** The account's bindings with their openids opened (for platform messages to that person). */
  miniappBindingsOf(account: string): Promise<Array<Omit<MiniappBinding, 'openidMacs'>>>;
  /** A platform access token shared by every server process, if one is stored. */
  platformToken(name: string): Promise<{ token: string; expiresAt: number } | undefined>;
  putPlatformToken(name: string, token: string, expiresAt: number): Promise<void>;
  /**
   * Turns the outbox on (undefined: off). Once on, each message or consultation change that concerns a
   * patient or doctor of a consultation writes or collapses into their outbox row in its own transaction.
   */
  setNotifyPolicy(policy: NotifyPolicy | undefined): void;
  /** Notifications waiting to be sent or retried. */
  notificationQueue(): Promise<number>;
  /**
   * Claims up to `limit` due rows (or rows whose claimer's lease ran out) for `node` until `now + leaseMs`;
   * with several processes each row goes to exactly one (PostgreSQL: FOR UPDATE SKIP LOCKED).
   */
  claimNotifications(node: string, now: number, leaseMs: number, limit: number): Promise<ClaimedNotification[]>;
  /** Ends a claimed row; false if it is no longer this node's (its lease ran out and another took it). */
  finishNotification(id: string, node: string, now: number, outcome: NotifyOutcome): Promise<boolean>;
  /** Outbox rows of one person (tests, support): state and outcome only. */
  notificationsOf(account: string): Promise<Array<{ id: string; convId: string; kind: NotifyKind; events: number; state: string; outcome?: string; attempts: number }>>;
  /**
   * Consent to a platform template: 'grant' adds one send (WeChat's one-time subscriptions add up),
   * 'use' spends one, 'revoke' ends it (refused, banned, or the platform said none is left). Returns what remains.
   */
  changeNotifyConsent(account: string, platform: string, template: string, change: 'grant' | 'use' | 'revoke', at: number): Promise<number>;
  notifyConsents(account: string): Promise<NotifyConsent[]>;
  /** The patient confirms one of the hospital's records: only while none is confirmed (undefined otherwise). */
  confirmIdentity(id: string, identity: IdentityRecord): Promise<Consultation | undefined>;
  /** Records the consent and appends its notice in one transaction, once (undefined when it was given already). */
  giveConsent(
    id: string,
    consent: ConsentRecord,
    notice: NewMessage,
    audit?: AuditFor<ConsultationChange>,
  ): Promise<Audited<ConsultationChange> | undefined>;
  /**
   * Stores the intake and appends its card (not counted against the quota) in one transaction, once
   * (undefined when the consultation has one already).
   */
  putIntake(
    id: string,
    card: IntakeCard,
    msg: NewMessage,
    audit?: AuditFor<{ consultation: Consultation; stored: StoredMessage }>,
  ): Promise<Audited<{ consultation: Consultation; stored: StoredMessage }> | undefined>;
  putDoctorProfile(account: string, profile: Omit<DoctorIdentity, 'name'>, at: number): Promise<void>;
  doctorProfile(account: string): Promise<Omit<DoctorIdentity, 'name'> | undefined>;
  /** Stores a rating once per consultation; false when it was rated already. */
  rate(r: Rating): Promise<boolean>;
  rating(consultationId: string): Promise<Rating | undefined>;
  ratingSummary(doctor: string): Promise<RatingSummary>;
  ratings(q: RatingsQuery): Promise<Rating[]>;
  quickReplies(doctor: string): Promise<QuickReply[]>;
  /** Replaces a doctor's quick replies by `edit` of the current ones, under the row's lock (edit may throw: nothing changes). */
  editQuickReplies(doctor: string, edit: (current: QuickReply[]) => QuickReply[], at: number): Promise<QuickReply[]>;
  /** Reminders on/off for a person (on unless they turned them off). */
  setNotifyEnabled(account: string, enabled: boolean, at: number): Promise<void>;
  notifyEnabled(account: string): Promise<boolean>;
  /** Accounts of one role (the pharmacists a new prescription is pushed to). */
  accountsWithRole(role: Role): Promise<string[]>;
  /** Every doctor account with the title and department of their profile where there is one, by account. */
  doctorDirectory(): Promise<TransferTarget[]>;
  /**
   * Appends the card message (`message.attach` is `card`; governed by its consultation like any
   * append) and records the prescription pending, in one transaction; a retry of the same idClient
   * returns the original. A card that `corrects` another marks that one corrected, or is refused
   * (invalidTransition) when it is not a rejected, uncorrected prescription of the same consultation.
   */
  issuePrescription(
    card: RxCard,
    message: NewMessage,
    audit?: AuditFor<PrescriptionIssued>,
  ): Promise<Audited<PrescriptionIssued & { duplicate: boolean }>>;
  prescription(id: string): Promise<StoredPrescription | undefined>;
  /** Prescriptions in `state`, oldest issued first, issued after `afterIssuedAt`. */
  prescriptionsInState(state: PrescriptionState, afterIssuedAt: number, limit: number): Promise<StoredPrescription[]>;
  /** Moves a pending prescription to its review's state and appends the notice, in one transaction; undefined when it was no longer pending. */
  reviewPrescription(
    id: string,
    review: PrescriptionReview,
    notice: NewMessage,
    audit?: AuditFor<PrescriptionReviewed>,
  ): Promise<Audited<PrescriptionReviewed> | undefined>;
  /**
   * Hands an open consultation from doctor `from` to doctor `to`, in one transaction: the transfer
   * recorded at the conversation's last seq, `from` no longer a member, `to` one, the notice appended.
   * Undefined when `from` was not its doctor by then or it was no longer open.
   */
  transferConsultation(
    id: string,
    from: string,
    to: string,
    notice: NewMessage,
    audit?: AuditFor<ConsultationTransferred>,
  ): Promise<Audited<ConsultationTransferred> | undefined>;
  /** Transfers of one consultation, oldest first. */
  transfersOf(consultationId: string): Promise<TransferRecord[]>;
  /**
   * Transfers away from `doctor`, of any consultation or of those among `consultationIds`, oldest first
   * (what they keep reading and seeing).
   */
  transfersFrom(doctor: string, consultationIds?: readonly string[]): Promise<TransferAway[]>;
  close(): Promise<void>;
}

export const teamConvId = (teamId: string): string => `team-${teamId}`;

/** idClient of the intake card of consultation `id`: `intake:<id>`, one per consultation. */
export const INTAKE_ID_PREFIX = 'intake:';
/** The intake card's idClient of consultation `id`. */
export const intakeIdClient = (consultationId: string): string => `${INTAKE_ID_PREFIX}${consultationId}`;
export const p2pConvId = (a: string, b: string): string => `p2p-${[a, b].sort().join('|')}`;
