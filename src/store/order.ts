import type { Message } from '../../types/message';

/**
 * Display order: stored messages by server time, then seq (time alone collides within one millisecond);
 * pending ones (no seq yet) after all stored ones, by local time, then idClient so the order is total.
 */
export function compareMessages(a: Message, b: Message): number {
  const aPending = a.seq === undefined;
  const bPending = b.seq === undefined;
  if (aPending !== bPending) return aPending ? 1 : -1;
  if (a.time !== b.time) return a.time - b.time;
  if (!aPending && a.seq !== b.seq) return (a.seq as number) - (b.seq as number);
  return a.idClient < b.idClient ? -1 : a.idClient > b.idClient ? 1 : 0;
}
