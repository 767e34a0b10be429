/**
 * Which part of a long timeline is rendered. Chats open at the bottom and grow upwards, which Taro's
 * VirtualList (top-anchored, fixed item heights) does not do, so the window is ours: at most `max`
 * items, anchored at its newest item – or at the newest of all while it follows new messages.
 * Pure: the list component keeps the reader's place when the window moves (see MessageList).
 */
export interface ListWindow {
  /** Key of the newest rendered item; undefined while the window follows the newest message. */
  endKey?: string;
  /** How many items end there. */
  count: number;
}

export const WINDOW = { size: 60, step: 30, max: 120 } as const;

export const initialWindow = (): ListWindow => ({ count: WINDOW.size });

/** Indices [start, end) of the rendered items. An end key no longer held falls back to the newest. */
export function windowRange(keys: readonly string[], w: ListWindow): { start: number; end: number } {
  const at = w.endKey === undefined ? -1 : keys.lastIndexOf(w.endKey);
  const end = at >= 0 ? at + 1 : keys.length;
  return { start: Math.max(0, end - w.count), end };
}

function windowOf(keys: readonly string[], start: number, end: number): ListWindow {
  return { ...(end < keys.length ? { endKey: keys[end - 1] } : {}), count: end - start };
}

/** Older items above: grows by a step, then slides up, dropping the newest rendered ones. */
export function extendUp(keys: readonly string[], w: ListWindow): ListWindow {
  const { start, end } = windowRange(keys, w);
  const newStart = Math.max(0, start - WINDOW.step);
  return windowOf(keys, newStart, Math.min(end, newStart + WINDOW.max));
}

/** Newer items below: slides down by a step, dropping the oldest rendered ones; at the end it follows. */
export function extendDown(keys: readonly string[], w: ListWindow): ListWindow {
  const { start, end } = windowRange(keys, w);
  const newEnd = Math.min(keys.length, end + WINDOW.step);
  return windowOf(keys, Math.max(start, newEnd - WINDOW.max), newEnd);
}

/**
 * `appended` new items after the newest: a following window grows with them, and past `max` sheds
 * `step` items at once. Mini programs re-send a parent's whole child list when a child leaves it, so
 * dropping the oldest item on every new message would re-send the list every time; appending sends
 * only the new item.
 */
export function afterAppend(w: ListWindow, appended: number): ListWindow {
  if (w.endKey !== undefined || appended <= 0) return w;
  const count = w.count + appended;
  return { count: count > WINDOW.max ? WINDOW.max - WINDOW.step : count };
}

/** The same items, no longer following: new messages then wait below instead of moving the list. */
export function freeze(keys: readonly string[], w: ListWindow): ListWindow {
  const { start, end } = windowRange(keys, w);
  return end === 0 ? w : { endKey: keys[end - 1], count: end - start };
}

/**
 * A window showing `key` (a quote or search hit to jump to) with some items around it; it does not
 * follow new messages, so the jump stays where it landed. Undefined when the key is not held.
 */
export function around(keys: readonly string[], key: string): ListWindow | undefined {
  const at = keys.lastIndexOf(key);
  if (at < 0) return undefined;
  const end = Math.min(keys.length, Math.max(at + WINDOW.step, WINDOW.size));
  const start = Math.max(0, Math.min(at - WINDOW.step, end - WINDOW.size));
  return { endKey: keys[end - 1], count: end - start };
}
