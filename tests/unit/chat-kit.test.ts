/**
 * Issue 20 on the client, below the UI: replies carry their reference and show a quote at once,
 * delivery acks are coalesced and skip the open session, drafts are kept per account and survive a
 * restart, delivered cursors and presence land in the store.
 */
import type { Message, SessionSummary } from '../../types/message';
import { ChatController, DELIVERED_SPACING_MS } from '../../src/chat/controller';
import { DRAFT_SAVE_DELAY_MS, Drafts, MAX_DRAFTS } from '../../src/chat/drafts';
import { MARK_READ_EVERY_MS } from '../../src/chat/readMarks';
import { createChatStore } from '../../src/store';
import { MapKeeper, MapStorage } from '../helpers/chat-client';
import { FakeProvider, settle } from './fake-provider';

const SESSION = 'p2p-doctor-zhang';
let n = 0;
function theirs(over: Partial<Message> = {}): Message {
  n += 1;
  return {
    scene: 'p2p',
    sessionId: SESSION,
    from: 'doctor-zhang',
    fromNick: '张医生',
    to: 'p1',
    type: 'text',
    body: `第${n}条`,
    idClient: `kit-${n}`,
    seq: n,
    time: 1_700_000_000_000 + n,
    status: 'unread',
    ...over,
  };
}

async function connected(persist = new MapStorage()) {
  const store = createChatStore();
  const provider = new FakeProvider();
  const controller = new ChatController(store, provider, persist, new MapKeeper());
  await controller.start('t');
  provider.events.emit('state', 'connected');
  await settle();
  return { store, provider, controller, persist, s: () => store.getState() };
}

afterEach(() => jest.useRealTimers());

test('a reply carries replyTo and shows the quoted text at once, before the server’s copy', async () => {
  const { provider, controller, s } = await connected();
  const original = theirs({ body: '每天早晚各一次' });
  s().receive([original]);
  await controller.sendText(SESSION, '饭前吃吗？', { idClient: original.idClient, seq: original.seq as number });
  expect(provider.sent[0]).toMatchObject({ body: '饭前吃吗？', replyTo: { idClient: original.idClient, seq: original.seq } });
  const held = [...(s().messages.get(SESSION)?.byId.values() ?? [])].find((m) => m.body === '饭前吃吗？');
  expect(held?.quote).toMatchObject({ idClient: original.idClient, from: 'doctor-zhang', fromNick: '张医生', excerpt: '每天早晚各一次' });
  controller.stop();
});

test('messages from others arriving one by one give one delivery ack per session, none for the open one', async () => {
  jest.useFakeTimers();
  const { provider, controller, s } = await connected();
  provider.events.emit('msgs', [theirs()]);
  provider.events.emit('msgs', [theirs()]);
  provider.events.emit('msgs', [theirs({ sessionId: 'p2p-nurse', from: 'nurse', seq: 1 })]);
  jest.advanceTimersByTime(MARK_READ_EVERY_MS + DELIVERED_SPACING_MS);
  await settle();
  expect(provider.delivered.mock.calls.sort()).toEqual([
    [SESSION, n - 1],
    ['p2p-nurse', 1],
  ]);
  provider.delivered.mockClear();
  s().openSessionAsRead(SESSION);
  provider.events.emit('msgs', [theirs()]);
  jest.advanceTimersByTime(MARK_READ_EVERY_MS);
  await settle();
  expect(provider.delivered).not.toHaveBeenCalled();
  // Own messages (from another device of ours) need no ack.
  s().closeSession();
  provider.events.emit('msgs', [theirs({ from: 'p1' })]);
  jest.advanceTimersByTime(MARK_READ_EVERY_MS);
  await settle();
  expect(provider.delivered).not.toHaveBeenCalled();
  controller.stop();
});

test('a sync bringing messages of many sessions spaces their delivery acks out', async () => {
  jest.useFakeTimers();
  const store = createChatStore();
  const provider = new FakeProvider();
  const controller = new ChatController(store, provider, new MapStorage(), new MapKeeper());
  const missed = Array.from({ length: 12 }, (_, i) => theirs({ sessionId: `p2p-d${i}`, from: `d${i}`, seq: 1 }));
  provider.sync.mockResolvedValueOnce({ msgs: missed, sessions: [], complete: true });
  await controller.start('t');
  provider.events.emit('state', 'connected');
  await settle();
  jest.advanceTimersByTime(MARK_READ_EVERY_MS);
  await settle();
  expect(provider.delivered).toHaveBeenCalledTimes(1);
  jest.advanceTimersByTime(DELIVERED_SPACING_MS * 3);
  expect(provider.delivered).toHaveBeenCalledTimes(4);
  jest.advanceTimersByTime(DELIVERED_SPACING_MS * 20);
  expect(provider.delivered.mock.calls.map(([id]) => id).sort()).toEqual(missed.map((m) => m.sessionId).sort());
  controller.stop();
});

