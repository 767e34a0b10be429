/**
 * A session the server says the person may no longer open (`gone`) while a request about it is out:
 * the reply, asked before the drop, must not bring it back; one asked after it readmits it. Against a
 * scripted provider, the real controller and a real store.
 */
import type { Message } from '../../types/message';
import type { SessionsFound } from '../../types/protocol';
import { ChatController } from '../../src/chat/controller';
import { NO_INPUT_LINE, noInputReason } from '../../src/chat/errorText';
import type { HistoryPage, SearchPage, SyncResult } from '../../src/im/types';
import { createChatStore } from '../../src/store';
import { MapKeeper, MapStorage } from '../helpers/chat-client';
import { FakeProvider, settle, storedText, summaryOf } from './fake-provider';

const SESSION = 'team-c1';

const summary = (id: string) => summaryOf(id, 3);

/** A reply the test hands over when it chooses. */
function later<T>(): { promise: Promise<T>; answer: (value: T) => void } {
  let answer!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (answer = resolve));
  return { promise, answer };
}

/** A patient's device holding team-c1 (messages 3 and 4) on screen, synced. */
async function holding() {
  const store = createChatStore();
  const provider = new FakeProvider();
  const controller = new ChatController(store, provider, new MapStorage(), new MapKeeper());
  await controller.start('t');
  provider.events.emit('state', 'connected');
  await settle();
  store.getState().setSessions([summary(SESSION)]);
  store.getState().receive([storedText(3), storedText(4)]);
  controller.openSessionAsRead(SESSION);
  /** The server's push about the session, answered `gone` (a transfer ended it for this person). */
  const goneByPush = async () => {
    provider.sessions.mockResolvedValueOnce({ sessions: [], gone: [SESSION] });
    provider.events.emit('session', SESSION);
    await settle();
  };
  return { store, provider, controller, goneByPush };
}

test('the session on screen, dropped, is held no more but known as dropped: the page can tell it from one not loaded yet', async () => {
  const { store, goneByPush } = await holding();
  expect(store.getState().dropped).toEqual({});
  await goneByPush();
  const s = store.getState();
  expect(s.sessions.has(SESSION)).toBe(false);
  expect(s.messages.has(SESSION)).toBe(false);
  expect(s.dropped[SESSION]).toBeDefined();
  expect(s.currentSessionId).toBe(SESSION);
  // Another account signing in on the device starts with nothing dropped.
  s.setMe({ account: 'p2', name: '王先生', role: 'patient' });
  expect(store.getState().dropped).toEqual({});
});

test('an older page asked before the session was dropped, landing after, does not bring it back', async () => {
  const { store, provider, controller, goneByPush } = await holding();
  const page = later<HistoryPage>();
  provider.history.mockReturnValueOnce(page.promise);
  const loading = controller.loadOlder(SESSION);
  await goneByPush();
  page.answer({ msgs: [storedText(1), storedText(2)], hasMore: false });
  await loading;
  const s = store.getState();
  expect(s.sessions.has(SESSION)).toBe(false);
  expect(s.messages.has(SESSION)).toBe(false);
  expect(s.dropped[SESSION]).toBeDefined();
});

test('a page asked after the drop is the server handing the session over again: it is held and no longer dropped', async () => {
  const { store, provider, controller, goneByPush } = await holding();
  await goneByPush();
  provider.history.mockResolvedValueOnce({ msgs: [storedText(3), storedText(4)], hasMore: false });
  await controller.enterSession(SESSION);
  const s = store.getState();
  expect(s.messages.get(SESSION)?.order.toArray().map((m) => m.seq)).toEqual([3, 4]);
  expect(s.dropped).toEqual({});
});

test('a sync, a summary fetch and a search asked before the drop bring nothing of it back; other sessions they name are taken', async () => {
  const { store, provider, controller, goneByPush } = await holding();
  const other = (seq: number): Message => ({ ...storedText(seq), sessionId: 'team-c2', to: 'c2', idClient: `c2-${seq}` });

  const sync = later<SyncResult>();
  provider.sync.mockReturnValueOnce(sync.promise);
  controller.resume();
  await settle();
  // Another device of the account asked for its summary: a fetch already out when the push's comes.
  const fetched = later<SessionsFound>();
  provider.sessions.mockReturnValueOnce(fetched.promise);
  provider.events.emit('msgs', [other(1)]);
  const search = later<SearchPage>();
  provider.search.mockReturnValueOnce(search.promise);
  const searching = controller.search({ text: '冯', limit: 20 });
  await settle();

  // The fetch for team-c2 is out, so the push's fetch of team-c1 goes on its own.
  await goneByPush();
  sync.answer({ msgs: [storedText(5), other(2)], sessions: [summary(SESSION), summary('team-c2')], complete: true });
  fetched.answer({ sessions: [summary('team-c2')], gone: [] });
  search.answer({ hits: [], sessions: [summary(SESSION)] });
  await searching;
  await settle();

  const s = store.getState();
  expect(s.sessions.has(SESSION)).toBe(false);
  expect(s.messages.has(SESSION)).toBe(false);
  expect(s.dropped[SESSION]).toBeDefined();
  expect(s.sessions.get('team-c2')?.name).toBe('冯女士');
  expect(s.messages.get('team-c2')?.order.toArray().map((m) => m.seq)).toEqual([1, 2]);
});

test('the chat page says a dropped consultation is no longer theirs, before a sign-out or the refusal that follows the drop', () => {
  expect(noInputReason(undefined, false, false)).toBeUndefined();
  expect(noInputReason('kicked', false, true)).toBe('kicked');
  expect(noInputReason(undefined, false, true)).toBe('notMember');
  expect(noInputReason('authFailed', true, true)).toBe('dropped');
  expect(NO_INPUT_LINE.dropped).toContain('不在您的问诊列表中');
});
