/**
 * When a consultation takes what from whom: the one rule the server enforces on every frame that
 * writes into a conversation between its patient and doctor (team or p2p), and the chat page uses to
 * close its input. Pure: `now` is passed in.
 */
import type { ConsultationInfo } from './message';

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
