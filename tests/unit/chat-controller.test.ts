/** The controller's connection phase, which the store mirrors: set on provider events and sync outcomes. */
import { ChatController } from '../../src/chat/controller';
import { ImError } from '../../src/im/types';
import { TEXT_MAX_CHARS } from '../../types/message';
import { createChatStore, orderedMessages } from '../../src/store';
import { MapStorage } from '../helpers/chat-client';
import { FakeProvider, settle, storedText } from './fake-provider';

function setup() {
  const store = createChatStore();
  const provider = new FakeProvider();
  const controller = new ChatController(store, provider, new MapStorage());
  const phases: string[] = [];
  store.subscribe((s, prev) => {
    if (s.connection !== prev.connection || s.connectionError !== prev.connectionError) {
      phases.push(s.connectionError ? `${s.connection}:${s.connectionError}` : s.connection);
    }
  });
  return { store, provider, controller, phases };
}

afterEach(() => jest.useRealTimers());

test('connecting, then syncing once connected, then synced', async () => {
  const { provider, controller, phases } = setup();
  await controller.start('t');
  provider.events.emit('state', 'connecting');
  provider.events.emit('state', 'connected');
  await settle();
  expect(phases).toEqual(['connecting', 'syncing', 'synced']);
  controller.stop();
});

test('a sync failing on a live connection says why and retries; a new connection state cancels the retry', async () => {
  jest.useFakeTimers();
  const { provider, controller, phases } = setup();
  await controller.start('t');
  provider.sync.mockRejectedValueOnce(new ImError('timeout', 'sync timed out'));
  provider.events.emit('state', 'connected');
  await settle();
  expect(phases).toEqual(['syncing', 'disconnected:发送超时，请重试']);
  jest.advanceTimersByTime(10_200);
  await settle();
  expect(phases.slice(2)).toEqual(['syncing', 'synced']);

  provider.sync.mockRejectedValueOnce(new ImError('timeout', 'sync timed out'));
  controller.resume();
  await settle();
  const calls = provider.sync.mock.calls.length;
  provider.events.emit('state', 'disconnected', new ImError('offline', 'network offline'));
  jest.advanceTimersByTime(60_000);
  await settle();
  expect(provider.sync).toHaveBeenCalledTimes(calls);
  expect(phases.at(-1)).toBe('disconnected:网络不可用，消息将在联网后发送');
  controller.stop();
});

describe('entering a session', () => {
  const msg = storedText;
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => msg(from + i));

  test('one that holds only what arrived live (a sync brought none of it) is filled to a page before it', async () => {
    const { store, provider, controller } = setup();
    store.getState().receive([msg(41)]);
    provider.history.mockResolvedValueOnce({ msgs: range(11, 40), hasMore: true });
    await controller.enterSession('team-c1');
    expect(provider.history).toHaveBeenCalledWith('team-c1', 41, 30);
    expect(orderedMessages(store.getState(), 'team-c1').map((m) => m.seq)).toEqual(range(11, 41).map((m) => m.seq));
  });

  test('one that holds a page, or everything from its first message, asks for nothing', async () => {
    const { store, provider, controller } = setup();
    store.getState().receive(range(11, 40));
    store.getState().receive([{ ...msg(1), sessionId: 'team-c2', to: 'c2', idClient: 'c2-1' }]);
    await controller.enterSession('team-c1');
    await controller.enterSession('team-c2');
    expect(provider.history).not.toHaveBeenCalled();
  });

  test.each(['forbidden', 'notFound', 'badFrame'] as const)('one the server refuses to open (%s) resolves false', async (code) => {
    const { provider, controller } = setup();
    provider.history.mockRejectedValueOnce(new ImError(code, 'refused'));
    expect(await controller.enterSession('team-someone-else')).toBe(false);
  });

  test('one whose history cannot be fetched now (offline) may still be opened', async () => {
    const { provider, controller } = setup();
    provider.history.mockRejectedValueOnce(new ImError('offline', 'network offline'));
    expect(await controller.enterSession('team-c1')).toBe(true);
  });
});

describe('a text over the limit', () => {
  test('is not sent, cut or taken from the composer; one at the limit is sent', async () => {
    const { store, provider, controller } = setup();
    await controller.start('t');
    provider.events.emit('state', 'connected');
    await settle();
    const over = '痛'.repeat(TEXT_MAX_CHARS + 1);
    controller.setDraft('team-c1', over);
    await controller.sendText('team-c1', over);
    expect(provider.send).not.toHaveBeenCalled();
    expect(orderedMessages(store.getState(), 'team-c1')).toEqual([]);
    expect(store.getState().drafts['team-c1']).toBe(over);

    await controller.sendText('team-c1', over.slice(1));
    expect(provider.sent.map((m) => m.body)).toEqual([over.slice(1)]);
    controller.stop();
  });
});

describe('a photo picked without a connection', () => {
  const file = { path: 'blob:rash', name: 'rash.png', size: 3 };
  const uploaded = { id: 'f1', url: '/api/files/f1', name: 'rash.png', size: 3, ext: 'png' };

  test('waits as sending and goes out once the connection is back and synced', async () => {
    const { store, provider, controller } = setup();
    await controller.start('t');
    provider.events.emit('state', 'disconnected', new ImError('offline', 'network offline'));
    provider.upload.mockRejectedValueOnce(new ImError('offline', 'network offline')).mockResolvedValueOnce(uploaded);
    await controller.sendFile('team-c1', 'image', file);
    const [waiting] = orderedMessages(store.getState(), 'team-c1');
    expect(waiting.status).toBe('sending');
    expect(provider.send).not.toHaveBeenCalled();

    provider.events.emit('state', 'connected');
    await settle();
    expect(provider.upload).toHaveBeenCalledTimes(2);
    expect(provider.sent).toEqual([expect.objectContaining({ type: 'image', idClient: waiting.idClient, attach: expect.objectContaining({ id: 'f1' }) })]);
    expect(orderedMessages(store.getState(), 'team-c1').map((m) => m.status)).toEqual(['sent']);
    controller.stop();
  });

  test('with the connection up, an upload the network fails is failed at once (resend uploads it again)', async () => {
    const { store, provider, controller } = setup();
    await controller.start('t');
    provider.events.emit('state', 'connected');
    await settle();
    provider.upload.mockRejectedValueOnce(new ImError('offline', 'network offline'));
    await controller.sendFile('team-c1', 'image', file);
    expect(orderedMessages(store.getState(), 'team-c1').map((m) => m.status)).toEqual(['sendFailed']);
    controller.stop();
  });
});
