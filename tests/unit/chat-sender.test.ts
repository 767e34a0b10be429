/** The Sender part: order, the wait for a completed sync, retries, the rate-limit wait, the persisted outbox. */
import type { Message } from '../../types/message';
import { MapStorage } from '../helpers/chat-client';
import { OUTBOX_FULL_TEXT, RATE_LIMIT_WAIT_MS, Sender } from '../../src/chat/sender';
import { OUTBOX_MAX_PER_SESSION } from '../../src/chat/outbox';
import { ImError } from '../../src/im/types';
import { createChatStore, orderedMessages } from '../../src/store';
import { FakeProvider, settle } from './fake-provider';

const SESSION = 'team-c1';
let n = 0;
const own = (body: string): Message => ({
  scene: 'team',
  sessionId: SESSION,
  to: 'c1',
  from: 'p1',
  type: 'text',
  body,
  idClient: `c${++n}`,
  time: 1_000 + n,
  status: 'sending',
});

function setup(storage = new MapStorage()) {
  const store = createChatStore();
  store.getState().setMe({ account: 'p1', name: '李女士', role: 'patient' });
  const provider = new FakeProvider();
  const gate = { open: true };
  const sender = new Sender(store, provider, storage, () => gate.open);
  sender.restore('p1');
  const shown = () => orderedMessages(store.getState(), SESSION).map((m) => `${m.body}:${m.status}${m.error ? `:${m.error}` : ''}`);
  const boxed = () => storage.get<Message[]>(`medchat.outbox.p1.${SESSION}`)?.map((m) => `${m.body}:${m.status}`) ?? [];
  return { store, provider, sender, gate, shown, boxed, storage };
}

afterEach(() => jest.useRealTimers());

test('messages go out one at a time in the order composed, and leave the outbox when acked', async () => {
  const { provider, sender, shown, boxed } = setup();
  await Promise.all(['一', '二', '三'].map((t) => sender.send(own(t))));
  await settle();
  expect(provider.sent.map((m) => m.body)).toEqual(['一', '二', '三']);
  expect(shown()).toEqual(['一:sent', '二:sent', '三:sent']);
  expect(boxed()).toEqual([]);
});

test('nothing goes out before the connection has synced; the next pump sends what waited', async () => {
  const { provider, sender, gate, shown, boxed } = setup();
  gate.open = false;
  await sender.send(own('一'));
  await sender.send(own('二'));
  expect(provider.send).not.toHaveBeenCalled();
  expect(shown()).toEqual(['一:sending', '二:sending']);
  expect(boxed()).toEqual(['一:sending', '二:sending']);
  gate.open = true;
  await sender.pump();
  expect(provider.sent.map((m) => m.body)).toEqual(['一', '二']);
  expect(boxed()).toEqual([]);
});

test('a lost connection keeps the message queued as it was; it goes out with the same idClient later', async () => {
  const { provider, sender, gate, shown, boxed } = setup();
  provider.send.mockImplementationOnce(async () => {
    gate.open = false;
    throw new ImError('disconnected', 'socket closed');
  });
  const m = own('一');
  await sender.send(m);
  await sender.send(own('二'));
  expect(shown()).toEqual(['一:sending', '二:sending']);
  expect(boxed()).toEqual(['一:sending', '二:sending']);
  gate.open = true;
  await sender.pump();
  expect(provider.send.mock.calls.map(([x]) => x.idClient)).toEqual([m.idClient, m.idClient, expect.any(String)]);
  expect(shown()).toEqual(['一:sent', '二:sent']);
});

test('over the rate limit the outbox waits a second and goes on, failing nothing', async () => {
  jest.useFakeTimers();
  const { provider, sender, gate, shown } = setup();
  gate.open = false;
  await sender.send(own('一'));
  await sender.send(own('二'));
  gate.open = true;
  provider.send.mockRejectedValueOnce(new ImError('rateLimited', 'slow down'));
  await sender.pump();
  expect(shown()).toEqual(['一:sending', '二:sending']);
  jest.advanceTimersByTime(RATE_LIMIT_WAIT_MS - 1);
  await settle();
  expect(provider.send).toHaveBeenCalledTimes(1);
  jest.advanceTimersByTime(1);
  await settle();
  expect(provider.sent.map((m) => m.body)).toEqual(['一', '二']);
  expect(shown()).toEqual(['一:sent', '二:sent']);
});

