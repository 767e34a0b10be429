/**
 * Store ingest: 100k messages over 1k sessions, 30 % duplicates, history pages arriving out of order.
 * Against a peer, stream-chat's channel state (one channel per session, addMessagesSorted per page),
 * and the naive approach — append, deduplicate with a Set, re-sort the whole session.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MessageResponse } from 'stream-chat';
import { StreamChat } from 'stream-chat';
import type { Message } from '../types/message';
import { createChatStore } from '../src/store';
import { compareMessages } from '../src/store/order';
import { buildTimeline, TimelineCache } from '../src/render/timeline';
import type { Span } from '../src/store/span';
import { SPAN, spanAround, spanMessages } from '../src/store/span';

const SESSIONS = 1_000;
const PER_SESSION = 100;
const PAGE = 20;

function workload(): Message[][] {
  const pages: Message[][] = [];
  for (let s = 0; s < SESSIONS; s++) {
    const msgs: Message[] = [];
    for (let seq = 1; seq <= PER_SESSION; seq++) {
      msgs.push({
        scene: 'team',
        sessionId: `team-s${s}`,
        from: seq % 2 ? 'patient' : 'doctor',
        to: `s${s}`,
        type: 'text',
        body: `message ${seq}`,
        idClient: `s${s}-m${seq}`,
        seq,
        time: 1_700_000_000_000 + seq * 1000,
        status: 'unread',
      });
    }
    // Pages from newest to oldest (history scroll), each overlapping the previous by 30 %.
    for (let end = PER_SESSION; end > 0; end -= Math.round(PAGE * 0.7)) {
      pages.push(msgs.slice(Math.max(0, end - PAGE), end));
    }
  }
  // Interleave sessions so that no session's pages arrive together.
  for (let i = pages.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [pages[i], pages[j]] = [pages[j], pages[i]];
  }
  return pages;
}

function naive(pages: Message[][]): number {
  const bySession = new Map<string, { ids: Set<string>; list: Message[] }>();
  for (const page of pages) {
    for (const m of page) {
      let s = bySession.get(m.sessionId);
      if (!s) bySession.set(m.sessionId, (s = { ids: new Set(), list: [] }));
      if (s.ids.has(m.idClient)) continue;
      s.ids.add(m.idClient);
      s.list.push(m);
      s.list.sort(compareMessages);
    }
  }
  let n = 0;
  for (const s of bySession.values()) n += s.list.length;
  return n;
}

/** The same pages as stream-chat messages; converted before timing, as ours arrive already typed. */
function asStreamPages(pages: Message[][]): Array<{ channel: string; msgs: MessageResponse[] }> {
  return pages.map((page) => ({
    channel: page[0].sessionId,
    msgs: page.map((m) => {
      const at = new Date(m.time).toISOString();
      return { id: m.idClient, text: m.body, type: 'regular', created_at: at, updated_at: at, user: { id: m.from } };
    }),
  }));
}

function streamChat(pages: Array<{ channel: string; msgs: MessageResponse[] }>): number {
  // No connection is made: channel state is local. channel() only checks that a user is set.
  const client = new StreamChat('bench-key', { allowServerSideConnect: true });
  client.userID = 'bench';
  const channels = new Map<string, ReturnType<StreamChat['channel']>>();
  for (const page of pages) {
    let channel = channels.get(page.channel);
    if (!channel) channels.set(page.channel, (channel = client.channel('messaging', page.channel)));
    channel.state.addMessagesSorted(page.msgs, false, false, true, 'current');
  }
  let n = 0;
  for (const c of channels.values()) n += c.state.messages.length;
  return n;
}

function ours(pages: Message[][]): number {
  const store = createChatStore();
  store.getState().setMe({ account: 'patient', name: 'p', role: 'patient' });
  for (const page of pages) store.getState().mergeHistory(page[0].sessionId, page, true);
  let n = 0;
  for (const s of store.getState().messages.values()) n += s.order.length;
  return n;
}

function time(fn: () => number): { ms: number; count: number } {
  const start = process.hrtime.bigint();
  const count = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, count };
}

