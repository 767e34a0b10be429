/**
 * Prescriptions (issue 17): what a doctor issues, what the hospital signs, how a pharmacist reviews it,
 * how a patient asks to renew it, and who may do which. Pure: the server enforces these rules, the
 * client shows them.
 *
 * A prescription travels as a custom message (card 'rx') in the consultation, so sync and history carry
 * it; each later change of its review state travels as a stored notification message
 * (`prescriptionChange`), like a recall, so every device learns it the same way.
 */
import type { IntakeCard, MaskedIdentity } from './encounter';
import type { Message, Role } from './message';

export interface RxDrug {
  name: string;
  /** The formulary's management category, e.g. "处方药", "第二类精神药品": what the online-prescribing ban is checked against. */
  category: string;
  /** e.g. "0.25g×24片/盒" */
  specification: string;
  /** e.g. "每次 0.5g" */
  dosage: string;
  /** Route and frequency, e.g. "口服，每日 3 次" */
  usage: string;
  /** How many `unit`s to dispense. */
  quantity: number;
  /** e.g. "盒" */
  unit: string;
}

/** What the doctor's form sends. */
export interface PrescriptionDraft {
  diagnosis: string;
  drugs: RxDrug[];
  note?: string;
  /** The id of the rejected prescription this one replaces (the doctor's answer to a rejection). */
  corrects?: string;
}

/** What the hospital signs: the draft plus who, for whom, in which consultation and when (set by the server). */
export interface PrescriptionContent extends PrescriptionDraft {
  id: string;
  consultationId: string;
  patient: string;
  doctor: string;
  doctorName: string;
  /** ms */
  issuedAt: number;
}

export const RX_LIMITS = { drugs: 10, text: 200, quantity: 99 } as const;

/**
 * The bytes that are signed: JSON with object keys sorted at every level and no whitespace, absent
 * optional fields left out. Anyone holding the hospital's public key can verify a card with it.
 */
export function canonicalPrescription(c: PrescriptionContent): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .sort()
          .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(canon(c));
}

export interface RxSignature {
  /** node:crypto's name of the key type: 'ed25519' or 'rsa' (RSA signs SHA-256). */
  alg: 'ed25519' | 'rsa';
  /** Which hospital key signed it (SHA-256 of the public key's DER, hex, first 16). */
  keyId: string;
  /** base64 */
  value: string;
}

/** The attach of a prescription message. */
export interface RxCard {
  card: 'rx';
  rx: PrescriptionContent;
  signature: RxSignature;
}

export const PRESCRIPTION_STATES = ['pending', 'approved', 'rejected'] as const;
export type PrescriptionState = (typeof PRESCRIPTION_STATES)[number];

/** A prescription with its review state, as the server keeps it. */
export interface PrescriptionRecord extends RxCard {
  state: PrescriptionState;
  /** Why the pharmacist rejected it (shown to the doctor, who answers with a corrected card). */
  reason?: string;
  reviewer?: string;
  reviewedAt?: number;
  /** The id of the prescription that corrected this rejected one. */
  correctedBy?: string;
}

/** `GET RX_KEY_PATH`: the hospital's public key, to verify a card's signature. */
export const RX_KEY_PATH = '/api/rx/key';
export interface RxPublicKey {
  alg: RxSignature['alg'];
  keyId: string;
  /** SPKI PEM */
  publicKeyPem: string;
}

/**
 * 互联网诊疗管理办法（试行）第十九条: no prescription online for 麻醉药品, 精神药品 and other specially
 * managed drugs; 互联网诊疗监管细则 names the others. The hospital may configure its own list.
 */
export const DEFAULT_FORBIDDEN_CATEGORIES: readonly string[] = [
  '麻醉药品',
  '精神药品',
  '医疗用毒性药品',
  '放射性药品',
  '药品类易制毒化学品',
  '特殊管理药品',
];

/** A category matches a banned one it contains ("第一类精神药品" is a 精神药品). */
export function forbiddenDrugs(drugs: readonly Pick<RxDrug, 'category'>[], banned: readonly string[]): number[] {
  return drugs.flatMap((d, i) => (banned.some((b) => d.category.includes(b)) ? [i] : []));
}

