/**
 * The client's delivery guarantees (store + controller + local provider, as the pages use them) against
 * a real server: offline queue, reload while sending, timeouts and resend, renewal, duplicate login.
 */
import type { Account } from '../../types/message';
import { SYNC_FRESH } from '../../types/protocol';
import { buildTimeline } from '../../src/render/timeline';
import type { SocketConnection } from '../../src/platform/socket-web';
import { backoffDelay } from '../../src/im/backoff';
import { ChatClient, MapStorage, nodeSocket, until } from '../helpers/chat-client';
import { FlakyProxy } from '../helpers/flaky-proxy';
import { CONSENTED, doctor, patient, SESSION, startConsultationServer, TEAM } from '../helpers/consultation';
import { liveClaims, WsClient, type TestServer } from '../helpers/server';


let server: TestServer;
const running: Array<{ stop(): void }> = [];

async function setup(over: Parameters<typeof startConsultationServer>[0] = {}) {
  server = await startConsultationServer(over);
}

async function client(account: Account, over: Partial<ConstructorParameters<typeof ChatClient>[0]> = {}) {
  const c = new ChatClient({ url: server.url, token: await server.auth.issue(account), ...over });
  running.push(c);
  await c.startSynced();
  return c;
}

const bodies = (c: ChatClient) => c.messages(SESSION).map((m) => m.body);

afterEach(async () => {
  for (const c of running.splice(0)) c.stop();
  await server.dispose();
});

test('messages typed offline stay queued and go out in order when the network is back', async () => {
  await setup();
  const p = await client(patient);
  const d = await client(doctor);
  p.setOnline(false);
  await until(() => p.store.getState().connection === 'disconnected', 'patient offline');
  expect(p.store.getState().connectionError).toBe('网络不可用，消息将在联网后发送');
  for (const t of ['一', '二', '三']) await p.controller.sendText(SESSION, t);
  expect(p.messages(SESSION).map((m) => m.status)).toEqual(['sending', 'sending', 'sending']);
  expect(p.outbox()).toHaveLength(1);

  p.setOnline(true);
  await until(() => bodies(d).length === 3, 'doctor got three');
  expect(bodies(d)).toEqual(['一', '二', '三']);
  await until(() => p.messages(SESSION).every((m) => m.status === 'sent'), 'acks');
  expect(p.messages(SESSION).map((m) => m.seq)).toEqual([1, 2, 3]);
  expect(p.outbox()).toEqual([]);
});

test('the sender sees 已送达 once a fresh sync listed the session without its messages (outside SYNC_FRESH)', async () => {
  await setup();
  const d = await client(doctor);
  await d.controller.sendText(SESSION, '较早问诊的最后一条');
  await until(() => d.messages(SESSION)[0]?.status === 'sent', 'the ack');
  // More recent consultations push this one out of those whose messages a fresh sync brings.
  const other = await WsClient.login(server, doctor);
  for (let k = 0; k < SYNC_FRESH.sessions; k++) {
    await server.storage.createConsultation({ id: `newer-${k}`, patient: patient.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
    await other.request('send', { msg: { scene: 'team', to: `newer-${k}`, type: 'text', body: '新问诊', idClient: `newer-msg-${k}` } });
  }
  other.close();
  const receipt = () => {
    const session = d.store.getState().sessions.get(SESSION);
    const [item] = buildTimeline(d.messages(SESSION), doctor.account, Date.now(), session?.memberReads, session?.peerDeliveredSeq).filter((i) => i.kind === 'msg');
    return item?.kind === 'msg' ? item.receipt : undefined;
  };
  expect(receipt()).toBe('未读');

  const p = await client(patient);
  expect(p.messages(SESSION)).toEqual([]);
  expect(p.store.getState().sessions.get(SESSION)?.lastMsg?.body).toBe('较早问诊的最后一条');
  await until(() => receipt() === '已送达', '已送达 on the doctor’s side');
});

test('a reload while sending loses nothing and sends nothing twice, even if the server already had it', async () => {
  await setup();
  const storage = new MapStorage();
  const token = await server.auth.issue(patient);
  const before = new ChatClient({ url: server.url, token, storage });
  running.push(before);
  await before.start();
  before.setOnline(false);
  await before.controller.sendText(SESSION, '第一条');
  await before.controller.sendText(SESSION, '第二条');
  const first = before.messages(SESSION).find((m) => m.body === '第一条');
  if (!first) throw new Error('first message missing');
  // The first one reached the server but its ack never came back before the page went away.
  const raw = await WsClient.loginWithToken(server, token);
  await raw.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body: '第一条', idClient: first.idClient } });
  raw.close();
  before.stop();

  const d = await client(doctor);
  const after = new ChatClient({ url: server.url, token, storage });
  running.push(after);
  await after.start();
  await until(() => after.messages(SESSION).filter((m) => m.status === 'sent').length === 2, 'both sent after reload');
  expect(bodies(after)).toEqual(['第一条', '第二条']);
  await until(() => bodies(d).length === 2, 'doctor has both');
  expect(bodies(d)).toEqual(['第一条', '第二条']);
  const history = await doctorHistory();
  expect(history).toEqual(['第一条', '第二条']);
  expect(after.outbox()).toEqual([]);

  async function doctorHistory() {
    const c = await WsClient.login(server, doctor);
    const page = await c.request('history', { sessionId: SESSION, limit: 10 });
    c.close();
    return page.msgs.map((m) => m.body);
  }
});

