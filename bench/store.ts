/**
 * Store ingest: 100k messages over 1k sessions, 30 % duplicates, history pages arriving out of order.
 * Against a peer, stream-chat's channel state (one channel per session, addMessagesSorted per page),
 * and the naive approach — append, deduplicate with a Set, re-sort the whole session.
 */
import type { MessageResponse } from 'stream-chat';
import { StreamChat } from 'stream-chat';
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
  const head = `store ingest of ${delivered} deliveries (${SESSIONS * PER_SESSION} unique, 1k sessions): ours ${mine.ms.toFixed(0)} ms (zustand + immer)`;
  return [
    `${head}, stream-chat channel state ${peer.ms.toFixed(0)} ms, ratio ours/stream-chat ${(mine.ms / peer.ms).toFixed(2)}`,
    `${head}, naive re-sort ${base.ms.toFixed(0)} ms, ratio ours/naive ${(mine.ms / base.ms).toFixed(2)}`,
  ];
}
