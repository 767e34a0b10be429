/**
 * The encounter as the pages show it (issue 17): which step a patient has left before the chat, the
 * intake and prescription cards as labelled rows, the doctor's and the patient's identity lines, and the
 * doctor's queue. Pure: `now` is passed in.
 */
import { extOfName } from '../../types/media';
import { namesPatient, queueTab, startOfDay, type CareIdentity, type DoctorIdentity, type IntakeCard, type MaskedIdentity, type QueueTab, type Relation, type Sex } from '../../types/encounter';
import type { ConsultationInfo, Message, Role, SessionSummary } from '../../types/message';
import type { PrescriptionState, RxCard, RxDrug } from '../../types/prescription';
import { PRESCRIPTION_STATE_LABEL, prescriptionStates } from '../../types/prescription';
import type { CardRow } from './cards';
import { dateTimeLabel } from './time';

/** What a patient does before writing: confirm who the visit is for, agree to the consent, fill the intake. */
export type PatientStep = 'identity' | 'consent' | 'intake';

export const STEP_PAGE: Record<PatientStep, string> = {
  identity: '/consult/identity/index',
  consent: '/consult/consent/index',
  intake: '/consult/intake/index',
};

export const STEP_TEXT: Record<PatientStep, string> = {
  identity: '开始问诊前，请确认就诊人信息',
  consent: '开始问诊前，请阅读并同意《互联网诊疗知情同意书》',
  intake: '请填写问诊单，医生将据此了解您的病情',
};

/**
 * A doctor the consultation was transferred away from: reads what was before, writes nothing
 * (types/transfer.ts). The server marks such a session in the list (readOnlyUpTo, also where it keeps no
 * state of the consultation); one transferred while the chat is open is known by its new doctor.
 */
export const transferredAway = (
  s: Pick<SessionSummary, 'consultation' | 'readOnlyUpTo'> | undefined,
  me: { account: string; role: Role } | undefined,
): boolean => s?.readOnlyUpTo !== undefined || (s?.consultation !== undefined && me?.role === 'doctor' && s.consultation.doctor !== me.account);

/** The patient's next step on an open consultation, or undefined when they may chat (or it is over). */
export function patientStep(c: ConsultationInfo | undefined, role: Role | undefined): PatientStep | undefined {
  if (!c || role !== 'patient' || c.status === 'closed' || c.status === 'cancelled') return undefined;
  if (!c.consent) return c.identified ? 'consent' : 'identity';
  if (!c.intake?.filled) return 'intake';
  return undefined;
}

export const SEX_TEXT: Record<Sex, string> = { male: '男', female: '女' };
export const RELATION_TEXT: Record<Relation, string> = { self: '本人', child: '子女', parent: '父母', spouse: '配偶', other: '其他' };

/** e.g. "李* · 女 · 34岁 · 本人"; the masked view adds the masked ID number on its own line. */
export function identityLine(p: MaskedIdentity | CareIdentity): string {
  return [p.name, SEX_TEXT[p.sex], `${p.age}岁`, RELATION_TEXT[p.relation]].join(' · ');
}

/** e.g. "监护人 王** 110***********1234" for a young child's record. */
export function guardianLine(p: MaskedIdentity | CareIdentity): string | undefined {
  if (!p.guardian) return undefined;
  return ['监护人', p.guardian.name, 'idNumber' in p.guardian ? p.guardian.idNumber : ''].filter(Boolean).join(' ');
}

/** The doctor's verified identity as the patient sees it (互联网诊疗监管细则: shown before care). */
export function doctorLines(d: DoctorIdentity): { name: string; detail: string; licence: string } {
  return { name: d.name, detail: `${d.title} · ${d.department}`, licence: `执业证号 ${d.licence}` };
}

const list = (items: readonly string[], none: string) => (items.length ? items.join('、') : none);

export interface IntakeView {
  title: string;
  rows: CardRow[];
  /** Known allergies: the doctor's panel and the card show them in red. */
  allergies?: string;
  attachments: Array<{ name: string; ext: string; url?: string }>;
  footer: string;
}