export function benchStore(): string[] {
  const pages = workload();
  const streamPages = asStreamPages(pages);
  const delivered = pages.reduce((n, p) => n + p.length, 0);
  naive(pages.slice(0, 500));
  ours(pages.slice(0, 500));
  streamChat(streamPages.slice(0, 500));
  const base = time(() => naive(pages));
  const peer = time(() => streamChat(streamPages));
  const mine = time(() => ours(pages));
  for (const [name, r] of [['naive', base], ['stream-chat', peer]] as const) {
    if (mine.count !== r.count) throw new Error(`store kept ${mine.count}, ${name} ${r.count}`);
  }
  const head = `store ingest of ${delivered} deliveries (${SESSIONS * PER_SESSION} unique, 1k sessions): ours ${mine.ms.toFixed(0)} ms (zustand, persistent trie + B+ tree)`;
  return [
    `${head}, stream-chat channel state ${peer.ms.toFixed(0)} ms, ratio ours/stream-chat ${(mine.ms / peer.ms).toFixed(2)}`,
    `${head}, naive re-sort ${base.ms.toFixed(0)} ms, ratio ours/naive ${(mine.ms / base.ms).toFixed(2)}`,
  ];
}

const LIVE_SIZES = [1_000, 10_000, 50_000];
const LIVE_OTHERS = 200;
const LIVE_APPENDS = 2_000;

const liveMessage = (sessionId: string, seq: number): Message => ({
  scene: 'team',
  sessionId,
  from: seq % 2 ? 'patient' : 'doctor',
  to: sessionId.slice(5),
  type: 'text',
  body: `message ${seq}`,
  idClient: `${sessionId}-m${seq}`,
  seq,
  time: 1_700_000_000_000 + seq * 1000,
  status: 'unread',
});

const LIVE_BATCHES = 10;
const LIVE_ROUNDS = 3;

/** A full collection before each timing, so that one library's garbage is not collected in the other's. */
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/**
 * µs per item, the median over batches of consecutive items: one garbage collection (or a neighbour's
 * process on the shared cores) lands in one batch instead of the whole figure.
 */
function medianBatch<T>(items: T[], fn: (item: T) => unknown): number {
  collect();
  const per = items.length / LIVE_BATCHES;
  const batches: number[] = [];
  for (let b = 0; b < LIVE_BATCHES; b++) {
    const start = process.hrtime.bigint();
    for (let i = b * per; i < (b + 1) * per; i++) fn(items[i]);
    batches.push(Number(process.hrtime.bigint() - start) / 1e3 / per);
  }
  return batches.sort((x, y) => x - y)[LIVE_BATCHES >> 1];
}

/** µs per live message into a session already holding `size`, one `receive` per message. */
function oursLive(size: number): number {
  const store = createChatStore();
  store.getState().setMe({ account: 'patient', name: 'p', role: 'patient' });
  for (let o = 0; o < LIVE_OTHERS; o++) {
    const id = `team-o${o}`;
    store.getState().mergeHistory(id, Array.from({ length: 20 }, (_, i) => liveMessage(id, i + 1)), true);
  }
  const id = 'team-long';
  for (let from = 1; from <= size; from += 1_000) {
    const page = Array.from({ length: Math.min(1_000, size - from + 1) }, (_, i) => liveMessage(id, from + i));
    store.getState().mergeHistory(id, page, true);
  }
  const live = Array.from({ length: LIVE_APPENDS }, (_, i) => liveMessage(id, size + 1 + i));
  const us = medianBatch(live, (m) => store.getState().receive([m]));
  if (store.getState().messages.get(id)?.order.length !== size + LIVE_APPENDS) throw new Error('live append lost messages');
  return us;
}