test('an ack that comes too late fails the message with the reason; resending it does not duplicate it', async () => {
  await setup();
  const proxy = new FlakyProxy(() => server.port);
  await proxy.listen();
  try {
    const p = await client(patient, { url: proxy.url, requestTimeoutMs: 300 });
    const d = await client(doctor);
    proxy.delayMs = 600;
    await p.controller.sendText(SESSION, '慢网络');
    const [failed] = p.messages(SESSION);
    expect(failed).toMatchObject({ status: 'sendFailed', error: '发送超时，请重试' });
    proxy.delayMs = 0;
    await until(() => bodies(d).length === 1, 'the server had stored it');
    // Let the late reply through the proxy first: replies queue behind it in order.
    await new Promise((r) => setTimeout(r, 700));
    expect(p.messages(SESSION)[0].status).toBe('sendFailed');
    await p.controller.resend(SESSION, failed.idClient);
    await until(() => p.messages(SESSION)[0].status === 'sent', 'resent');
    expect(p.messages(SESSION)).toHaveLength(1);
    expect(p.messages(SESSION)[0].seq).toBe(1);
    expect(bodies(d)).toEqual(['慢网络']);
  } finally {
    await proxy.close();
  }
});

test('a dropped connection reconnects by itself and syncs what was missed', async () => {
  await setup();
  const proxy = new FlakyProxy(() => server.port);
  await proxy.listen();
  try {
    const p = await client(patient, { url: proxy.url });
    const d = await client(doctor);
    proxy.setDown(true);
    await until(() => p.store.getState().connection === 'disconnected', 'patient lost the socket');
    await d.controller.sendText(SESSION, '断线期间的消息');
    proxy.setDown(false);
    await until(() => bodies(p).includes('断线期间的消息'), 'patient synced after reconnect', 20_000);
    expect(p.store.getState().sessions.get(SESSION)?.unread).toBe(1);
  } finally {
    await proxy.close();
  }
});

test('the token is renewed before it expires and the connection outlives the first token', async () => {
  await setup({ tokenTtlSec: 3 });
  const p = await client(patient);
  const renewed: string[] = [];
  p.provider.on('token', (t) => renewed.push(t));
  await until(() => renewed.length > 0, 'renewal', 5_000);
  expect((await liveClaims(server, renewed[0])).account).toBe(patient.account);
  await new Promise((r) => setTimeout(r, 3_200 - 2_400));
  await p.controller.sendText(SESSION, '令牌续期后仍可发送');
  expect(p.messages(SESSION)[0].status).toBe('sent');
});

test('logging in on one device too many tells the old one why and it stays signed out', async () => {
  await setup({ maxDevicesPerAccount: 1 });
  const first = await client(patient, { deviceId: 'phone' });
  await client(patient, { deviceId: 'tablet' });
  await until(() => first.store.getState().connection === 'kicked', 'first device kicked');
  expect(first.store.getState().connectionError).toBe('您的账号已在其他设备登录，本设备已下线');
  await new Promise((r) => setTimeout(r, 1_000));
  expect(first.store.getState().connection).toBe('kicked');
});

