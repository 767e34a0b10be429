import type { CareIdentity, ConsentRecord, FollowUpRule, IntakeFlags, MaskedIdentity } from './encounter';

/**
 * Domain types modelled on NetEase NIM's IMMessage so that both providers (our server, NIM) map to one shape.
 */

export type Scene = 'p2p' | 'team';

export const MESSAGE_TYPES = [
  'text',
  'image',
  'audio',
  'video',
  'file',
  'geo',
  'custom',
  'tip',
  'notification',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** NIM's statuses: sending/sent/sendFailed on our side, unread/read/receipt for delivery and reading. */
export type MessageStatus = 'sending' | 'sent' | 'sendFailed' | 'read' | 'unread' | 'receipt';

/** A pharmacist reviews prescriptions and takes part in no conversation (types/protocol.ts REQUEST_ROLES). */
export type Role = 'patient' | 'doctor' | 'pharmacist';
export const ROLES: readonly Role[] = ['patient', 'doctor', 'pharmacist'];
export const isRole = (v: unknown): v is Role => ROLES.includes(v as Role);

export interface Account {
  account: string;
  name: string;
  role: Role;
}

/** What a client sends: the server fills in the rest. */
export interface OutgoingMessage {
  scene: Scene;
  /** Peer account (p2p) or team id (team). */
  to: string;
  type: MessageType;
  body: string;
  attach?: Record<string, unknown>;
  /** Client-generated uuid; the server deduplicates retries by (from, idClient). */
  idClient: string;
  /** The message this one answers (引用): in the same conversation, visible to the sender. */
  replyTo?: ReplyRef;
}

/** What a reply names: the quoted message's idClient and its seq in the same conversation. */
export interface ReplyRef {
  idClient: string;
  seq: number;
}

/** How a message without text of its own is named in one line (a quote's excerpt, the sessions list). */
export const MEDIA_LABELS = { image: '[图片]', audio: '[语音]', video: '[视频]', file: '[文件]', geo: '[位置]' } as const satisfies Partial<Record<MessageType, string>>;

/**
 * Longest text message, in characters (code points): what one message of a consultation should hold.
 * The composer refuses more with the count, and so does the server (messageTooLarge).
 */
export const TEXT_MAX_CHARS = 2000;

/**
 * How many characters `text` has beyond TEXT_MAX_CHARS as it would be sent (trimmed), 0 when it fits.
 * A longer paste is kept whole and refused with this count: the person chooses where to cut or split
 * it, rather than losing its end unseen.
 */
export const textOverLimit = (text: string): number => Math.max(0, [...text.trim()].length - TEXT_MAX_CHARS);

/** Longest excerpt of a quoted message, in characters (code points). */
export const QUOTE_EXCERPT_MAX = 60;

/**
 * The quoted message as a reply shows it, made by the server from the stored original (a client's
 * own excerpt is never trusted), so a reply cannot carry text from elsewhere. `recalled`: the original
 * was recalled since, and the excerpt is gone.
 */
export interface Quote extends ReplyRef {
  from: string;
  fromNick?: string;
  type: MessageType;
  /** Text: its first QUOTE_EXCERPT_MAX characters; other types: a label such as [图片]. Empty when recalled. */
  excerpt: string;
  recalled?: boolean;
}

export interface Message extends OutgoingMessage {
  /** Viewer-relative, as NIM: `p2p-<peer>` or `team-<teamId>`. */
  sessionId: string;
  from: string;
  /** Sender's display name at send time. */
  fromNick?: string;
  idServer?: string;
  /** Per-conversation, gap-free, from 1. Absent while the message is only local. */
  seq?: number;
  /** Server time in ms (client time while pending). Non-decreasing per conversation. */
  time: number;
  status: MessageStatus;
  /** Why a send failed, shown under the bubble. */
  error?: string;
  /** A note for the sender under their own bubble (e.g. sensitive words were masked). Local only. */
  notice?: string;
  /** Set by the server on a reply (from `replyTo`). */
  quote?: Quote;
}

export interface Ack {
  idClient: string;
  idServer: string;
  sessionId: string;
  seq: number;
  time: number;
  /** The text as stored, when the server changed it (sensitive words masked, like NIM's anti-spam). */
  body?: string;
  /**
   * A media message's attach as stored, its URLs signed for the sender and this message: they replace
   * the upload reply's short-lived ones, which no message bound.
   */
  attach?: Record<string, unknown>;
}

export type ConsultationStatus = 'waiting' | 'inProgress' | 'closed' | 'cancelled';
export type ConsultationAction = 'accept' | 'close' | 'cancel';

export interface ConsultationInfo {
  id: string;
  status: ConsultationStatus;
  patient: string;
  doctor: string;
  /** Messages the patient may send in this consultation (a paid text consultation's quota). */
  maxPatientMessages?: number;
  /** Sent so far by the patient. */
  patientMessages: number;
  /** ms; after this the consultation takes no more messages. */
  endsAt?: number;
  /** ms: when it was opened, accepted, closed (or cancelled); the doctor's queue orders by them. */
  createdAt?: number;
  acceptedAt?: number;
  closedAt?: number;
  /** The patient's informed consent (types/encounter.ts); until it is given no patient message is taken. */
  consent?: ConsentRecord;
  /** The patient as this viewer may see them: masked for the patient, name/age/sex for the doctor. */
  subject?: MaskedIdentity | CareIdentity;
  /** Whether a confirmed identity is on record (the patient confirms one before consenting). */
  identified?: boolean;
  intake?: IntakeFlags;
  /** 追问 after closing: the rule and the follow-up messages the patient sent so far. */
  followUp?: FollowUpRule;
  followUps?: number;
  /** Whether the patient rated it. */
  rated?: boolean;
}

/**
 * A consultation change travels as a stored notification message (like a recall), so every device
 * learns it through push, sync or history.
 */
export function consultationChange(m: Pick<Message, 'type' | 'attach'>): { status: ConsultationStatus; by: string } | undefined {
  const c = m.type === 'notification' ? (m.attach as { consultation?: { status?: unknown; by?: unknown } } | undefined)?.consultation : undefined;
  return c && typeof c.status === 'string' && typeof c.by === 'string' ? (c as { status: ConsultationStatus; by: string }) : undefined;
}

export interface SessionSummary {
  /** `p2p-<peer>` or `team-<teamId>`. */
  id: string;
  scene: Scene;
  to: string;
  name: string;
  unread: number;
  /** Highest seq stored by the server for this conversation. */
  lastSeq: number;
  lastMsg?: Message;
  /** Highest seq this viewer has read. */
  readSeq: number;
  /** Lowest read cursor among the other members: own messages at or below it are read by everyone. */
  peerReadSeq: number;
  /** Read cursor of each other member (team receipts: "2人已读"). */
  memberReads: Record<string, number>;
  /**
   * Lowest delivery cursor among the other members: own messages at or below it reached at least one
   * device of everyone else (已送达), before they are read.
   */
  peerDeliveredSeq: number;
  /** The consultation's doctor's presence, for the patient only; absent when the doctor hides it. */
  presence?: PresenceInfo;
  consultation?: ConsultationInfo;
  /**
   * A consultation transferred away from this viewer (types/transfer.ts): readable up to this seq,
   * nothing written (the page shows it read-only).
   */
  readOnlyUpTo?: number;
}

/** Whether someone has a live connection on any server process, or when they last had one (ms). */
export interface PresenceInfo {
  account: string;
  online: boolean;
  lastSeen?: number;
}

export const sessionIdOf = (scene: Scene, to: string): string => `${scene}-${to}`;

export function parseSessionId(sessionId: string): { scene: Scene; to: string } | undefined {
  const m = /^(p2p|team)-(.+)$/.exec(sessionId);
  return m ? { scene: m[1] as Scene, to: m[2] } : undefined;
}

/** How long after sending a sender may recall a message (NIM's default is 2 minutes too). */
export const RECALL_WINDOW_MS = 2 * 60_000;

/**
 * A recall travels as a stored notification message (so sync and history carry it like any other
 * message) whose attach names the recalled message.
 */
export interface RecallNotice {
  recall: { idClient: string; by: string };
}

export function recallTarget(m: Pick<Message, 'type' | 'attach'>): RecallNotice['recall'] | undefined {
  const r = m.type === 'notification' ? (m.attach as Partial<RecallNotice> | undefined)?.recall : undefined;
  return r && typeof r.idClient === 'string' && typeof r.by === 'string' ? r : undefined;
}

/**
 * What a recalled message turns into: a tip in its original place. Only the sender keeps the text, so
 * they can edit and send it again.
 */
export function recalledView<M extends Message>(m: M, viewer: string): M {
  const text = m.from === viewer && m.type === 'text' ? m.body : undefined;
  return {
    ...m,
    type: 'tip',
    body: '',
    attach: { recalled: { by: m.from, ...(text !== undefined ? { text } : {}) } },
  };
}

export function recalledInfo(m: Pick<Message, 'type' | 'attach'>): { by: string; text?: string } | undefined {
  const r = m.type === 'tip' ? (m.attach as { recalled?: { by: string; text?: string } } | undefined)?.recalled : undefined;
  return r && typeof r.by === 'string' ? r : undefined;
}