/** The same with stream-chat: a channel of `size` messages (plus 200 other channels), addMessageSorted each. */
function streamLive(size: number): number {
  const client = new StreamChat('bench-key', { allowServerSideConnect: true });
  client.userID = 'bench';
  const toStream = (m: Message): MessageResponse => {
    const at = new Date(m.time).toISOString();
    return { id: m.idClient, text: m.body, type: 'regular', created_at: at, updated_at: at, user: { id: m.from } };
  };
  for (let o = 0; o < LIVE_OTHERS; o++) {
    const id = `team-o${o}`;
    const c = client.channel('messaging', id);
    c.state.addMessagesSorted(Array.from({ length: 20 }, (_, i) => toStream(liveMessage(id, i + 1))), false, true, true, 'current');
  }
  const channel = client.channel('messaging', 'team-long');
  const history = Array.from({ length: size }, (_, i) => toStream(liveMessage('team-long', i + 1)));
  channel.state.addMessagesSorted(history, false, true, true, 'current');
  const live = Array.from({ length: LIVE_APPENDS }, (_, i) => toStream(liveMessage('team-long', size + 1 + i)));
  const us = medianBatch(live, (m) => channel.state.addMessageSorted(m, false, true, 'current'));
  if (channel.state.messages.length !== size + LIVE_APPENDS) throw new Error('stream-chat live append lost messages');
  return us;
}

export function benchLive(): string[] {
  oursLive(1_000);
  streamLive(1_000);
  const rows: string[] = [];
  const ours: number[] = [];
  const best = (f: (size: number) => number, size: number) => Math.min(...Array.from({ length: LIVE_ROUNDS }, () => f(size)));
  // Ours first, then the peer: stream-chat's 50k-message channels leave a large heap behind.
  for (const size of LIVE_SIZES) ours.push(best(oursLive, size));
  LIVE_SIZES.forEach((size, i) => {
    const mine = ours[i];
    const peer = best(streamLive, size);
    rows.push(
      `live append into a ${size}-message session (${LIVE_OTHERS} other sessions, ${LIVE_APPENDS} messages one at a time, median of ${LIVE_BATCHES} batches, best of ${LIVE_ROUNDS} runs): ours ${mine.toFixed(1)} µs/message, stream-chat addMessageSorted ${peer.toFixed(1)} µs/message, ratio ours/stream-chat ${(mine / peer).toFixed(2)}`,
    );
  });
  rows.push(`live append growth from 1k to 50k messages: ours ×${(ours[2] / ours[0]).toFixed(2)}`);
  return rows;
}

const PAGE_APPENDS = 50;

/**
 * A session holding `size` messages 40 s apart with an hour's pause every tenth, so that a tenth of them
 * carry a time header, as a chat read over weeks does; `at(seq)` makes its message `seq`.
 */
function longSession(size: number) {
  const store = createChatStore();
  store.getState().setMe({ account: 'patient', name: 'p', role: 'patient' });
  const id = 'team-long';
  const at = (seq: number): Message => ({ ...liveMessage(id, seq), time: 1_700_000_000_000 + seq * 40_000 + Math.floor(seq / 10) * 3_600_000 });
  for (let from = 1; from <= size; from += 1_000) {
    store.getState().mergeHistory(id, Array.from({ length: Math.min(1_000, size - from + 1) }, (_, i) => at(from + i)), true);
  }
  return { store, id, at };
}

/**
 * What the chat page does with each live message in a session holding `size`: the store's receive, then
 * the list's timeline (src/consult/chat/index.tsx), now built from the span of held messages
 * (src/store/span.ts) with the item cache, before from every held message anew. µs per message, the
 * median of PAGE_APPENDS.
 */
function pageLive(size: number, now: boolean): number {
  const { store, id, at } = longSession(size);
  const cache = new TimelineCache();
  const build = () => {
    const s = store.getState();
    const session = s.sessions.get(id);
    const held = s.messages.get(id);
    if (!held) return [];
    const msgs = now ? spanMessages(held, {}) : held.order.toArray();
    return buildTimeline(msgs, 'patient', NOW, session?.memberReads, session?.peerDeliveredSeq, now ? cache : undefined);
  };
  return perLiveMessage(size, (seq) => store.getState().receive([at(seq)]), build, (items, seq) => {
    if (items[items.length - 1]?.key !== `${id}-m${seq}`) throw new Error('the timeline lost the live message');
  });
}
const NOW = 1_700_000_000_000 + 60 * 86_400_000;

