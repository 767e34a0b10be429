/**
 * The medical encounter around a consultation (issue 17): who the patient is, what they agreed to,
 * the intake form (问诊单), the doctor's verified identity, the rating and the follow-up questions
 * (追问) after closing, and the doctor's quick replies. Shapes and rules written once for the server
 * that enforces them and the pages that show them. Pure: `now` is passed in.
 *
 * The rules answered (README, "The consultation"): 互联网诊疗管理办法（试行） – online only follow-up visits
 * of a condition diagnosed in person (the intake names the earlier diagnosis), children under 6 only
 * with a guardian; 互联网诊疗监管细则（试行） – real-name patients, informed consent before care, the
 * doctor's identity shown to the patient, the whole encounter kept for the medical record.
 */
import type { SessionSummary } from './message';

export type Sex = 'male' | 'female';

/** Whom the record belongs to, seen from the account that uses it (a parent consulting for a child). */
export type Relation = 'self' | 'child' | 'parent' | 'spouse' | 'other';
export const RELATIONS: readonly Relation[] = ['self', 'child', 'parent', 'spouse', 'other'];

/** Children younger than this are seen online only with a guardian (互联网诊疗管理办法). */
export const GUARDIAN_BELOW_AGE = 6;

export interface Guardian {
  name: string;
  /** 居民身份证号 (or another document number). */
  idNumber: string;
  phone?: string;
}

/** One of the hospital's real-name records, in full: the server keeps it sealed, the hospital API supplies it. */
export interface IdentityRecord {
  name: string;
  idNumber: string;
  sex: Sex;
  /** YYYY-MM-DD */
  birthDate: string;
  relation: Relation;
  phone?: string;
  /** Required for a child under GUARDIAN_BELOW_AGE. */
  guardian?: Guardian;
}

/** What the patient sees of a record: masked names and numbers, never the full ones. */
export interface MaskedIdentity {
  /** e.g. 李*, 欧阳** */
  name: string;
  /** e.g. 110***********1234 */
  idNumber: string;
  sex: Sex;
  age: number;
  relation: Relation;
  guardian?: { name: string; idNumber: string };
}

/** What the doctor sees: what care needs (name, age, sex), not the ID number. */
export interface CareIdentity {
  name: string;
  sex: Sex;
  age: number;
  relation: Relation;
  guardian?: { name: string };
}

export const IDENTITY_LIMITS = { name: 32, idNumber: 32, phone: 20, candidates: 10 } as const;

/** 李* — the surname's first character kept (欧阳** keeps 欧), every other character masked. */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return '*';
  return chars[0] + '*'.repeat(chars.length - 1);
}

/** 110***********1234 — the region's first three and the last four kept (shorter numbers keep less). */
export function maskIdNumber(id: string): string {
  const chars = [...id];
  if (chars.length <= 4) return '*'.repeat(chars.length);
  const head = chars.length >= 10 ? 3 : 1;
  const tail = chars.length >= 10 ? 4 : 1;
  return chars.slice(0, head).join('') + '*'.repeat(chars.length - head - tail) + chars.slice(-tail).join('');
}

/** Full years at `now` of someone born on `birthDate` (YYYY-MM-DD), in China's time zone. */
export function ageAt(birthDate: string, now: number): number {
  const [y, m, d] = birthDate.split('-').map(Number);
  const today = new Date(now + 8 * 3_600_000);
  const [ty, tm, td] = [today.getUTCFullYear(), today.getUTCMonth() + 1, today.getUTCDate()];
  return ty - y - (tm < m || (tm === m && td < d) ? 1 : 0);
}

/** Whether a record lacks the guardian the rule asks for. */
export function needsGuardian(r: Pick<IdentityRecord, 'birthDate' | 'guardian'>, now: number): boolean {
  return ageAt(r.birthDate, now) < GUARDIAN_BELOW_AGE && !r.guardian;
}