test('typing is signalled at most every few seconds, and again right after a message is sent', async () => {
  await setup();
  const p = await client(patient);
  const d = await WsClient.login(server, doctor);
  const typingPushes = () => d.pushes.filter((f) => f.type === 'typing').length;
  p.controller.typing(SESSION);
  p.controller.typing(SESSION);
  await until(() => typingPushes() === 1, 'the first typing signal');
  await p.controller.sendText(SESSION, '咳嗽一周了');
  p.controller.typing(SESSION);
  await until(() => typingPushes() === 2, 'typing again after sending');
  p.controller.typing(SESSION);
  await new Promise((r) => setTimeout(r, 200));
  expect(typingPushes()).toBe(2);
  d.close();
});

test('backoff grows exponentially, is capped, and is jittered over the whole range', () => {
  expect(backoffDelay(0, 500, 30_000, () => 0.999)).toBe(499);
  expect(backoffDelay(3, 500, 30_000, () => 0.999)).toBe(3_996);
  expect(backoffDelay(20, 500, 30_000, () => 0.999)).toBe(29_970);
  expect(backoffDelay(5, 500, 30_000, () => 0)).toBe(0);
});

describe('a connection opened while the entry page signs in', () => {
  /** A preconnected client whose sockets the test can count, see open and close. */
  function preconnected(token: string) {
    const sockets: Array<{ conn: SocketConnection; open: Promise<void>; closed: Promise<void> }> = [];
    const c = new ChatClient({
      url: server.url,
      token,
      openSocket: (url, h) => {
        let opened!: () => void;
        let closed!: () => void;
        const open = new Promise<void>((r) => (opened = r));
        const gone = new Promise<void>((r) => (closed = r));
        const conn = nodeSocket(url, { onMessage: h.onMessage, onOpen: () => (h.onOpen(), opened()), onClose: (code, reason) => (h.onClose(code, reason), closed()) });
        sockets.push({ conn, open, closed: gone });
        return conn;
      },
    });
    running.push(c);
    c.controller.preconnect();
    return { c, sockets };
  }

  test('the sign-in goes over the socket opened before the token was known', async () => {
    await setup();
    const { c, sockets } = preconnected(await server.auth.issue(patient));
    expect(sockets).toHaveLength(1);
    await sockets[0].open;
    // Open and waiting for the token; the app is not connecting yet, so its banner says nothing.
    expect(c.store.getState().connection).toBe('idle');
    await c.startSynced();
    expect(sockets).toHaveLength(1);
    expect(c.store.getState().me?.account).toBe(patient.account);
    await c.controller.sendText(SESSION, '早上好');
    await until(() => c.messages(SESSION).some((m) => m.body === '早上好' && m.status === 'sent'), 'sent');
  });

  test('a token that comes during the handshake signs in when it ends', async () => {
    await setup();
    const { c, sockets } = preconnected(await server.auth.issue(doctor));
    await c.startSynced();
    expect(sockets).toHaveLength(1);
    expect(c.store.getState().me?.account).toBe(doctor.account);
  });

  test('a sign-in that fails closes the socket opened for it, and nothing reconnects', async () => {
    await setup();
    const { c, sockets } = preconnected('unused');
    await sockets[0].open;
    c.controller.cancelPreconnect();
    await sockets[0].closed;
    await new Promise((r) => setTimeout(r, 1_200));
    expect(sockets).toHaveLength(1);
  });

  test('a preopened socket that closes is not replaced until the sign-in, which opens its own', async () => {
    await setup();
    const { c, sockets } = preconnected(await server.auth.issue(patient));
    await sockets[0].open;
    sockets[0].conn.close();
    // Long enough for a reconnect's first backoff step (500 ms ± jitter).
    await new Promise((r) => setTimeout(r, 1_200));
    expect(sockets).toHaveLength(1);
    await c.startSynced();
    expect(sockets).toHaveLength(2);
    expect(c.store.getState().me?.account).toBe(patient.account);
  });
});
