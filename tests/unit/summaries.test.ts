/**
 * Summaries fetched by id (src/chat/summaries.ts), against a scripted provider and a real store: retries,
 * and the sessions the server says are gone leaving the device.
 */
import type { SessionSummary } from '../../types/message';
import { Summaries } from '../../src/chat/summaries';
import { ImError } from '../../src/im/types';
import { createChatStore } from '../../src/store';
import { FakeProvider, storedText, summaryOf } from './fake-provider';

const summary = (id: string) => summaryOf(id);

afterEach(() => jest.useRealTimers());

test('a fetch refused for the moment is tried again; one cut by the connection is left to the next sync', async () => {
  jest.useFakeTimers();
  const store = createChatStore();
  const provider = new FakeProvider();
  const summaries = new Summaries(store, provider);
  provider.sessions.mockRejectedValueOnce(new ImError('rateLimited', 'too many')).mockResolvedValueOnce({ sessions: [summary('team-a')], gone: [] });
  const first = summaries.fetch(['team-a']);
  await jest.advanceTimersByTimeAsync(10_000);
  await first;
  expect(store.getState().sessions.get('team-a')?.name).toBe('冯女士');
  expect(provider.sessions).toHaveBeenCalledTimes(2);

  provider.sessions.mockRejectedValueOnce(new ImError('disconnected', 'gone'));
  const second = summaries.fetch(['team-b']);
  await jest.advanceTimersByTimeAsync(10_000);
  await second;
  expect(provider.sessions).toHaveBeenCalledTimes(3);
  expect(summaries.missing(['team-a', 'team-b'])).toEqual(['team-b']);
});

test('a held session the server says is gone leaves the device: summary, messages, cursor and draft', async () => {
  const store = createChatStore();
  const provider = new FakeProvider();
  const dropped = jest.fn();
  const summaries = new Summaries(store, provider, dropped);
  const s = store.getState;
  s().setSessions([summary('team-c1'), summary('team-keep')]);
  s().receive([storedText(1), storedText(2)]);
  s().setDraft('team-c1', '还想问');
  s().setDraft('team-keep', '明天见');
  s().peerDelivered('team-c1', 'p1', 2);
  provider.sessions.mockResolvedValueOnce({ sessions: [summary('team-keep')], gone: ['team-c1', 'team-never'] });
  await summaries.fetch(['team-c1', 'team-keep', 'team-never']);
  expect([...s().sessions.keys()]).toEqual(['team-keep']);
  expect(s().messages.has('team-c1')).toBe(false);
  expect(s().drafts).toEqual({ 'team-keep': '明天见' });
  expect(s().delivered).toEqual({});
  // Of what was held: the id the device never had is nothing to drop.
  expect(dropped).toHaveBeenCalledWith(['team-c1']);
});

test('a gone session is kept when it was not held when asked, or holds own messages not yet stored', async () => {
  const store = createChatStore();
  const provider = new FakeProvider();
  const dropped = jest.fn();
  const summaries = new Summaries(store, provider, dropped);
  const s = store.getState;
  s().setMe({ account: 'p1', name: '冯女士', role: 'patient' });
  s().setSessions([summary('team-c1')]);
  s().addPending({ ...storedText(1), seq: undefined, from: 'p1', idClient: 'unsent', status: 'sending' });
  let answer!: (found: { sessions: SessionSummary[]; gone: string[] }) => void;
  provider.sessions.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
  const fetching = summaries.fetch(['team-c1', 'p2p-d2']);
  // Opened while the fetch was out: a p2p chat whose first message is on its way.
  s().addPending({ ...storedText(1), sessionId: 'p2p-d2', scene: 'p2p', to: 'd2', seq: undefined, from: 'p1', idClient: 'first', status: 'sending' });
  answer({ sessions: [], gone: ['team-c1', 'p2p-d2'] });
  await fetching;
  expect([...s().sessions.keys()].sort()).toEqual(['p2p-d2', 'team-c1']);
  expect(dropped).not.toHaveBeenCalled();
});

test('a session asked for again while its fetch is out (a push after the request) is fetched once more, so a transfer it tells of is not lost', async () => {
  const store = createChatStore();
  const provider = new FakeProvider();
  const summaries = new Summaries(store, provider);
  const s = store.getState;
  s().setMe({ account: 'd1', name: '张医生', role: 'doctor' });
  s().setSessions([summary('team-c1')]);
  let answer!: (found: { sessions: SessionSummary[]; gone: string[] }) => void;
  provider.sessions.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve))).mockResolvedValueOnce({ sessions: [], gone: ['team-c1'] });
  const first = summaries.fetch(['team-c1']);
  // The push of the transfer, while the fetch asked before it is out.
  const second = summaries.fetch(['team-c1']);
  answer({ sessions: [summary('team-c1')], gone: [] });
  await Promise.all([first, second]);
  expect(provider.sessions).toHaveBeenCalledTimes(2);
  expect(s().sessions.has('team-c1')).toBe(false);
  // Asked again only while out: a later fetch is one request.
  provider.sessions.mockResolvedValueOnce({ sessions: [summary('team-c2')], gone: [] });
  await summaries.fetch(['team-c2']);
  expect(provider.sessions).toHaveBeenCalledTimes(3);
});