export function maskIdentity(r: IdentityRecord, now: number): MaskedIdentity {
  return {
    name: maskName(r.name),
    idNumber: maskIdNumber(r.idNumber),
    sex: r.sex,
    age: ageAt(r.birthDate, now),
    relation: r.relation,
    ...(r.guardian ? { guardian: { name: maskName(r.guardian.name), idNumber: maskIdNumber(r.guardian.idNumber) } } : {}),
  };
}

export function careIdentity(r: IdentityRecord, now: number): CareIdentity {
  return {
    name: r.name,
    sex: r.sex,
    age: ageAt(r.birthDate, now),
    relation: r.relation,
    ...(r.guardian ? { guardian: { name: r.guardian.name } } : {}),
  };
}

/** The informed-consent text the hospital supplies (config: CONSENT_FILE), versioned. */
export interface ConsentText {
  version: string;
  text: string;
}

/** The patient's agreement: which version, when. Stored on the consultation and audited (ids and version only). */
export interface ConsentRecord {
  version: string;
  acceptedAt: number;
  /** 'hospital': recorded at the hospital and passed by its API; 'patient': agreed in the app. */
  by: 'hospital' | 'patient';
}

/** The intake form (问诊单). Internet consultations are follow-up visits: the earlier diagnosis is required. */
export interface IntakeForm {
  /** 主诉 */
  complaint: string;
  /** 持续时间, e.g. "3天", "半年" */
  duration: string;
  symptoms: string[];
  /** Empty: no known allergies. */
  allergies: string[];
  /** 正在使用的药物 */
  medications: string[];
  /** 本病的既往诊断 (the diagnosis this visit follows up). */
  diagnosis: string;
  /** Where and when it was made, free text, e.g. "2025-03 市一医院". */
  diagnosedAt?: string;
  /** Uploaded records (file ids of the patient's uploads: reports, earlier prescriptions). */
  attachments: string[];
}

export const INTAKE_LIMITS = { text: 500, short: 50, items: 20, item: 50, attachments: 9 } as const;

/** Symptom tags the intake page offers (free tags are allowed too, within INTAKE_LIMITS). */
export const SYMPTOM_TAGS = ['发热', '咳嗽', '头痛', '头晕', '胸闷', '腹痛', '腹泻', '恶心', '皮疹', '乏力', '失眠', '血压高', '血糖高'] as const;

/**
 * The first card of a consultation: a custom message from the patient (sync and history carry it),
 * never counted against the quota. Attachments are resolved by the server to what it measured.
 */
export interface IntakeCard extends Omit<IntakeForm, 'attachments'> {
  card: 'intake';
  attachments: Array<{ fileId: string; name: string; mime: string; size: number; url?: string }>;
  /** Who filled it: the hospital's system at creation, or the patient. */
  source: 'hospital' | 'patient';
  filledAt: number;
}

export function intakeCardOf(m: { type: string; attach?: Record<string, unknown> }): IntakeCard | undefined {
  return m.type === 'custom' && m.attach?.card === 'intake' ? (m.attach as unknown as IntakeCard) : undefined;
}

/** The doctor's verified identity (互联网诊疗监管细则), supplied by the hospital's system. */
export interface DoctorIdentity {
  name: string;
  /** 职称, e.g. 主任医师 */
  title: string;
  department: string;
  /** 医师执业证书编码 */
  licence: string;
}

export const RATING_TAGS = ['回复及时', '解答清楚', '态度亲切', '专业可信', '建议有用', '回复较慢', '解答不够详细'] as const;
export type RatingTag = (typeof RATING_TAGS)[number];
export const RATING_LIMITS = { comment: 200, tags: RATING_TAGS.length } as const;

export interface RatingInput {
  /** 1–5 */
  stars: number;
  tags: RatingTag[];
  comment?: string;
}

export interface Rating extends RatingInput {
  consultationId: string;
  doctor: string;
  patient: string;
  ratedAt: number;
}

