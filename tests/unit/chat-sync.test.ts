/** Sync and gap fill of the controller's Sync part, against a scripted provider and a real store. */
import { Sync, GAP_RETRY_MAX_MS, GAP_WAIT_MS } from '../../src/chat/sync';
import { ImError } from '../../src/im/types';
import { createChatStore, orderedMessages } from '../../src/store';
import { FakeProvider, settle, storedText } from './fake-provider';

const SESSION = 'team-c1';
const msg = storedText;
const seqs = (store: ReturnType<typeof createChatStore>) => orderedMessages(store.getState(), SESSION).map((m) => m.seq);

function setup(mayFill = true) {
  const store = createChatStore();
  store.getState().setMe({ account: 'p1', name: '李女士', role: 'patient' });
  const provider = new FakeProvider();
  const sync = new Sync(store, provider, () => mayFill, { random: () => 0 });
  return { store, provider, sync };
}

afterEach(() => jest.useRealTimers());

test('a catch-up asks from the gap-free cursor and pages until the provider says complete', async () => {
  const { store, provider, sync } = setup();
  store.getState().receive([msg(1), msg(2), msg(4)]);
  provider.sync
    .mockResolvedValueOnce({ msgs: [msg(3), msg(5)], sessions: [], complete: false })
    .mockResolvedValueOnce({ msgs: [msg(6)], sessions: [], complete: true });
  await expect(sync.catchUp()).resolves.toEqual({ kind: 'synced' });
  expect(provider.sync.mock.calls.map(([cursors]) => cursors)).toEqual([{ [SESSION]: 2 }, { [SESSION]: 5 }]);
  expect(seqs(store)).toEqual([1, 2, 3, 4, 5, 6]);
});

test('a second catch-up while one runs joins it instead of asking again', async () => {
  const { provider, sync } = setup();
  const first = sync.catchUp();
  expect(sync.running).toBe(true);
  const second = sync.catchUp();
  await expect(Promise.all([first, second])).resolves.toEqual([{ kind: 'synced' }, { kind: 'synced' }]);
  expect(provider.sync).toHaveBeenCalledTimes(1);
  expect(sync.running).toBe(false);
});

test('a lost connection cuts the catch-up; a failure on a live one says why', async () => {
  const { provider, sync } = setup();
  provider.sync.mockRejectedValueOnce(new ImError('disconnected', 'socket closed'));
  await expect(sync.catchUp()).resolves.toEqual({ kind: 'cut' });
  provider.sync.mockRejectedValueOnce(new ImError('offline', 'network offline'));
  await expect(sync.catchUp()).resolves.toEqual({ kind: 'cut' });
  provider.sync.mockRejectedValueOnce(new ImError('timeout', 'sync timed out'));
  await expect(sync.catchUp()).resolves.toEqual({ kind: 'failed', code: 'timeout' });
});

test('a retry waits its backoff, and a cancelled one never runs', () => {
  jest.useFakeTimers();
  const { sync } = setup();
  const again = jest.fn();
  sync.retryLater(0, again);
  jest.advanceTimersByTime(199);
  expect(again).not.toHaveBeenCalled();
  jest.advanceTimersByTime(1);
  expect(again).toHaveBeenCalledTimes(1);
  sync.retryLater(1, again);
  sync.cancelRetry();
  jest.advanceTimersByTime(60_000);
  expect(again).toHaveBeenCalledTimes(1);
});

test('a gap seen on a push is filled by one quiet fetch a moment later, if it is still there', async () => {
  jest.useFakeTimers();
  const { store, provider, sync } = setup();
  store.getState().receive([msg(1), msg(3)]);
  provider.sync.mockResolvedValueOnce({ msgs: [msg(2)], sessions: [], complete: true });
  sync.noticeGaps();
  sync.noticeGaps();
  jest.advanceTimersByTime(GAP_WAIT_MS - 1);
  expect(provider.sync).not.toHaveBeenCalled();
  jest.advanceTimersByTime(1);
  await settle();
  expect(provider.sync).toHaveBeenCalledTimes(1);
  expect(provider.sync).toHaveBeenCalledWith({ [SESSION]: 1 });
  expect(seqs(store)).toEqual([1, 2, 3]);

  // Filled by the next push before the wait ends: nothing is fetched.
  store.getState().receive([msg(5)]);
  sync.noticeGaps();
  store.getState().receive([msg(4)]);
  jest.advanceTimersByTime(GAP_WAIT_MS);
  await settle();
  expect(provider.sync).toHaveBeenCalledTimes(1);
});

test('a gap fill refused (rate limit) or unanswered (timeout) is tried again until it fills', async () => {
  jest.useFakeTimers();
  const { store, provider, sync } = setup();
  store.getState().receive([msg(1), msg(3)]);
  provider.sync
    .mockRejectedValueOnce(new ImError('rateLimited', 'too many requests'))
    .mockRejectedValueOnce(new ImError('timeout', 'sync timed out'))
    .mockResolvedValueOnce({ msgs: [msg(2)], sessions: [], complete: true });
  sync.noticeGaps();
  for (let i = 0; i < 3; i++) {
    jest.advanceTimersByTime(GAP_WAIT_MS);
    await settle();
  }
  expect(provider.sync).toHaveBeenCalledTimes(3);
  expect(seqs(store)).toEqual([1, 2, 3]);
  // Filled: no more fetches.
  jest.advanceTimersByTime(GAP_WAIT_MS * 5);
  await settle();
  expect(provider.sync).toHaveBeenCalledTimes(3);
});

test('a gap fill that keeps failing waits longer each time, up to GAP_RETRY_MAX_MS', async () => {
  jest.useFakeTimers();
  const store = createChatStore();
  const provider = new FakeProvider();
  const sync = new Sync(store, provider, () => true, { random: () => 0.999 });
  store.getState().receive([msg(1), msg(3)]);
  provider.sync.mockRejectedValue(new ImError('rateLimited', 'too many requests'));
  sync.noticeGaps();
  const at: number[] = [];
  for (let t = 0; t <= 120_000; t += 100) {
    jest.advanceTimersByTime(100);
    await settle();
    if (provider.sync.mock.calls.length > at.length) at.push(t + 100);
  }
  const waits = at.slice(1).map((t, i) => t - at[i]);
  // Measured in steps of 100 ms: a second, plus nearly 2, 4, 8 s.
  expect(waits.slice(0, 3)).toEqual([GAP_WAIT_MS + 2_000, GAP_WAIT_MS + 4_000, GAP_WAIT_MS + 8_000]);
  expect(Math.max(...waits)).toBeLessThanOrEqual(GAP_WAIT_MS + GAP_RETRY_MAX_MS);
  sync.stop();
});

test('no gap fill before the connection has synced, and none without a gap', async () => {
  jest.useFakeTimers();
  const notSynced = setup(false);
  notSynced.store.getState().receive([msg(1), msg(3)]);
  notSynced.sync.noticeGaps();
  jest.advanceTimersByTime(GAP_WAIT_MS);
  await settle();
  expect(notSynced.provider.sync).not.toHaveBeenCalled();

  const noGap = setup();
  noGap.store.getState().receive([msg(1), msg(2)]);
  noGap.sync.noticeGaps();
  jest.advanceTimersByTime(GAP_WAIT_MS);
  await settle();
  expect(noGap.provider.sync).not.toHaveBeenCalled();
});