test('a refused message fails with its reason and the next goes on; resending it succeeds', async () => {
  const { provider, sender, shown, boxed } = setup();
  provider.send.mockRejectedValueOnce(new ImError('timeout', 'send timed out'));
  const first = own('一');
  await sender.send(first);
  await sender.send(own('二'));
  // Stored messages sort before ones the server never took.
  expect(shown()).toEqual(['二:sent', '一:sendFailed:发送超时，请重试']);
  expect(boxed()).toEqual(['一:sendFailed']);
  await sender.send({ ...first, status: 'sending' });
  expect(provider.sent.filter((m) => m.idClient === first.idClient)).toHaveLength(1);
  expect(boxed()).toEqual([]);
});

test('a new run restores the account’s unsent messages, failed ones with their reason, and sends the rest', async () => {
  const storage = new MapStorage();
  const before = setup(storage);
  before.gate.open = false;
  await before.sender.send(own('一'));
  before.provider.send.mockRejectedValueOnce(new ImError('messageTooLarge', 'too large'));
  before.gate.open = true;
  await before.sender.pump();
  await before.sender.send(own('二'));
  before.provider.send.mockRejectedValueOnce(new ImError('disconnected', 'gone'));
  before.gate.open = false;
  await before.sender.send(own('三'));
  expect(before.boxed()).toEqual(['一:sendFailed', '三:sending']);

  const after = setup(storage);
  await settle();
  expect(after.shown()).toEqual(['三:sent', '一:sendFailed:消息过长，请分段发送']);
  expect(after.provider.sent.map((m) => m.body)).toEqual(['三']);
});

test('a full outbox fails the message at once with what to do', async () => {
  const { provider, sender, gate, shown } = setup();
  gate.open = false;
  for (let i = 0; i < OUTBOX_MAX_PER_SESSION; i++) await sender.send(own(`m${i}`));
  await sender.send(own('多'));
  expect(shown().at(-1)).toBe(`多:sendFailed:${OUTBOX_FULL_TEXT}`);
  expect(provider.send).not.toHaveBeenCalled();
});

test('a media message not uploaded yet holds back its own session only; uploaded, it goes first', async () => {
  const { provider, sender, boxed } = setup();
  const photo: Message = { ...own(''), type: 'image', attach: { url: 'blob:rash', name: 'rash.png', size: 3, ext: 'png' } };
  sender.enqueue(photo);
  await sender.send(own('照片里是皮疹'));
  await sender.send({ ...own('另一位医生'), sessionId: 'team-c2', to: 'c2' });
  expect(provider.sent.map((m) => m.body)).toEqual(['另一位医生']);
  expect(boxed()).toEqual([':sending', '照片里是皮疹:sending']);
  await sender.send({ ...photo, attach: { fileId: 'f1', url: '/api/files/f1', name: 'rash.png', size: 3, ext: 'png', mime: 'image/png' } });
  expect(provider.sent.map((m) => m.type)).toEqual(['text', 'image', 'text']);
  expect(boxed()).toEqual([]);
});

/** Two tabs of the account open on one device, both offline. */
function offlineTabs() {
  const storage = new MapStorage();
  const [a, b] = [setup(storage), setup(storage)];
  a.gate.open = false;
  b.gate.open = false;
  return { storage, a, b };
}

test("two tabs of one account keep each other's unsent messages on the device; the first online sends them all", async () => {
  const { storage, a, b } = offlineTabs();
  await a.sender.send(own('甲一'));
  await b.sender.send(own('乙一'));
  await a.sender.send(own('甲二'));
  expect(a.boxed()).toEqual(['甲一:sending', '乙一:sending', '甲二:sending']);

  // Tab A comes online: B's go too (B may be closed by now), in the order composed, and leave the device.
  a.gate.open = true;
  await a.sender.pump();
  expect(a.provider.sent.map((m) => m.body)).toEqual(['甲一', '乙一', '甲二']);
  expect(a.boxed()).toEqual([]);
  expect(storage.get('medchat.outbox.p1')).toEqual([]);

  // A reload finds nothing left to send.
  const reload = setup(storage);
  await settle();
  expect(reload.provider.send).not.toHaveBeenCalled();
});

test("a sign-out takes the account's unsent messages off the device, those another tab holds in sessions this one never saw too", async () => {
  const { storage, a, b } = offlineTabs();
  await a.sender.send(own('甲一'));
  await b.sender.send({ ...own('乙一'), sessionId: 'team-c2', to: 'c2' });
  a.sender.signedOut('p1');
  expect(storage.get('medchat.outbox.p1')).toBeUndefined();
  expect(storage.get(`medchat.outbox.p1.${SESSION}`)).toBeUndefined();
  expect(storage.get('medchat.outbox.p1.team-c2')).toBeUndefined();
});

