/** The controller's connection phase, which the store mirrors: set on provider events and sync outcomes. */
import { ChatController } from '../../src/chat/controller';
import { FILE_LOST_TEXT } from '../../src/chat/sender';
import { MARK_READ_EVERY_MS } from '../../src/chat/readMarks';
import { GAP_WAIT_MS } from '../../src/chat/sync';
import { ImError } from '../../src/im/types';
import { TEXT_MAX_CHARS } from '../../types/message';
import { createChatStore, orderedMessages } from '../../src/store';
import { MapKeeper, MapStorage } from '../helpers/chat-client';
import { FakeProvider, settle, storedText } from './fake-provider';

function setup(storage = new MapStorage(), keeper = new MapKeeper()) {
  const store = createChatStore();
  const provider = new FakeProvider();
  const controller = new ChatController(store, provider, storage, keeper);
  const phases: string[] = [];
  store.subscribe((s, prev) => {
    if (s.connection !== prev.connection || s.connectionError !== prev.connectionError) {
      phases.push(s.connectionError ? `${s.connection}:${s.connectionError}` : s.connection);
    }
  });
  return { store, provider, controller, phases, storage, keeper };
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

test('signed out and in again in the same run (mini programs keep it), the chat syncs, receives and sends as before', async () => {
  const { provider, controller, phases, store } = setup();
  await controller.start('t');
  provider.events.emit('state', 'connected');
  await settle();
  await controller.signOut('p1');
  expect(phases.at(-1)).toBe('idle');

  await controller.start('t-again');
  provider.events.emit('state', 'connected');
  await settle();
  expect(phases.slice(-2)).toEqual(['syncing', 'synced']);
  provider.events.emit('msgs', [storedText(1)]);
  await controller.sendText('team-c1', '您好');
  await settle();
  expect(orderedMessages(store.getState(), 'team-c1').map((m) => `${m.body}:${m.status}`)).toEqual(['m1:unread', '您好:sent']);
  controller.stop();
});

test('a gap pending when the account signed out is filled after the next sign-in in the same run', async () => {
  jest.useFakeTimers();
  const { provider, controller } = setup();
  await controller.start('t');
  provider.events.emit('state', 'connected');
  await settle();
  provider.events.emit('msgs', [storedText(1), storedText(3)]);
  await controller.signOut('p1');

  await controller.start('t-again');
  provider.events.emit('state', 'connected');
  await settle();
  const syncs = provider.sync.mock.calls.length;
  provider.events.emit('msgs', [storedText(1), storedText(3)]);
  jest.advanceTimersByTime(GAP_WAIT_MS);
  await settle();
  expect(provider.sync.mock.calls.length).toBeGreaterThan(syncs);
  controller.stop();
});

test('leaving a session marks it read up to what it held then; what arrives after stays unread and unmarked', async () => {
  jest.useFakeTimers();
  const { provider, controller, store } = setup();
  await controller.start('t');
  provider.events.emit('state', 'connected');
  await settle();
  controller.openSessionAsRead('team-c1');
  provider.events.emit('msgs', [storedText(1)]);
  controller.leaveSession('team-c1');
  provider.events.emit('msgs', [storedText(2)]);
  jest.advanceTimersByTime(MARK_READ_EVERY_MS * 2);
  await settle();
  expect(provider.markRead.mock.calls).toEqual([['team-c1', 1]]);
  expect(orderedMessages(store.getState(), 'team-c1').map((m) => m.status)).toEqual(['read', 'unread']);
  controller.stop();
});

test('with the device storage full, leaving a chat still closes it and marks it read; its draft stays in memory', async () => {
  jest.useFakeTimers();
  const storage = new MapStorage();
  const { provider, controller, store } = setup(storage);
  await controller.start('t');
  provider.events.emit('state', 'connected');
  await settle();
  controller.openSessionAsRead('team-c1');
  provider.events.emit('msgs', [storedText(1)]);
  storage.set = () => {
    throw new Error('QuotaExceededError');
  };
  controller.setDraft('team-c1', '明天复诊');
  controller.leaveSession('team-c1');
  expect(store.getState().currentSessionId).toBeUndefined();
  expect(provider.markRead.mock.calls).toEqual([['team-c1', 1]]);
  expect(store.getState().drafts['team-c1']).toBe('明天复诊');
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
  const uploaded = { fileId: 'f1', url: '/api/files/f1', name: 'rash.png', size: 3, ext: 'png', mime: 'image/png' };
  const offline = () => new ImError('offline', 'network offline');
  /** Signed in, the connection gone, a photo picked: its upload finds no network. */
  async function pickedOffline(t = setup(), picked: typeof file & { w?: number; h?: number } = file) {
    await t.controller.start('t');
    t.provider.events.emit('state', 'disconnected', offline());
    t.provider.upload.mockRejectedValueOnce(offline());
    await t.controller.sendFile('team-c1', 'image', picked);
    return t;
  }
  /** Signed in and connected, a photo picked: its upload fails on the network all the same. */
  async function failedOnline() {
    const t = setup();
    await t.controller.start('t');
    t.provider.events.emit('state', 'connected');
    await settle();
    t.provider.upload.mockRejectedValueOnce(offline());
    await t.controller.sendFile('team-c1', 'image', file);
    return t;
  }

  test('waits as sending and goes out once the connection is back and synced', async () => {
    const { store, provider, controller } = await pickedOffline();
    provider.upload.mockResolvedValueOnce(uploaded);
    const [waiting] = orderedMessages(store.getState(), 'team-c1');
    expect(waiting.status).toBe('sending');
    expect(provider.send).not.toHaveBeenCalled();

    provider.events.emit('state', 'connected');
    await settle();
    expect(provider.upload).toHaveBeenCalledTimes(2);
    expect(provider.sent).toEqual([expect.objectContaining({ type: 'image', idClient: waiting.idClient, attach: expect.objectContaining({ fileId: 'f1' }) })]);
    expect(orderedMessages(store.getState(), 'team-c1').map((m) => m.status)).toEqual(['sent']);
    controller.stop();
  });

  test('another account signing in on the device does not upload or send it: it waits for its own account', async () => {
    const { store, provider, controller, storage } = await pickedOffline();
    expect(provider.upload).toHaveBeenCalledTimes(1);

    // Another person opens their SMS link on the same phone.
    provider.connect.mockResolvedValueOnce({ account: 'p2', name: '王先生', role: 'patient' });
    await controller.start('t2');
    provider.events.emit('state', 'connected');
    await settle();
    expect(provider.upload).toHaveBeenCalledTimes(1);
    expect(provider.sent).toEqual([]);
    expect(store.getState().me?.account).toBe('p2');
    // Still in the first account's outbox, for its next sign-in.
    expect(storage.get<unknown[]>('medchat.outbox.p1')).toHaveLength(1);
    controller.stop();
  });

  test('with the connection up, an upload the network fails is failed at once (resend uploads it again)', async () => {
    const { store, provider, controller } = await failedOnline();
    const [failed] = orderedMessages(store.getState(), 'team-c1');
    expect(failed.status).toBe('sendFailed');
    provider.upload.mockResolvedValueOnce(uploaded);
    await controller.resend('team-c1', failed.idClient);
    await settle();
    expect(provider.upload).toHaveBeenCalledTimes(2);
    expect(orderedMessages(store.getState(), 'team-c1').map((m) => m.status)).toEqual(['sent']);
    controller.stop();
  });

  // Where a failed bubble sits among acked ones is the timeline's business: by type here.
  const shown = (store: ReturnType<typeof createChatStore>) =>
    orderedMessages(store.getState(), 'team-c1')
      .map((m) => `${m.type}:${m.status}${m.error ? `:${m.error}` : ''}`)
      .sort();

  test('a text typed after it waits behind it, and goes out after it', async () => {
    const { store, provider, controller } = await pickedOffline();
    provider.upload.mockResolvedValueOnce(uploaded);
    await controller.sendText('team-c1', '这是昨天拍的');

    provider.events.emit('state', 'connected');
    await settle();
    expect(provider.sent.map((m) => m.type)).toEqual(['image', 'text']);
    expect(shown(store)).toEqual(['image:sent', 'text:sent']);
    controller.stop();
  });

  test('with the connection up, a text typed while it uploads goes out after it', async () => {
    const { provider, controller } = setup();
    await controller.start('t');
    provider.events.emit('state', 'connected');
    await settle();
    let uploadDone!: (a: typeof uploaded) => void;
    provider.upload.mockReturnValueOnce(new Promise((resolve) => (uploadDone = resolve)));
    const photo = controller.sendFile('team-c1', 'image', file);
    await controller.sendText('team-c1', '这是昨天拍的');
    expect(provider.send).not.toHaveBeenCalled();
    uploadDone(uploaded);
    await photo;
    await settle();
    expect(provider.sent.map((m) => m.type)).toEqual(['image', 'text']);
    controller.stop();
  });

  test('an upload failed with the connection up holds nothing back: the text after it goes', async () => {
    const { store, provider, controller } = await failedOnline();
    await controller.sendText('team-c1', '这是昨天拍的');
    await settle();
    expect(provider.sent.map((m) => m.type)).toEqual(['text']);
    expect(shown(store)).toEqual([expect.stringMatching(/^image:sendFailed:/), 'text:sent']);
    controller.stop();
  });

  test('删除 on a failed one takes it out of the list and the outbox, and lets its kept file go; a text after it is untouched', async () => {
    const before = await pickedOffline();
    await settle();
    before.controller.stop();

    // After a reload the server refuses the upload: failed, its kept copy still there.
    const { store, provider, controller, keeper, storage } = setup(before.storage, before.keeper);
    provider.upload.mockRejectedValueOnce(new ImError('fileTooLarge', '图片不能超过 10 MB'));
    await controller.start('t');
    provider.events.emit('state', 'connected');
    await settle();
    await controller.sendText('team-c1', '这是昨天拍的');
    await settle();
    const photo = orderedMessages(store.getState(), 'team-c1').find((m) => m.type === 'image')!;
    expect(photo.status).toBe('sendFailed');
    expect(keeper.files.size).toBe(1);

    controller.discard('team-c1', photo.idClient);
    await settle();
    expect(shown(store)).toEqual(['text:sent']);
    expect(store.getState().sessions.get('team-c1')?.lastMsg?.type).toBe('text');
    expect(keeper.files.size).toBe(0);
    expect(storage.get<unknown[]>('medchat.outbox.p1') ?? []).toHaveLength(0);
    // A message the server stored is not the sender's to delete here (that is a recall).
    const sent = orderedMessages(store.getState(), 'team-c1')[0];
    controller.discard('team-c1', sent.idClient);
    expect(shown(store)).toEqual(['text:sent']);
    controller.stop();
  });

  test('its file is kept while it waits: after a reload it waits again and goes out before the text typed after it; then the kept file is dropped', async () => {
    const before = await pickedOffline(setup(), { ...file, w: 640, h: 480 });
    await before.controller.sendText('team-c1', '这是昨天拍的');
    await settle();
    expect([...before.keeper.files.values()]).toEqual([expect.objectContaining({ path: 'blob:rash' })]);
    before.controller.stop();

    const { store, provider, controller, keeper } = setup(before.storage, before.keeper);
    provider.upload.mockResolvedValueOnce(uploaded);
    await controller.start('t');
    await settle();
    expect(shown(store)).toEqual(['image:sending', 'text:sending']);
    provider.events.emit('state', 'connected');
    await settle();
    expect(provider.upload).toHaveBeenCalledWith('image', expect.objectContaining({ path: 'blob:rash', name: 'rash.png', size: 3, w: 640, h: 480 }), expect.any(Function));
    expect(provider.sent.map((m) => m.type)).toEqual(['image', 'text']);
    expect(shown(store)).toEqual(['image:sent', 'text:sent']);
    expect(keeper.files.size).toBe(0);
    controller.stop();
  });

  test('one uploaded at once is not kept', async () => {
    const { provider, controller, keeper } = setup();
    await controller.start('t');
    provider.events.emit('state', 'connected');
    await settle();
    provider.upload.mockResolvedValueOnce(uploaded);
    await controller.sendFile('team-c1', 'image', file);
    await settle();
    expect(provider.sent.map((m) => m.type)).toEqual(['image']);
    expect(keeper.files.size).toBe(0);
    controller.stop();
  });

  test('one whose file was not kept comes back failed after a reload, saying to pick it again; the text behind it goes, and a resend sends nothing', async () => {
    const before = await pickedOffline();
    await before.controller.sendText('team-c1', '这是昨天拍的');
    before.controller.stop();

    // Another device's keeper: the file is not there (a copy the platform refused, a cleared browser).
    const { store, provider, controller } = setup(before.storage);
    await controller.start('t');
    provider.events.emit('state', 'connected');
    await settle();
    expect(shown(store)).toEqual([`image:sendFailed:${FILE_LOST_TEXT}`, 'text:sent']);
    expect(provider.sent.map((m) => m.type)).toEqual(['text']);

    const photo = orderedMessages(store.getState(), 'team-c1').find((m) => m.type === 'image')!;
    await controller.resend('team-c1', photo.idClient);
    await settle();
    expect(provider.upload).not.toHaveBeenCalled();
    expect(provider.sent.map((m) => m.type)).toEqual(['text']);
    expect(shown(store)[0]).toBe(`image:sendFailed:${FILE_LOST_TEXT}`);
    controller.stop();
  });
});
