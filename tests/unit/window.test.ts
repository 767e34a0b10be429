/** The message list's window over a long timeline (render/window.ts). */
import { afterAppend, around, extendDown, extendUp, freeze, initialWindow, WINDOW, windowRange } from '../../src/render/window';

const keys = (n: number) => Array.from({ length: n }, (_, i) => `k${i}`);

test('a new window shows the newest items and follows new ones', () => {
  const k = keys(10_000);
  expect(windowRange(k, initialWindow())).toEqual({ start: 10_000 - WINDOW.size, end: 10_000 });
  expect(windowRange(keys(10_001), initialWindow())).toEqual({ start: 10_001 - WINDOW.size, end: 10_001 });
  expect(windowRange(keys(5), initialWindow())).toEqual({ start: 0, end: 5 });
});

test('going up grows the window to its maximum, then slides it, never past the oldest', () => {
  const k = keys(1_000);
  let w = initialWindow();
  const seen: Array<{ start: number; end: number }> = [];
  for (let i = 0; i < 40; i++) {
    w = extendUp(k, w);
    seen.push(windowRange(k, w));
  }
  for (const r of seen) expect(r.end - r.start).toBeLessThanOrEqual(WINDOW.max);
  expect(seen[0]).toEqual({ start: 1_000 - WINDOW.size - WINDOW.step, end: 1_000 });
  expect(seen.at(-1)).toEqual({ start: 0, end: WINDOW.max });
  // Each step keeps the previous first item rendered: the list anchors on it.
  for (let i = 1; i < seen.length; i++) expect(seen[i].end).toBeGreaterThan(seen[i - 1].start);
});

test('going down slides back and follows again at the newest; frozen windows ignore new items', () => {
  const k = keys(1_000);
  let w = initialWindow();
  for (let i = 0; i < 10; i++) w = extendUp(k, w);
  expect(w.endKey).toBeDefined();
  let guard = 0;
  while (w.endKey !== undefined && guard++ < 100) {
    const before = windowRange(k, w);
    w = extendDown(k, w);
    const after = windowRange(k, w);
    // The last item rendered before stays rendered: the list anchors on it.
    expect(after.start).toBeLessThan(before.end);
    expect(after.end - after.start).toBeLessThanOrEqual(WINDOW.max);
  }
  expect(windowRange(k, w).end).toBe(1_000);
  const frozen = freeze(k, w);
  expect(windowRange([...k, 'new1', 'new2'], frozen)).toEqual(windowRange(k, w));
  expect(windowRange([...k, 'new1'], w).end).toBe(1_001);
});

test('a following window grows with new messages and sheds a whole step past the maximum', () => {
  let k = keys(WINDOW.size);
  let w = initialWindow();
  const starts: number[] = [];
  for (let i = 0; i < 200; i++) {
    k = [...k, `new${i}`];
    w = afterAppend(w, 1);
    const r = windowRange(k, w);
    expect(r.end).toBe(k.length);
    expect(r.end - r.start).toBeLessThanOrEqual(WINDOW.max);
    starts.push(r.start);
  }
  // The oldest rendered item changes once per step, not once per message.
  const moves = starts.filter((s, i) => i > 0 && s !== starts[i - 1]).length;
  expect(moves).toBeLessThanOrEqual(Math.ceil(200 / WINDOW.step));
  // A window the reader froze by scrolling up does not follow.
  const frozen = freeze(k, w);
  expect(afterAppend(frozen, 5)).toBe(frozen);
});

test('older items prepended under a window do not move what it shows', () => {
  const k = keys(100);
  const w = freeze(k, initialWindow());
  const older = [...['o1', 'o2', 'o3'], ...k];
  const r = windowRange(older, w);
  expect(older.slice(r.start, r.end)).toEqual(k.slice(100 - WINDOW.size));
});

test('a jump shows the target with items around it, stops following, and is bounded; an unknown key is no jump', () => {
  const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
  for (const target of [0, 5, 500, 990, 999]) {
    const w = around(keys, `k${target}`);
    expect(w).toBeDefined();
    const { start, end } = windowRange(keys, w as NonNullable<typeof w>);
    expect(start).toBeLessThanOrEqual(target);
    expect(end).toBeGreaterThan(target);
    expect(end - start).toBeLessThanOrEqual(WINDOW.max);
    expect(w?.endKey).toBeDefined();
  }
  // In the middle there is context above and below the target.
  const mid = windowRange(keys, around(keys, 'k500') as NonNullable<ReturnType<typeof around>>);
  expect(mid.start).toBeLessThan(500 - 10);
  expect(mid.end).toBeGreaterThan(500 + 10);
  expect(around(keys, 'nope')).toBeUndefined();
});
