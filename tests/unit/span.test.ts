/** The span of held messages the chat page builds its list from (src/store/span.ts). */
import type { Message } from '../../types/message';
import { createChatStore } from '../../src/store';
import type { Span } from '../../src/store/span';
import { newerSpan, newerThanSpan, olderSpan, SPAN, spanAround, spanMessages, spanRange, spanThroughNewest } from '../../src/store/span';

const ID = 'team-c1';
const PINNED: Span = {};
const spanStart = (held: Parameters<typeof spanRange>[0], span: Span) => spanRange(held, span).start;
const at = (seq: number): Message => ({
  scene: 'team',
  sessionId: ID,
  from: seq % 2 ? 'patient-li' : 'doctor-zhang',
  to: 'c1',
  type: 'text',
  body: `第${seq}条`,
  idClient: `m${seq}`,
  seq,
  time: 1_700_000_000_000 + seq * 1000,
  status: 'sent',
});

function held(count: number) {
  const store = createChatStore();
  store.getState().setMe({ account: 'patient-li', name: '李女士', role: 'patient' });
  store.getState().mergeHistory(ID, Array.from({ length: count }, (_, i) => at(i + 1)), true);
  return { store, now: () => store.getState().messages.get(ID)! };
}

test('without a first message the span is the newest SPAN.size; a short chat is shown whole', () => {
  const { now } = held(1_000);
  const msgs = spanMessages(now(), PINNED);
  expect(msgs).toHaveLength(SPAN.size);
  expect(msgs[0].seq).toBe(1_000 - SPAN.size + 1);
  expect(msgs[msgs.length - 1].seq).toBe(1_000);
  expect(spanMessages(held(30).now(), PINNED).map((m) => m.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
});

test('the list asking for older items widens the span a step at a time down to the oldest held, then there is nothing older held', () => {
  const { now } = held(1_000);
  let span = PINNED;
  const starts: number[] = [];
  for (let next = olderSpan(now(), span); next !== undefined; next = olderSpan(now(), span)) {
    span = next;
    starts.push(spanStart(now(), span));
  }
  expect(starts[0]).toBe(1_000 - SPAN.size - SPAN.step);
  expect(starts[starts.length - 1]).toBe(0);
  expect(starts.every((s, i) => i === 0 || s === Math.max(0, starts[i - 1] - SPAN.step))).toBe(true);
  expect(spanMessages(now(), span)).toHaveLength(1_000);
  expect(span.to).toBeUndefined();
});

test('live messages join a widened span at its end; its first message stays', () => {
  const { store, now } = held(1_000);
  const from = olderSpan(now(), PINNED) as Span;
  const before = spanMessages(now(), from);
  store.getState().receive([at(1_001), at(1_002)]);
  const after = spanMessages(now(), from);
  expect(after[0]).toBe(before[0]);
  expect(after).toHaveLength(before.length + 2);
  expect(after[after.length - 1].seq).toBe(1_002);
});

test('a jump to a message before the span widens it to hold the target and a step before it; one inside changes nothing', () => {
  const { now } = held(1_000);
  const target = now().byId.get('m500') as Message;
  const span = spanAround(now(), PINNED, target) as Span;
  expect(span).toEqual({ from: `m${500 - SPAN.step}` });
  expect(spanStart(now(), span)).toBe(499 - SPAN.step);
  expect(spanMessages(now(), span).some((m) => m.idClient === 'm500')).toBe(true);
  expect(spanAround(now(), span, target)).toBeUndefined();
  expect(spanAround(now(), PINNED, now().byId.get('m990') as Message)).toBeUndefined();
});

test('a first message no longer held (purged, or the session emptied) falls back to the newest', () => {
  const { now } = held(300);
  expect(spanStart(now(), { from: 'gone' })).toBe(300 - SPAN.size);
  expect(spanRange(now(), { from: 'm10', to: 'gone' })).toEqual({ start: 9, end: 300 });
});

test('a history page of older messages joins the span only when it is widened to them, all at once', () => {
  const store = createChatStore();
  store.getState().setMe({ account: 'patient-li', name: '李女士', role: 'patient' });
  store.getState().mergeHistory(ID, Array.from({ length: 150 }, (_, i) => at(i + 101)), true);
  const now = () => store.getState().messages.get(ID)!;
  const from = spanMessages(now(), PINNED)[0].idClient;
  expect(from).toBe('m101');
  store.getState().mergeHistory(ID, Array.from({ length: 100 }, (_, i) => at(i + 1)), true);
  // 250 held now: the span still starts where it was pinned, none of the page in it yet.
  expect(spanMessages(now(), { from })[0].idClient).toBe('m101');
  expect(spanMessages(now(), { from: 'm1' })).toHaveLength(250);
});

test('a jump further back than SPAN.max detaches the span around the target; live messages wait past it', () => {
  const { store, now } = held(5_000);
  const span = spanAround(now(), { from: 'm4801' }, now().byId.get('m1000') as Message) as Span;
  expect(span).toEqual({ from: `m${1000 - SPAN.around}`, to: `m${1000 + SPAN.around}` });
  const before = spanMessages(now(), span);
  expect(before).toHaveLength(2 * SPAN.around + 1);
  expect(newerThanSpan(now(), span)).toBe(5_000 - 1000 - SPAN.around);
  store.getState().receive([at(5_001)]);
  const after = spanMessages(now(), span);
  expect(after).toHaveLength(before.length);
  expect(after.every((m, i) => m === before[i])).toBe(true);
  expect(newerThanSpan(now(), span)).toBe(5_001 - 1000 - SPAN.around);
  // Within SPAN.max of the newest, a jump keeps the span pinned (the test above); so does one near the end.
  expect(spanAround(now(), span, now().byId.get('m4990') as Message)).toEqual({ from: `m${4990 - SPAN.around}` });
});

test('a detached span widens a step at a time both ways, keeping its other end within SPAN.max, and is pinned again at the newest', () => {
  const { now } = held(2_000);
  const jumped = spanAround(now(), PINNED, now().byId.get('m500') as Message) as Span;
  const up = olderSpan(now(), jumped) as Span;
  expect(up.to).toBe(jumped.to);
  expect(spanRange(now(), up)).toEqual({ start: spanRange(now(), jumped).start - SPAN.step, end: spanRange(now(), jumped).end });
  let span = up;
  const ranges: Array<{ start: number; end: number }> = [];
  for (let next = newerSpan(now(), span); next !== undefined; next = newerSpan(now(), span)) {
    span = next;
    ranges.push(spanRange(now(), span));
  }
  const upStart = spanRange(now(), up).start;
  expect(ranges[0]).toEqual({ start: upStart, end: spanRange(now(), up).end + SPAN.step });
  expect(ranges.every(({ end }, i) => i === 0 || end === Math.min(2_000, ranges[i - 1].end + SPAN.step))).toBe(true);
  // Read down from far back, its oldest go once it is SPAN.max long: pinned again, it is not all that was read.
  expect(ranges.every(({ start, end }) => start === Math.max(upStart, end - SPAN.max))).toBe(true);
  expect(span).toEqual({ from: `m${2_000 - SPAN.max + 1}` });
  expect(spanMessages(now(), span)).toHaveLength(SPAN.max);
  expect(newerThanSpan(now(), span)).toBe(0);
  expect(newerSpan(now(), PINNED)).toBeUndefined();
});

test("a detached span's cards read from its first message to the newest: a review past its end counts", () => {
  const { now } = held(5_000);
  const span = spanAround(now(), PINNED, now().byId.get('m1000') as Message) as Span;
  const through = spanThroughNewest(now(), span);
  expect(through[0]).toBe(spanMessages(now(), span)[0]);
  expect(through.at(-1)?.seq).toBe(5_000);
  expect(spanThroughNewest(now(), PINNED)).toEqual(spanMessages(now(), PINNED));
});

test('a jump from a detached span to a message past its end widens it down while within SPAN.max, else moves it', () => {
  const { now } = held(5_000);
  const jumped = spanAround(now(), PINNED, now().byId.get('m1000') as Message) as Span;
  const near = spanAround(now(), jumped, now().byId.get('m1300') as Message) as Span;
  expect(spanRange(now(), near)).toEqual({ start: spanRange(now(), jumped).start, end: 1300 + SPAN.step });
  const far = spanAround(now(), jumped, now().byId.get('m3000') as Message) as Span;
  expect(far).toEqual({ from: `m${3000 - SPAN.around}`, to: `m${3000 + SPAN.around}` });
});
