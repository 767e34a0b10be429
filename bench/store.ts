/**
 * Store ingest: 100k messages over 1k sessions, 30 % duplicates, history pages arriving out of order.
 * Baseline: the naive approach peers use — append, deduplicate with a Set, re-sort the whole session.
 */
import type { Message } from '../types/message';
import { createChatStore } from '../src/store';
import { compareMessages } from '../src/store/order';

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

export function benchStore(): string {
  const pages = workload();
  const delivered = pages.reduce((n, p) => n + p.length, 0);
  naive(pages.slice(0, 500));
  ours(pages.slice(0, 500));
  const base = time(() => naive(pages));
  const mine = time(() => ours(pages));
  if (mine.count !== base.count) throw new Error(`store kept ${mine.count}, baseline ${base.count}`);
  return (
    `store ingest: ${delivered} deliveries (${SESSIONS * PER_SESSION} unique, 1k sessions): ` +
    `ours ${mine.ms.toFixed(0)} ms (zustand + immer), naive re-sort ${base.ms.toFixed(0)} ms, ` +
    `ratio ours/naive ${(mine.ms / base.ms).toFixed(2)}`
  );
}