test('messages a sync brings are acknowledged as delivered too', async () => {
  jest.useFakeTimers();
  const store = createChatStore();
  const provider = new FakeProvider();
  const controller = new ChatController(store, provider, new MapStorage(), new MapKeeper());
  const missed = theirs();
  provider.sync.mockResolvedValueOnce({ msgs: [missed], sessions: [], complete: true });
  await controller.start('t');
  provider.events.emit('state', 'connected');
  await settle();
  jest.advanceTimersByTime(MARK_READ_EVERY_MS);
  await settle();
  expect(provider.delivered).toHaveBeenCalledWith(SESSION, missed.seq);
  controller.stop();
});

test('delivered pushes from the other member move peerDeliveredSeq; our own other devices’ do not', async () => {
  const { provider, controller, s } = await connected();
  s().setSessions([{ id: SESSION, scene: 'p2p', to: 'doctor-zhang', name: '张医生', unread: 0, lastSeq: 9, readSeq: 9, peerReadSeq: 2, memberReads: { 'doctor-zhang': 2 }, peerDeliveredSeq: 3 }]);
  provider.events.emit('delivered', SESSION, 'p1', 9);
  expect(s().sessions.get(SESSION)?.peerDeliveredSeq).toBe(3);
  provider.events.emit('delivered', SESSION, 'doctor-zhang', 7);
  expect(s().sessions.get(SESSION)?.peerDeliveredSeq).toBe(7);
  // An older list from the server does not take it back.
  s().setSessions([{ ...(s().sessions.get(SESSION) as SessionSummary), peerDeliveredSeq: 5 }]);
  expect(s().sessions.get(SESSION)?.peerDeliveredSeq).toBe(7);
  controller.stop();
});

test('in a team, delivered is the lowest over the other members, a read counting as delivered', () => {
  const store = createChatStore();
  const s = () => store.getState();
  s().setMe({ account: 'p1', name: '李女士', role: 'patient' });
  s().setSessions([{ id: 'team-c1', scene: 'team', to: 'c1', name: '会诊', unread: 0, lastSeq: 9, readSeq: 9, peerReadSeq: 0, memberReads: { d1: 0, n1: 4 }, peerDeliveredSeq: 0 }]);
  s().peerDelivered('team-c1', 'd1', 6);
  expect(s().sessions.get('team-c1')?.peerDeliveredSeq).toBe(4);
  s().peerDelivered('team-c1', 'n1', 8);
  expect(s().sessions.get('team-c1')?.peerDeliveredSeq).toBe(6);
});

test('presence pushes replace the summary’s; offline without a last-seen time (hidden) removes it', async () => {
  const { provider, controller, s } = await connected();
  s().setSessions([{ id: SESSION, scene: 'p2p', to: 'doctor-zhang', name: '张医生', unread: 0, lastSeq: 0, readSeq: 0, peerReadSeq: 0, memberReads: {}, peerDeliveredSeq: 0, presence: { account: 'doctor-zhang', online: true } }]);
  provider.events.emit('presence', SESSION, { account: 'doctor-zhang', online: false, lastSeen: 1_700_000_000_000 });
  expect(s().sessions.get(SESSION)?.presence).toEqual({ account: 'doctor-zhang', online: false, lastSeen: 1_700_000_000_000 });
  provider.events.emit('presence', SESSION, { account: 'doctor-zhang', online: false });
  expect(s().sessions.get(SESSION)?.presence).toBeUndefined();
  controller.stop();
});

