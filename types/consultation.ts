/**
 * The consultation's rules, for the server that enforces them and the client that shows them: when a
 * consultation takes what from whom (every frame that writes into a conversation between its patient
 * and doctor, team or p2p; the chat page closes its input by it), and who may change it from which
 * state to which. Pure: `now` is passed in.
 */
import { followUpOpen } from './encounter';
import type { ConsultationAction, ConsultationInfo, ConsultationStatus, Role } from './message';

/**
 * Why nothing more may be written, or undefined while it may. `consentRequired`: the patient has not
 * agreed to the informed consent yet (互联网诊疗监管细则（试行）: consent before care).
 */
export type ClosedReason = 'closed' | 'cancelled' | 'expired' | 'notAccepted' | 'quotaUsed' | 'consentRequired';

/** What the admission rule reads of a consultation. */
export type AdmissionFacts = Pick<ConsultationInfo, 'status' | 'doctor' | 'patient' | 'endsAt' | 'maxPatientMessages' | 'patientMessages'> &
  Partial<Pick<ConsultationInfo, 'consent' | 'closedAt' | 'followUp' | 'followUps'>>;

/**
 * `message` counts against the patient's quota; a `signal` (typing, a recall of one's own message)
 * needs the consultation open but uses no quota.
 */
export type WriteKind = 'message' | 'signal';

/**
 * After closing, the follow-up window (追问, types/encounter.ts) keeps the consultation open for its
 * doctor and for the patient's N follow-up messages; the quota and the time limit were for the visit.
 */
export function closedReason(c: AdmissionFacts, account: string, now: number, kind: WriteKind = 'message'): ClosedReason | undefined {
  if (c.status === 'closed') {
    if (!followUpOpen(c, now)) return 'closed';
    const used = kind === 'message' && account === c.patient && (c.followUps ?? 0) >= (c.followUp?.messages ?? 0);
    return used ? 'closed' : undefined;
  }
  if (c.status === 'cancelled') return 'cancelled';
  if (c.endsAt !== undefined && now > c.endsAt) return 'expired';
  if (c.status === 'waiting' && account === c.doctor) return 'notAccepted';
  if (account === c.patient && c.consent === undefined) return 'consentRequired';
  if (kind === 'message' && account === c.patient && c.maxPatientMessages !== undefined && c.patientMessages >= c.maxPatientMessages) {
    return 'quotaUsed';
  }
  return undefined;
}

/** The two people a consultation is between: the only ones who write into it or change it. */
export type Party = 'patient' | 'doctor';

/** Which party of the consultation `account` is, if any: a doctor it was transferred away from is none. */
export function partyOf(c: Pick<ConsultationInfo, 'patient' | 'doctor'>, account: string): Party | undefined {
  return account === c.doctor ? 'doctor' : account === c.patient ? 'patient' : undefined;
}

/** Who may change a consultation: each action's party, the states it starts from and the state it leads to. */
export const CONSULTATION_TRANSITIONS: Readonly<
  Record<ConsultationAction, { role: Party; from: readonly ConsultationStatus[]; to: ConsultationStatus }>
> = {
  accept: { role: 'doctor', from: ['waiting'], to: 'inProgress' },
  close: { role: 'doctor', from: ['waiting', 'inProgress'], to: 'closed' },
  cancel: { role: 'patient', from: ['waiting'], to: 'cancelled' },
};

export const CONSULTATION_ACTIONS = Object.keys(CONSULTATION_TRANSITIONS) as ConsultationAction[];

/** Whether someone of `role` may take `action` on a consultation that is in `status`. */
export function mayChangeConsultation(status: ConsultationStatus, role: Role, action: ConsultationAction): boolean {
  const rule = CONSULTATION_TRANSITIONS[action];
  return rule.role === role && rule.from.includes(status);
}
