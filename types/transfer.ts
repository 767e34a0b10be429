/**
 * Transfer (转诊, issue 17): the consultation's doctor hands it to another doctor of the hospital. The
 * one rule for "who is this consultation's doctor, and what may each doctor it had still do": the new
 * doctor takes over (reads everything, writes); a doctor it was transferred away from keeps read access
 * to what was there before the transfer and writes nothing. Pure.
 */
import { partyOf } from './consultation';
import type { Message } from './message';

export interface TransferRecord {
  consultationId: string;
  from: string;
  to: string;
  /** The conversation's last seq when the consultation left `from` (the transfer notice comes after it). */
  atSeq: number;
  /** ms */
  at: number;
}

export type ConsultationAccess =
  | { read: 'all'; write: boolean }
  /** A former doctor: messages up to and including `upToSeq`, nothing written. */
  | { read: 'upTo'; upToSeq: number; write: false }
  | { read: 'none'; write: false };

/**
 * What `account` may do in the consultation's conversation. `write` is about membership only; whether
 * the consultation is open to them is closedReason's (types/consultation.ts).
 */
export function consultationAccess(
  c: { patient: string; doctor: string },
  transfers: readonly Pick<TransferRecord, 'from' | 'atSeq'>[],
  account: string,
): ConsultationAccess {
  if (partyOf(c, account)) return { read: 'all', write: true };
  const left = transfers.filter((t) => t.from === account);
  if (!left.length) return { read: 'none', write: false };
  return { read: 'upTo', upToSeq: Math.max(...left.map((t) => t.atSeq)), write: false };
}

/** Why a transfer is refused, or undefined when it may go ahead. */
export type TransferRefusal = 'notDoctor' | 'closed' | 'sameDoctor' | 'notADoctor';

export function transferRefusal(
  me: { account: string; role: string },
  c: { doctor: string; patient: string; status: 'waiting' | 'inProgress' | 'closed' | 'cancelled' },
  to: { account: string; role: string } | undefined,
): TransferRefusal | undefined {
  if (me.role !== 'doctor' || me.account !== c.doctor) return 'notDoctor';
  if (c.status === 'closed' || c.status === 'cancelled') return 'closed';
  if (!to || to.role !== 'doctor') return 'notADoctor';
  if (to.account === c.doctor) return 'sameDoctor';
  return undefined;
}

/** The notice everyone in the conversation sees (stored notification message). */
export interface TransferNotice {
  transfer: { from: string; to: string; toName: string };
}

export function transferNotice(m: Pick<Message, 'type' | 'attach'>): TransferNotice['transfer'] | undefined {
  const t = m.type === 'notification' ? (m.attach as Partial<TransferNotice> | undefined)?.transfer : undefined;
  return t && typeof t.from === 'string' && typeof t.to === 'string' && typeof t.toName === 'string' ? t : undefined;
}

/**
 * A doctor of the hospital the consultation may be transferred to, as the transfer page lists them:
 * title and department from their verified identity where the hospital gave one.
 */
export interface TransferTarget {
  account: string;
  name: string;
  title?: string;
  department?: string;
}

/** The most doctors one `doctors` reply lists, and the longest name filter. */
export const DOCTORS_LIMITS = { list: 200, filter: 32 } as const;

/** Whether a doctor matches the transfer page's filter (name, account, department; case-insensitive). */
export function doctorMatches(d: TransferTarget, filter: string): boolean {
  const f = filter.trim().toLowerCase();
  return !f || [d.name, d.account, d.department ?? ''].some((s) => s.toLowerCase().includes(f));
}