test('an update of a message another tab has sent since leaves the device be: no sent message comes back', async () => {
  const storage = new MapStorage();
  const a = setup(storage);
  a.gate.open = false;
  await a.sender.send(own('一'));
  // B opens (a reload) and holds it too; B sends it first.
  const b = setup(storage);
  await settle();
  expect(b.provider.sent.map((m) => m.body)).toEqual(['一']);
  expect(a.boxed()).toEqual([]);
  // A's try fails (its own) after B's went through: A shows it failed, the device keeps nothing.
  a.provider.send.mockRejectedValueOnce(new ImError('timeout', 'send timed out'));
  a.gate.open = true;
  await a.sender.pump();
  expect(a.shown()).toEqual(['一:sendFailed:发送超时，请重试']);
  expect(a.boxed()).toEqual([]);
  expect(storage.get('medchat.outbox.p1')).toEqual([]);
});

test("a tab sends what a closed tab of the account left on the device, in its place; another tab's photo waiting for its upload stays its own", async () => {
  const storage = new MapStorage();
  const b = setup(storage);
  b.gate.open = false;
  const a = setup(storage);
  a.gate.open = false;
  await b.sender.send(own('乙一'));
  await a.sender.send(own('甲一'));
  await b.sender.send(own('乙二'));
  const photo: Message = { ...own(''), sessionId: 'team-c2', to: 'c2', type: 'image', attach: { url: 'blob:x', name: 'x.png', size: 3, ext: 'png' } };
  a.sender.enqueue(photo);
  await a.sender.send({ ...own('照片之后'), sessionId: 'team-c2', to: 'c2' });
  // A is closed; B, open since before, comes online.
  b.gate.open = true;
  await b.sender.pump();
  expect(b.provider.sent.map((m) => m.body)).toEqual(['乙一', '甲一', '乙二']);
  expect(b.shown()).toEqual(['乙一:sent', '甲一:sent', '乙二:sent']);
  expect(b.boxed()).toEqual([]);
  expect(storage.get<Message[]>('medchat.outbox.p1.team-c2')?.map((m) => m.body)).toEqual(['', '照片之后']);
  expect(b.sender.unsent()).toBe(0);
});

test('a failed message another tab left on the device is taken in failed, with its reason, and not sent', async () => {
  const storage = new MapStorage();
  const b = setup(storage);
  b.gate.open = false;
  const a = setup(storage);
  a.provider.send.mockRejectedValueOnce(new ImError('messageTooLarge', 'too large'));
  await a.sender.send(own('长'));
  b.gate.open = true;
  await b.sender.pump();
  expect(b.provider.send).not.toHaveBeenCalled();
  expect(b.shown()).toEqual(['长:sendFailed:消息过长，请分段发送']);
  expect(b.sender.unsent()).toBe(1);
});

/** A device whose storage is full: every write is refused, as localStorage throws QuotaExceededError. */
class FullStorage extends MapStorage {
  full = false;
  override set(key: string, value: unknown): void {
    if (this.full) throw new Error('QuotaExceededError');
    super.set(key, value);
  }
}

test('a storage that refuses writes stops no message: held in memory, it goes out in order, and the failed too', async () => {
  const storage = new FullStorage();
  const { provider, sender, gate, shown } = setup(storage);
  storage.full = true;
  const photo: Message = { ...own(''), type: 'image', attach: { url: 'blob:rash', name: 'rash.png', size: 3, ext: 'png' } };
  expect(sender.enqueue(photo)).toBe(true);
  await expect(sender.send(own('照片之后'))).resolves.toBeUndefined();
  expect(provider.send).not.toHaveBeenCalled();
  await sender.send({ ...photo, attach: { fileId: 'f1', url: '/api/files/f1', name: 'rash.png', size: 3, ext: 'png', mime: 'image/png' } });
  expect(provider.sent.map((m) => m.type)).toEqual(['image', 'text']);
  gate.open = true;
  provider.send.mockRejectedValueOnce(new ImError('timeout', 'send timed out'));
  await expect(sender.send(own('超时'))).resolves.toBeUndefined();
  expect(shown().at(-1)).toBe('超时:sendFailed:发送超时，请重试');
  expect(sender.unsent()).toBe(1);
});
