/**
 * Which of a session's held messages the chat page turns into list items. The list renders a window of
 * at most about a hundred items (src/render/window.ts), yet building the items of every held message
 * made each live message cost time in the chat's length: tens of milliseconds in a 10,000-message chat,
 * several times that on a phone. The page builds them for a span instead.
 *
 * A span is pinned (it ends at the newest message, live ones join it) or detached (it ends at a message
 * of its own, live ones wait past it). Opened, it is the newest SPAN.size. It grows older by SPAN.step
 * when the list asks for older items (before any page is asked of the server), newer by SPAN.step when a
 * detached one is asked for newer items, pinned again once it reaches the newest, and to hold a jump's
 * target: pinned when that keeps it within SPAN.max, else detached around the target – a span from a
 * message 20,000 back to the newest made every live message cost those 20,000 until the page closed.
 * A span never shrinks while the page is open, so what the reader has scrolled through stays put, but for
 * a detached one read downwards, which lets its oldest go past SPAN.max; going back to the newest (or a
 * jump too far from it) starts a new one.
 */
import type { Message } from '../../types/message';
import { compareMessages } from './order';
import type { SessionMessages } from './reducers';

export const SPAN = { size: 200, step: 60, max: 1_000, around: 100 } as const;

/** The first message of a span (without one, SPAN.size before its end) and its last (without one, pinned). */
export interface Span {
  from?: string;
  to?: string;
}

type Held = Pick<SessionMessages, 'byId' | 'order'>;

/** Where `m` stands in the order, O(log n). */
const indexOf = (held: Held, m: Message): number => held.order.firstWhere((x) => compareMessages(x, m) >= 0);

/**
 * Indices [start, end) of the span, O(log n). A first or last message no longer held (purged, or the
 * session emptied) falls back to the default: SPAN.size before the end, the newest. Older messages that
 * arrive (a history page) join only when the span is widened to them, all at once: the list keeps its
 * reader's place across one change of its items, not two.
 */
export function spanRange(held: Held, span: Span): { start: number; end: number } {
  const first = span.from === undefined ? undefined : held.byId.get(span.from);
  const last = span.to === undefined ? undefined : held.byId.get(span.to);
  const end = last ? indexOf(held, last) + 1 : held.order.length;
  return { start: Math.min(end, first ? indexOf(held, first) : Math.max(0, end - SPAN.size)), end };
}

/** The messages of the span, oldest first: O(log n) plus the span's length. */
export function spanMessages(held: Held, span: Span): Message[] {
  const { start, end } = spanRange(held, span);
  return held.order.slice(start, end);
}

/**
 * From the span's first message to the newest: what the span's cards read their state from (a review or
 * a correction comes after its card, possibly past a detached span). O(log n) plus that length.
 */
export function spanThroughNewest(held: Held, span: Span): Message[] {
  return held.order.slice(spanRange(held, span).start, held.order.length);
}

/** How many held messages are newer than the span: 0 while it is pinned. */
export const newerThanSpan = (held: Held, span: Span): number => held.order.length - spanRange(held, span).end;

/** The span [start, end), pinned when it reaches the newest. */
function spanOf(held: Held, start: number, end: number): Span {
  const from = held.order.at(start)?.idClient;
  const to = end < held.order.length ? held.order.at(end - 1)?.idClient : undefined;
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}

/** The span one step older; undefined when it already starts at the oldest held. */
export function olderSpan(held: Held, span: Span): Span | undefined {
  const { start, end } = spanRange(held, span);
  return start === 0 ? undefined : spanOf(held, Math.max(0, start - SPAN.step), end);
}

/**
 * A detached span one step newer, pinned once that reaches the newest; undefined when it is pinned. Its
 * oldest go past SPAN.max, so that reading down from a jump far back does not end in a pinned span of
 * everything read.
 */
export function newerSpan(held: Held, span: Span): Span | undefined {
  const { start, end } = spanRange(held, span);
  if (end === held.order.length) return undefined;
  const newEnd = Math.min(held.order.length, end + SPAN.step);
  return spanOf(held, Math.max(start, newEnd - SPAN.max), newEnd);
}

/**
 * A span that holds `target` and a step either side of it: the span widened to it while that stays
 * within SPAN.max, else SPAN.around either side of the target (detached unless that reaches the newest).
 * Undefined when the span holds it already.
 */
export function spanAround(held: Held, span: Span, target: Message): Span | undefined {
  const { start, end } = spanRange(held, span);
  const at = indexOf(held, target);
  if (at >= start && at < end) return undefined;
  const n = held.order.length;
  const wider = { start: Math.min(start, Math.max(0, at - SPAN.step)), end: Math.max(end, Math.min(n, at + SPAN.step + 1)) };
  if (wider.end - wider.start <= SPAN.max) return spanOf(held, wider.start, wider.end);
  return spanOf(held, Math.max(0, at - SPAN.around), Math.min(n, at + SPAN.around + 1));
}