/** A doctor's average over their ratings (what they see on their workbench). */
export interface RatingSummary {
  average: number;
  count: number;
}

/** 追问: the patient may send `messages` more messages within `days` days after the consultation closed. */
export interface FollowUpRule {
  messages: number;
  days: number;
}

/** What the follow-up and rating rules read of a consultation. */
export interface AfterCare {
  status: string;
  patient: string;
  closedAt?: number;
  followUp?: FollowUpRule;
  /** Follow-up messages the patient sent after closing. */
  followUps: number;
}

const DAY_MS = 86_400_000;

/** Whether the follow-up window is open (closed, within D days); any sender (the doctor answers in it too). */
export function followUpOpen(c: Pick<AfterCare, 'status' | 'closedAt' | 'followUp'>, now: number): boolean {
  return c.status === 'closed' && c.followUp !== undefined && c.closedAt !== undefined && now <= c.closedAt + c.followUp.days * DAY_MS;
}

/** Follow-up messages the patient has left now (0 when the window is shut). */
export function followUpsLeft(c: AfterCare, now: number): number {
  return followUpOpen(c, now) ? Math.max(0, (c.followUp as FollowUpRule).messages - c.followUps) : 0;
}

/** Why `account` may not rate now, or undefined when they may: only the patient, once, after closing. */
export function rateRefusal(c: Pick<AfterCare, 'status' | 'patient'>, account: string, rated: boolean): 'notPatient' | 'notClosed' | 'rated' | undefined {
  if (account !== c.patient) return 'notPatient';
  if (c.status !== 'closed') return 'notClosed';
  return rated ? 'rated' : undefined;
}

/** The tabs of a doctor's workbench: 待接诊, 进行中, 今日已结束. */
export type QueueTab = 'waiting' | 'inProgress' | 'closedToday';

const CHINA_OFFSET_MS = 8 * 3_600_000;
/** Midnight of `now`'s day in China's time zone: the hospital's day, whatever the device's zone. */
export const startOfDay = (now: number): number => Math.floor((now + CHINA_OFFSET_MS) / DAY_MS) * DAY_MS - CHINA_OFFSET_MS;

/**
 * The name a doctor knows a session's patient by: the person the consultation is about (a child a
 * parent consults for), else the other person of the chat.
 */
export const patientName = (s: Pick<SessionSummary, 'name' | 'consultation'>): string => s.consultation?.subject?.name ?? s.name;

/** Whether a doctor's search text names a session's patient: the workbench's filter, and the server's search across every consultation. */
export function namesPatient(s: Pick<SessionSummary, 'name' | 'consultation'>, text: string): boolean {
  const q = text.trim();
  return q.length > 0 && patientName(s).includes(q);
}

/** What `queueTab` reads of a session. */
export interface QueueEntry {
  unread: number;
  /** Transferred away from this doctor (SessionSummary.readOnlyUpTo): no longer their work. */
  readOnlyUpTo?: number;
  lastMsg?: { time: number };
  consultation?: { status: string; closedAt?: number };
}

/**
 * Where a doctor's workbench lists a session, or nowhere: 待接诊; 进行中 (a conversation outside any
 * consultation too, and a closed one with unread messages, since a 追问 days after closing needs its
 * answer); 今日已结束, closed since `today` (startOfDay). One transferred to another doctor is theirs now:
 * the doctor it left finds it by search, read-only. The server sends a doctor's sync only the sessions
 * listed here (with a day's margin for the device's clock); any other is fetched when it is opened.
 */
export function queueTab(s: QueueEntry, today: number): QueueTab | undefined {
  if (s.readOnlyUpTo !== undefined) return undefined;
  const c = s.consultation;
  if (!c || c.status === 'inProgress') return 'inProgress';
  if (c.status === 'waiting') return 'waiting';
  if (c.status !== 'closed') return undefined;
  if (s.unread > 0) return 'inProgress';
  return (c.closedAt ?? s.lastMsg?.time ?? 0) >= today ? 'closedToday' : undefined;
}

