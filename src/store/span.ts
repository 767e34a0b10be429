/**
 * Which of a session's held messages the chat page turns into list items. The list renders a window of
 * at most about a hundred items (src/render/window.ts), yet building the items of every held message
 * made each live message cost time in the chat's length: tens of milliseconds in a 10,000-message chat,
 * several times that on a phone. The page builds them for a span instead: from a first message on to
 * the newest. Without one, the span is the newest SPAN.size messages; it grows older by SPAN.step when
 * the list asks for older items (before any page is asked of the server), and to hold a jump's target.
 * A span never shrinks while the page is open, so what the reader has scrolled through stays put.
 */
import type { Message } from '../../types/message';
import { compareMessages } from './order';
import type { SessionMessages } from './reducers';

export const SPAN = { size: 200, step: 60 } as const;

type Held = Pick<SessionMessages, 'byId' | 'order'>;

/** Where `m` stands in the order, O(log n). */
const indexOf = (held: Held, m: Message): number => held.order.firstWhere((x) => compareMessages(x, m) >= 0);

/**
 * Index of the span's first message: `from`'s, or without one (or one no longer held) the newest
 * SPAN.size's. Older messages that arrive (a history page) join only when the span is widened to them,
 * all at once: the list keeps its reader's place across one change of its items, not two.
 */
export function spanStart(held: Held, from: string | undefined): number {
  const first = from === undefined ? undefined : held.byId.get(from);
  return first ? indexOf(held, first) : Math.max(0, held.order.length - SPAN.size);
}

/** The messages of the span, oldest first: O(log n) plus the span's length. */
export const spanMessages = (held: Held, from: string | undefined): Message[] => held.order.slice(spanStart(held, from));

/** The first message of the span one step older; undefined when it already starts at the oldest held. */
export function olderSpan(held: Held, from: string | undefined): string | undefined {
  const start = spanStart(held, from);
  return start === 0 ? undefined : held.order.at(Math.max(0, start - SPAN.step))?.idClient;
}

/** The first message of a span that holds `target` and a step before it; undefined when the span holds it already. */
export function spanAround(held: Held, from: string | undefined, target: Message): string | undefined {
  const at = indexOf(held, target);
  return at >= spanStart(held, from) ? undefined : held.order.at(Math.max(0, at - SPAN.step))?.idClient;
}