/** The review: only a pending prescription is reviewed, once. */
export const REVIEW_DECISIONS = ['approve', 'reject'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];
export const REVIEW_RESULT: Record<ReviewDecision, PrescriptionState> = { approve: 'approved', reject: 'rejected' };

/** Why someone may not issue a prescription in a consultation, or undefined when they may. */
export type IssueRefusal = 'notDoctor' | 'notAccepted' | 'closed';

export function issueRefusal(
  me: { account: string; role: Role },
  c: { doctor: string; status: 'waiting' | 'inProgress' | 'closed' | 'cancelled' },
): IssueRefusal | undefined {
  if (me.role !== 'doctor' || me.account !== c.doctor) return 'notDoctor';
  if (c.status === 'waiting') return 'notAccepted';
  if (c.status !== 'inProgress') return 'closed';
  return undefined;
}

/** A corrected card replaces one rejected prescription of the same consultation, once. */
export function mayCorrect(p: Pick<PrescriptionRecord, 'state' | 'correctedBy' | 'rx'>, consultationId: string): boolean {
  return p.state === 'rejected' && p.correctedBy === undefined && p.rx.consultationId === consultationId;
}

/** Whether a patient may ask to renew (续方) this prescription: their own, and valid (approved). */
export function mayRenew(me: { account: string; role: Role }, p: Pick<PrescriptionRecord, 'state' | 'rx'>): boolean {
  return me.role === 'patient' && p.rx.patient === me.account && p.state === 'approved';
}

/** A review state change, as the notification message that carries it. */
export interface PrescriptionChange {
  prescription: { id: string; state: PrescriptionState; reason?: string; by: string };
}

export function prescriptionChange(m: Pick<Message, 'type' | 'attach'>): PrescriptionChange['prescription'] | undefined {
  const p = m.type === 'notification' ? (m.attach as Partial<PrescriptionChange> | undefined)?.prescription : undefined;
  return p && typeof p.id === 'string' && typeof p.by === 'string' && PRESCRIPTION_STATES.includes(p.state as PrescriptionState) ? p : undefined;
}

/** A patient's request to renew a prescription, as the notification message that carries it to the doctor. */
export interface RenewalRequest {
  renewal: { prescriptionId: string; by: string };
}

export function renewalRequest(m: Pick<Message, 'type' | 'attach'>): RenewalRequest['renewal'] | undefined {
  const r = m.type === 'notification' ? (m.attach as Partial<RenewalRequest> | undefined)?.renewal : undefined;
  return r && typeof r.prescriptionId === 'string' && typeof r.by === 'string' ? r : undefined;
}

/** The state a card shows: its issued state, then each change in the order the conversation holds them. */
export function prescriptionStates(msgs: readonly Pick<Message, 'type' | 'attach'>[]): Map<string, { state: PrescriptionState; reason?: string }> {
  const states = new Map<string, { state: PrescriptionState; reason?: string }>();
  for (const m of msgs) {
    const card = m.type === 'custom' ? (m.attach as Partial<RxCard> | undefined) : undefined;
    if (card?.card === 'rx' && card.rx && !states.has(card.rx.id)) states.set(card.rx.id, { state: 'pending' });
    const change = prescriptionChange(m);
    if (change) states.set(change.id, { state: change.state, ...(change.reason ? { reason: change.reason } : {}) });
  }
  return states;
}

/**
 * What a pharmacist reads besides the card (the review checks dose against age, allergies and what
 * the patient already takes): never the chat, the intake's uploads or the full name.
 */
export type ReviewIntake = Pick<IntakeCard, 'complaint' | 'allergies' | 'medications' | 'diagnosis'>;
export type ReviewPatient = Pick<MaskedIdentity, 'name' | 'sex' | 'age'>;

export function reviewIntakeOf(i: IntakeCard): ReviewIntake {
  return { complaint: i.complaint, allergies: i.allergies, medications: i.medications, diagnosis: i.diagnosis };
}

/** The label a card shows to patient and doctor. */
export const PRESCRIPTION_STATE_LABEL: Record<PrescriptionState, string> = { pending: '待审核', approved: '已通过', rejected: '未通过' };
