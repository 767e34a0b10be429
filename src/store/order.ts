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

/** First index in `order` whose message sorts at or after `msg`: O(log n). */
export function lowerBound(order: readonly string[], byId: ReadonlyMap<string, Message>, msg: Message): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareMessages(byId.get(order[mid]) as Message, msg) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
