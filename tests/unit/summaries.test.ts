/** Summaries fetched by id (src/chat/summaries.ts), against a scripted provider and a real store. */
import type { SessionSummary } from '../../types/message';
import { Summaries } from '../../src/chat/summaries';
import { ImError } from '../../src/im/types';
import { createChatStore } from '../../src/store';
import { FakeProvider } from './fake-provider';

const summary = (id: string): SessionSummary => ({
  id,
  scene: 'team',
  to: id.slice(5),
  name: '冯女士',
  unread: 0,
  lastSeq: 0,
  readSeq: 0,
  peerReadSeq: 0,
  memberReads: {},
  peerDeliveredSeq: 0,
});

afterEach(() => jest.useRealTimers());

test('a fetch refused for the moment is tried again; one cut by the connection is left to the next sync', async () => {
  jest.useFakeTimers();
  const store = createChatStore();
  const provider = new FakeProvider();
  const summaries = new Summaries(store, provider);
  provider.sessions.mockRejectedValueOnce(new ImError('rateLimited', 'too many')).mockResolvedValueOnce([summary('team-a')]);
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