/** µs per live message, the median of PAGE_APPENDS: each received after a session of `size`, then the page's `build`, which `check` verifies. */
function perLiveMessage<T>(size: number, receive: (seq: number) => void, build: () => T, check: (built: T, seq: number) => void): number {
  build();
  collect();
  const times: number[] = [];
  for (let seq = size + 1; seq <= size + PAGE_APPENDS; seq++) {
    const start = process.hrtime.bigint();
    receive(seq);
    const built = build();
    times.push(Number(process.hrtime.bigint() - start) / 1e3);
    check(built, seq);
  }
  return times.sort((x, y) => x - y)[times.length >> 1];
}

const DEEP_JUMP = 20_000;

/**
 * The same after a jump DEEP_JUMP messages back (a search hit, a quoted original) in a session holding
 * `size`, until the page is closed: before, the span held everything from the target to the newest;
 * now it is detached around the target (src/store/span.ts spanAround). Per live message: the store's
 * receive, the span's messages (kept as they were when the same, src/components/useMessageSpan.ts), the
 * timeline with the item cache, and the list's keys of its items (MessageList maps them on every change).
 */
function pageAfterJump(size: number, detach: boolean): number {
  const { store, id, at } = longSession(size);
  const target = size - DEEP_JUMP;
  const jumped = store.getState().messages.get(id);
  const span: Span | undefined = detach
    ? jumped && spanAround(jumped, {}, jumped.byId.get(`${id}-m${target}`) as Message)
    : { from: `${id}-m${target - SPAN.step}` };
  if (!span) throw new Error('the jump found no target');
  const cache = new TimelineCache();
  let kept: Message[] = [];
  const build = () => {
    const s = store.getState();
    const session = s.sessions.get(id);
    const held = s.messages.get(id);
    if (!held) return [];
    const next = spanMessages(held, span);
    if (next.length !== kept.length || next.some((m, i) => m !== kept[i])) kept = next;
    const items = buildTimeline(kept, 'patient', NOW, session?.memberReads, session?.peerDeliveredSeq, cache, (c) => held.byId.get(c));
    return items.map((i) => i.key);
  };
  return perLiveMessage(size, (seq) => store.getState().receive([at(seq)]), build, (keys, seq) => {
    if (!keys.includes(`${id}-m${target}`) || (keys[keys.length - 1] === `${id}-m${seq}`) === detach) throw new Error('the span after the jump is not what it should be');
  });
}

export function benchPage(): string[] {
  pageLive(1_000, true);
  pageLive(1_000, false);
  const now = LIVE_SIZES.map((size) => pageLive(size, true));
  const before = LIVE_SIZES.map((size) => pageLive(size, false));
  const ms = (us: number) => (us / 1e3).toFixed(2);
  const rows = LIVE_SIZES.map(
    (size, i) =>
      `chat page per live message in a ${size}-message session (store receive + the list's timeline, median of ${PAGE_APPENDS}): span of ${SPAN.size} + item cache ${ms(now[i])} ms, every held message rebuilt (before) ${ms(before[i])} ms, ratio ${(now[i] / before[i]).toFixed(3)}`,
  );
  rows.push(`chat page per live message, growth from 1k to 50k messages: span + cache ×${(now[2] / now[0]).toFixed(2)}, rebuilt whole ×${(before[2] / before[0]).toFixed(2)}`);
  const size = LIVE_SIZES[2];
  pageAfterJump(size, true);
  const detached = pageAfterJump(size, true);
  const whole = pageAfterJump(size, false);
  rows.push(
    `chat page per live message after a jump ${DEEP_JUMP} back in a ${size}-message session (store receive + span + timeline + the list's keys, median of ${PAGE_APPENDS}): span detached around the target ${ms(detached)} ms, span from the target to the newest (before) ${ms(whole)} ms, ratio ${(detached / whole).toFixed(3)}`,
  );
  return rows;
}