export function intakeView(c: IntakeCard): IntakeView {
  const rows: CardRow[] = [
    { label: '主诉', value: c.complaint },
    { label: '持续', value: c.duration },
    ...(c.symptoms.length ? [{ label: '症状', value: c.symptoms.join('、') }] : []),
    { label: '用药', value: list(c.medications, '无') },
    { label: '既往诊断', value: c.diagnosis + (c.diagnosedAt ? `（${c.diagnosedAt}）` : '') },
  ];
  return {
    title: '问诊单',
    rows,
    // Earlier records and reports: each opened from the card (images in the viewer, documents in theirs).
    attachments: c.attachments.map((a) => ({ name: a.name, ext: extOfName(a.name), ...(a.url ? { url: a.url } : {}) })),
    ...(c.allergies.length ? { allergies: c.allergies.join('、') } : {}),
    footer: `${c.source === 'hospital' ? '医院' : '患者'}填写于 ${dateTimeLabel(c.filledAt)}`,
  };
}

export interface RxView {
  id: string;
  title: string;
  rows: CardRow[];
  state: PrescriptionState;
  stateLabel: string;
  reason?: string;
  footer: string;
  /** The rejected prescription this one replaces. */
  corrects?: string;
}

export const drugLine = (d: RxDrug): string => `${d.name}（${d.specification}）× ${d.quantity}${d.unit}，${d.dosage}，${d.usage}`;

export function rxView(card: RxCard, review: { state: PrescriptionState; reason?: string } = { state: 'pending' }): RxView {
  const { rx } = card;
  return {
    id: rx.id,
    title: rx.corrects ? '电子处方（修改后）' : '电子处方',
    rows: [
      { label: '诊断', value: rx.diagnosis },
      ...rx.drugs.map((d, i) => ({ label: i === 0 ? 'Rp.' : '', value: drugLine(d) })),
      ...(rx.note ? [{ label: '医嘱', value: rx.note }] : []),
    ],
    state: review.state,
    stateLabel: PRESCRIPTION_STATE_LABEL[review.state],
    ...(review.reason ? { reason: review.reason } : {}),
    footer: `${rx.doctorName} 开具于 ${dateTimeLabel(rx.issuedAt)}`,
    ...(rx.corrects ? { corrects: rx.corrects } : {}),
  };
}

export function isRxCard(attach: unknown): attach is RxCard {
  const a = attach as Partial<RxCard> | undefined;
  return a?.card === 'rx' && typeof a.rx?.id === 'string' && Array.isArray(a.rx.drugs);
}

/** What the prescription cards of a conversation read besides their own attach. */
export interface RxCardStates {
  rxStates: ReadonlyMap<string, { state: PrescriptionState; reason?: string }>;
  /** Prescriptions already answered by a corrected card. */
  corrected: ReadonlySet<string>;
}

const sameReview = (a: { state: PrescriptionState; reason?: string } | undefined, b: { state: PrescriptionState; reason?: string }) =>
  a?.state === b.state && a.reason === b.reason;

/**
 * The cards' states in `msgs` (a card's review and correction come after it), or `prev` itself when
 * they are the same: the chat page rebuilds them for every message, and every card reading a new
 * object would render again although nothing it shows changed.
 */
export function rxCardStates(msgs: readonly Pick<Message, 'type' | 'attach'>[], prev?: RxCardStates): RxCardStates {
  const rxStates = prescriptionStates(msgs);
  const corrected = new Set(msgs.flatMap((m) => (isRxCard(m.attach) && m.attach.rx.corrects ? [m.attach.rx.corrects] : [])));
  if (!prev) return { rxStates, corrected };
  const statesSame = prev.rxStates.size === rxStates.size && [...rxStates].every(([id, r]) => sameReview(prev.rxStates.get(id), r));
  const correctedSame = prev.corrected.size === corrected.size && [...corrected].every((id) => prev.corrected.has(id));
  if (statesSame && correctedSame) return prev;
  return { rxStates: statesSame ? prev.rxStates : rxStates, corrected: correctedSame ? prev.corrected : corrected };
}

