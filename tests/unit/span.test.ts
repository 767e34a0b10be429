/** The span of held messages the chat page builds its list from (src/store/span.ts). */
import type { Message } from '../../types/message';
import { createChatStore } from '../../src/store';
import { olderSpan, SPAN, spanAround, spanMessages, spanStart } from '../../src/store/span';

const ID = 'team-c1';
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
  const msgs = spanMessages(now(), undefined);
  expect(msgs).toHaveLength(SPAN.size);
  expect(msgs[0].seq).toBe(1_000 - SPAN.size + 1);
  expect(msgs[msgs.length - 1].seq).toBe(1_000);
  expect(spanMessages(held(30).now(), undefined).map((m) => m.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
});

test('the list asking for older items widens the span a step at a time down to the oldest held, then there is nothing older held', () => {
  const { now } = held(1_000);
  let from: string | undefined;
  const starts: number[] = [];
  for (let next = olderSpan(now(), from); next !== undefined; next = olderSpan(now(), from)) {
    from = next;
    starts.push(spanStart(now(), from));
  }
  expect(starts[0]).toBe(1_000 - SPAN.size - SPAN.step);
  expect(starts[starts.length - 1]).toBe(0);
  expect(starts.every((s, i) => i === 0 || s === Math.max(0, starts[i - 1] - SPAN.step))).toBe(true);
  expect(spanMessages(now(), from)).toHaveLength(1_000);
});

test('live messages join a widened span at its end; its first message stays', () => {
  const { store, now } = held(1_000);
  const from = olderSpan(now(), undefined) as string;
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
  const from = spanAround(now(), undefined, target) as string;
  expect(spanStart(now(), from)).toBe(499 - SPAN.step);
  expect(spanMessages(now(), from).some((m) => m.idClient === 'm500')).toBe(true);
  expect(spanAround(now(), from, target)).toBeUndefined();
  expect(spanAround(now(), undefined, now().byId.get('m990') as Message)).toBeUndefined();
});

test('a first message no longer held (purged, or the session emptied) falls back to the newest', () => {
  const { now } = held(300);
  expect(spanStart(now(), 'gone')).toBe(300 - SPAN.size);
});

test('a history page of older messages joins the span only when it is widened to them, all at once', () => {
  const store = createChatStore();
  store.getState().setMe({ account: 'patient-li', name: '李女士', role: 'patient' });
  store.getState().mergeHistory(ID, Array.from({ length: 150 }, (_, i) => at(i + 101)), true);
  const now = () => store.getState().messages.get(ID)!;
  const from = spanMessages(now(), undefined)[0].idClient;
  expect(from).toBe('m101');
  store.getState().mergeHistory(ID, Array.from({ length: 100 }, (_, i) => at(i + 1)), true);
  // 250 held now: the span still starts where it was pinned, none of the page in it yet.
  expect(spanMessages(now(), from)[0].idClient).toBe('m101');
  expect(spanMessages(now(), 'm1')).toHaveLength(250);
});