describe('drafts', () => {
  test('kept in the store at once, in storage after the last keystroke, cleared by sending', async () => {
    jest.useFakeTimers();
    const { controller, persist, s } = await connected();
    controller.setDraft(SESSION, '头');
    controller.setDraft(SESSION, '头痛三天');
    expect(s().drafts[SESSION]).toBe('头痛三天');
    expect(persist.get('medchat.drafts.p1')).toBeUndefined();
    jest.advanceTimersByTime(DRAFT_SAVE_DELAY_MS);
    expect(persist.get('medchat.drafts.p1')).toEqual({ [SESSION]: '头痛三天' });
    await controller.sendText(SESSION, '头痛三天');
    expect(s().drafts[SESSION]).toBeUndefined();
    expect(persist.get('medchat.drafts.p1')).toBeUndefined();
    controller.stop();
  });

  test('restored for the same account after a restart, not for another account', async () => {
    const persist = new MapStorage();
    const first = await connected(persist);
    first.controller.setDraft(SESSION, '明天复诊吗');
    first.controller.leaveSession(SESSION);
    first.controller.stop();
    const again = await connected(persist);
    expect(again.s().drafts).toEqual({ [SESSION]: '明天复诊吗' });
    again.controller.stop();

    const other = createChatStore();
    other.getState().setMe({ account: 'p2', name: '王先生', role: 'patient' });
    new Drafts(other, persist).restore('p2');
    expect(other.getState().drafts).toEqual({});
  });

  test('another account signing in on this device leaves the first account’s saved drafts alone', async () => {
    const { controller, provider, persist } = await connected();
    controller.setDraft(SESSION, '还没发的');
    provider.connect.mockResolvedValueOnce({ account: 'p2', name: '王先生', role: 'patient' });
    await controller.start('t2');
    expect(persist.get('medchat.drafts.p1')).toEqual({ [SESSION]: '还没发的' });
    controller.setDraft(SESSION, '王先生的');
    controller.stop();
    expect(persist.get('medchat.drafts.p1')).toEqual({ [SESSION]: '还没发的' });
    expect(persist.get('medchat.drafts.p2')).toEqual({ [SESSION]: '王先生的' });
  });

  test('text typed before the account is known is kept, and saved once it is', async () => {
    const persist = new MapStorage();
    persist.set('medchat.drafts.p1', { [SESSION]: '旧的', other: '别的会话' });
    const store = createChatStore();
    const provider = new FakeProvider();
    const controller = new ChatController(store, provider, persist, new MapKeeper());
    controller.setDraft(SESSION, '刚打的字');
    await controller.start('t');
    expect(store.getState().drafts).toEqual({ [SESSION]: '刚打的字', other: '别的会话' });
    expect(persist.get('medchat.drafts.p1')).toEqual({ [SESSION]: '刚打的字', other: '别的会话' });
    controller.stop();
  });

  test("two tabs of one account keep each other's drafts: each writes only the sessions it changed", () => {
    const persist = new MapStorage();
    const tab = () => {
      const store = createChatStore();
      const drafts = new Drafts(store, persist);
      drafts.restore('p1');
      return drafts;
    };
    const one = tab();
    const two = tab();
    one.set('team-x', '一号标签页的');
    one.flush();
    two.set('team-y', '二号标签页的');
    two.flush();
    expect(persist.get('medchat.drafts.p1')).toEqual({ 'team-x': '一号标签页的', 'team-y': '二号标签页的' });
    one.clear('team-x');
    expect(persist.get('medchat.drafts.p1')).toEqual({ 'team-y': '二号标签页的' });
  });

  test('blank text stays in the composer but is not saved; only the newest drafts are kept; junk in storage is ignored', () => {
    jest.useFakeTimers();
    const store = createChatStore();
    const persist = new MapStorage();
    persist.set('medchat.drafts.p1', { a: 5, b: '', c: '留着' });
    const drafts = new Drafts(store, persist);
    drafts.restore('p1');
    expect(store.getState().drafts).toEqual({ c: '留着' });
    drafts.set('c', '   ');
    expect(store.getState().drafts).toEqual({ c: '   ' });
    drafts.flush();
    expect(persist.get('medchat.drafts.p1')).toBeUndefined();
    for (let i = 0; i <= MAX_DRAFTS; i++) drafts.set(`s${i}`, `草稿${i}`);
    drafts.flush();
    const saved = persist.get<Record<string, string>>('medchat.drafts.p1') ?? {};
    expect(Object.keys(saved)).toHaveLength(MAX_DRAFTS);
    expect(saved.s0).toBeUndefined();
    expect(saved[`s${MAX_DRAFTS}`]).toBe(`草稿${MAX_DRAFTS}`);
  });
});

test('loadUntil loads older pages until the message is held, and stops when there is nothing older', async () => {
  const { provider, controller, s } = await connected();
  const all = Array.from({ length: 250 }, () => theirs());
  const first = all[0].seq as number;
  provider.history.mockImplementation(async (_id: string, before: number | undefined, limit: number) => {
    const older = all.filter((m) => before === undefined || (m.seq as number) < before);
    const page = older.slice(-limit);
    return { msgs: page, hasMore: older.length > limit };
  });
  s().receive(all.slice(-20));
  expect(await controller.loadUntil(SESSION, first + 10)).toBe(true);
  expect(s().messages.get(SESSION)?.minSeq).toBeLessThanOrEqual(first + 10);
  expect(await controller.loadUntil(SESSION, first - 1)).toBe(false);
  controller.stop();
});