export function isIntakeCard(attach: unknown): attach is IntakeCard {
  const a = attach as Partial<IntakeCard> | undefined;
  return a?.card === 'intake' && typeof a.complaint === 'string' && Array.isArray(a.allergies) && Array.isArray(a.attachments);
}

// ---- The doctor's workbench ----

export const QUEUE_TABS: ReadonlyArray<{ tab: QueueTab; label: string }> = [
  { tab: 'waiting', label: '待接诊' },
  { tab: 'inProgress', label: '进行中' },
  { tab: 'closedToday', label: '今日已结束' },
];

const lastTime = (s: SessionSummary) => s.lastMsg?.time ?? 0;
/**
 * The queue's three lists: waiting oldest first (who waited longest is seen first), in progress with
 * unread ones first then the latest (with conversations outside a consultation, and closed ones with a 追问
 * unanswered), closed today latest first (types/encounter.ts queueTab). `search` matches the patient's name.
 */
export function doctorQueue(sessions: Iterable<SessionSummary>, now: number, search = ''): Record<QueueTab, SessionSummary[]> {
  const today = startOfDay(now);
  const out: Record<QueueTab, SessionSummary[]> = { waiting: [], inProgress: [], closedToday: [] };
  for (const s of sessions) {
    if (search.trim() && !namesPatient(s, search)) continue;
    const tab = queueTab(s, today);
    if (tab) out[tab].push(s);
  }
  const opened = (s: SessionSummary) => s.consultation?.createdAt ?? lastTime(s);
  out.waiting.sort((a, b) => opened(a) - opened(b));
  out.inProgress.sort((a, b) => Number(b.unread > 0) - Number(a.unread > 0) || lastTime(b) - lastTime(a));
  out.closedToday.sort((a, b) => (b.consultation?.closedAt ?? lastTime(b)) - (a.consultation?.closedAt ?? lastTime(a)));
  return out;
}

/** "已等待 5 分钟", "已等待 2 小时 10 分钟". */
export function waitingLabel(since: number, now: number): string {
  const minutes = Math.max(0, Math.floor((now - since) / 60_000));
  if (minutes < 1) return '刚刚发起';
  if (minutes < 60) return `已等待 ${minutes} 分钟`;
  const h = Math.floor(minutes / 60);
  return `已等待 ${h} 小时${minutes % 60 ? ` ${minutes % 60} 分钟` : ''}`;
}

/**
 * Beside the session's name in the queue: sex and age of the confirmed identity, with its name where the
 * record's name differs from the account's (a parent consulting for a child).
 */
export function subjectLine(s: SessionSummary): string | undefined {
  const p = s.consultation?.subject;
  if (!p) return undefined;
  return [...(p.name !== s.name ? [p.name] : []), SEX_TEXT[p.sex], `${p.age}岁`].join(' · ');
}

/** What the pharmacist reads beside a prescription: who it is for and the intake's review fields (allergies apart). */
export function reviewRows(item: { patient?: { name: string; sex: Sex; age: number }; intake?: { complaint: string; allergies: string[]; medications: string[]; diagnosis: string } }): {
  rows: CardRow[];
  allergies?: string;
} {
  const { patient: p, intake: i } = item;
  const rows: CardRow[] = [
    ...(p ? [{ label: '患者', value: [p.name, SEX_TEXT[p.sex], `${p.age}岁`].join(' · ') }] : []),
    ...(i
      ? [
          { label: '主诉', value: i.complaint },
          { label: '既往诊断', value: i.diagnosis },
          { label: '用药', value: list(i.medications, '无') },
        ]
      : []),
  ];
  return { rows, ...(i?.allergies.length ? { allergies: i.allergies.join('、') } : {}) };
}

/** The patient panel's line for the doctor: "王五 · 男 · 58岁". */
export function panelLine(p: CareIdentity | MaskedIdentity): string {
  return [p.name, SEX_TEXT[p.sex], `${p.age}岁`].join(' · ');
}
