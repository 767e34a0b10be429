/**
 * Where a ScrollView is scrolled to, from whichever scroll event reaches its handler. Mini programs
 * and Taro's H5 component report it in `detail`. On H5 the browser's own `scroll` event reaches the
 * handler too whenever the component is not there to stop it (Taro attaches handlers to the element
 * itself, and the component's own listener goes when it disconnects: a list removed with its page
 * fires one `scroll` without `detail`); the element then has the position itself.
 */
export interface ScrollPosition {
  scrollTop: number;
  scrollHeight: number;
}

type ScrollEventShape = { detail?: Partial<ScrollPosition> | null; currentTarget?: unknown } | null | undefined;

const isPosition = (p: Partial<ScrollPosition> | null | undefined): p is ScrollPosition =>
  typeof p?.scrollTop === 'number' && typeof p.scrollHeight === 'number';

/** The position, or undefined for an event that tells none (e.g. from an element no longer shown). */
export function scrollPosition(e: unknown): ScrollPosition | undefined {
  const event = e as ScrollEventShape;
  if (isPosition(event?.detail)) return { scrollTop: event.detail.scrollTop, scrollHeight: event.detail.scrollHeight };
  const el = event?.currentTarget as (Partial<ScrollPosition> & { isConnected?: boolean }) | null | undefined;
  return el?.isConnected && isPosition(el) ? { scrollTop: el.scrollTop, scrollHeight: el.scrollHeight } : undefined;
}
