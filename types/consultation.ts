/**
 * The consultation's rules, for the server that enforces them and the client that shows them: when a
 * consultation takes what from whom (every frame that writes into a conversation between its patient
 * and doctor, team or p2p; the chat page closes its input by it), and who may change it from which
 * state to which. Pure: `now` is passed in.
 */
import type { ConsultationAction, ConsultationInfo, ConsultationStatus, Role } from './message';

/** Why nothing more may be written, or undefined while it may. */
export type ClosedReason = 'closed' | 'cancelled' | 'expired' | 'notAccepted' | 'quotaUsed';

/**
 * `message` counts against the patient's quota; a `signal` (typing, a recall of one's own message)
 * needs the consultation open but uses no quota.
 */
export type WriteKind = 'message' | 'signal';

export function closedReason(
  c: Pick<ConsultationInfo, 'status' | 'doctor' | 'patient' | 'endsAt' | 'maxPatientMessages' | 'patientMessages'>,
  account: string,
  now: number,
  kind: WriteKind = 'message',
): ClosedReason | undefined {
  if (c.status === 'closed') return 'closed';
  if (c.status === 'cancelled') return 'cancelled';
  if (c.endsAt !== undefined && now > c.endsAt) return 'expired';
  if (c.status === 'waiting' && account === c.doctor) return 'notAccepted';
  if (kind === 'message' && account === c.patient && c.maxPatientMessages !== undefined && c.patientMessages >= c.maxPatientMessages) {
    return 'quotaUsed';
  }
  return undefined;
}

/** Who may change a consultation: each action's role, the states it starts from and the state it leads to. */
export const CONSULTATION_TRANSITIONS: Readonly<
  Record<ConsultationAction, { role: Role; from: readonly ConsultationStatus[]; to: ConsultationStatus }>
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