/**
 * The sessions a doctor's sync lists: those queueTab places, counting from the day before (a device's
 * clock may be behind the server's), and those handed over to another doctor (few; the chat page reads
 * them as read-only). Consultations closed earlier are years of a doctor's work and nothing the
 * workbench shows; they come by `sessions` when opened or found.
 */
export const listedInDoctorSync = (s: QueueEntry, now: number): boolean =>
  s.readOnlyUpTo !== undefined || queueTab(s, startOfDay(now) - DAY_MS) !== undefined;

/** A doctor's own reply template (常用语). */
export interface QuickReply {
  id: string;
  text: string;
}

export const QUICK_REPLY_LIMITS = { count: 50, chars: 200 } as const;

/** What `quickReplies` does: read the list, add or edit one (at `index`), delete one, or reorder all. */
export type QuickReplyOp =
  | { op: 'list' }
  | { op: 'put'; reply: { id?: string; text: string }; index?: number }
  | { op: 'delete'; replyId: string }
  | { op: 'order'; ids: string[] };

/**
 * A list after one edit, or a reason it cannot be made. Pure, so the page can show the result at once
 * and the server stores exactly the same. `newId` names a new reply.
 */
export function applyQuickReplyOp(list: readonly QuickReply[], op: QuickReplyOp, newId: string): QuickReply[] | string {
  switch (op.op) {
    case 'list':
      return [...list];
    case 'put': {
      const text = op.reply.text.trim();
      if (!text) return '常用语不能为空';
      if ([...text].length > QUICK_REPLY_LIMITS.chars) return `常用语最多 ${QUICK_REPLY_LIMITS.chars} 字`;
      const at = op.reply.id === undefined ? -1 : list.findIndex((r) => r.id === op.reply.id);
      if (op.reply.id !== undefined && at < 0) return '没有这条常用语';
      const rest = list.filter((_, i) => i !== at);
      if (at < 0 && list.length >= QUICK_REPLY_LIMITS.count) return `常用语最多 ${QUICK_REPLY_LIMITS.count} 条`;
      const index = Math.min(op.index ?? (at < 0 ? rest.length : at), rest.length);
      return [...rest.slice(0, index), { id: at < 0 ? newId : (op.reply.id as string), text }, ...rest.slice(index)];
    }
    case 'delete':
      return list.some((r) => r.id === op.replyId) ? list.filter((r) => r.id !== op.replyId) : '没有这条常用语';
    case 'order': {
      const byId = new Map(list.map((r) => [r.id, r]));
      if (op.ids.length !== list.length || new Set(op.ids).size !== op.ids.length || op.ids.some((id) => !byId.has(id))) {
        return '排序须包含每条常用语各一次';
      }
      return op.ids.map((id) => byId.get(id) as QuickReply);
    }
  }
}

/** The queue's summary of the intake on ConsultationInfo (no clinical text: flags only). */
export interface IntakeFlags {
  filled: boolean;
  /** Known allergies: shown in red on the doctor's panel. */
  allergies: boolean;
}

/** Everything about the encounter one viewer may see (the `encounter` request). */
export interface EncounterView {
  /** The confirmed identity: masked for the patient, the care view for the doctor. */
  identity?: MaskedIdentity | CareIdentity;
  /** The hospital's records the patient may confirm one of, masked (patient only, until one is confirmed). */
  candidates?: MaskedIdentity[];
  /** The consent text to agree to, and the agreement once given. */
  consent: ConsentText & { accepted?: ConsentRecord };
  intake?: IntakeCard;
  doctor?: DoctorIdentity;
  /** The doctor's average rating (both sides see it). */
  doctorRating?: RatingSummary;
  rating?: Rating;
  followUp?: FollowUpRule & { used: number; left: number };
}
