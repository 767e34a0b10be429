/**
 * Message lifecycle rules on a real server and SQLite file: recall, typing, devices, token renewal,
 * unread and receipts across devices.
 */
import type { Account, Message } from '../../types/message';
import { RECALL_WINDOW_MS } from '../../types/message';
import type { PushFrame, ServerFrame } from '../../types/protocol';
import { CLOSE_KICKED } from '../../types/protocol';
import { doctor, patient, SESSION, startConsultationServer, stranger, TEAM } from '../helpers/consultation';
import { liveClaims, RequestError, WsClient, type TestServer } from '../helpers/server';


let server: TestServer;
let clock = 0;
const clients: WsClient[] = [];

async function login(account: Account, deviceId?: string): Promise<WsClient> {
  const c = await WsClient.open(server);
  clients.push(c);
  await c.request('auth', { token: await server.auth.issue(account), ...(deviceId ? { deviceId } : {}) });
  return c;
}

let idn = 0;
const text = (body: string, idClient = `life-${++idn}-${Date.now()}`) => ({
  msg: { scene: 'team' as const, to: TEAM, type: 'text' as const, body, idClient },
});

const isPush =
  <T extends PushFrame['type']>(type: T) =>
  (f: ServerFrame): f is Extract<PushFrame, { type: T }> =>
    f.type === type;

async function errorCode(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof RequestError ? e.frame.code : String(e)),
  );
}

function closed(c: WsClient): Promise<number> {
  return new Promise((resolve) => c.ws.once('close', (code) => resolve(code)));
}

async function setup(over: Parameters<typeof startConsultationServer>[0] = {}) {
  clock = Date.now();
  server = await startConsultationServer({ now: () => clock, ...over });
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.dispose();
});

describe('recall', () => {
  beforeEach(() => setup());

  test('the sender recalls within two minutes; both sides see a tip, only the sender keeps the text', async () => {
    const p = await login(patient);
    const d = await login(doctor);
    const sent = text('我把过敏史写错了');
    await p.request('send', sent);
    await p.request('send', text('青霉素过敏'));

    const { notice } = await p.request('recall', { sessionId: SESSION, idClient: sent.msg.idClient });
    expect(notice).toMatchObject({ type: 'notification', seq: 3, attach: { recall: { idClient: sent.msg.idClient, by: patient.account } } });
    const pushed = await d.waitFor((f): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg' && f.msg.seq === 3);
    expect(pushed.msg.attach).toEqual(notice.attach);

    const doctorView = await d.request('history', { sessionId: SESSION, limit: 10 });
    expect(doctorView.msgs[0]).toMatchObject({ type: 'tip', body: '', attach: { recalled: { by: patient.account } } });
    expect(JSON.stringify(doctorView.msgs)).not.toContain('过敏史写错');
    const patientView = await p.request('history', { sessionId: SESSION, limit: 10 });
    expect(patientView.msgs[0].attach).toEqual({ recalled: { by: patient.account, text: '我把过敏史写错了' } });

    // A retried recall answers with the same notice instead of storing a second one.
    const again = await p.request('recall', { sessionId: SESSION, idClient: sent.msg.idClient });
    expect(again.notice.seq).toBe(3);
    const sync = await d.request('sync', { cursors: {} });
    expect(sync.msgs.map((m: Message) => m.seq)).toEqual([1, 2, 3]);
    // The notice is bookkeeping: the doctor has one unread message left, not two.
    expect(sync.sessions[0].unread).toBe(2);
  });

  test('after the window the server refuses with recallExpired', async () => {
    const p = await login(patient);
    const sent = text('两分钟前的消息');
    await p.request('send', sent);
    clock += RECALL_WINDOW_MS + 1_000;
    expect(await errorCode(p.request('recall', { sessionId: SESSION, idClient: sent.msg.idClient }))).toBe('recallExpired');
    const page = await p.request('history', { sessionId: SESSION, limit: 10 });
    expect(page.msgs.map((m) => m.type)).toEqual(['text']);
  });

  test('nobody recalls another person’s message, nor one in a conversation they are not in', async () => {
    const p = await login(patient);
    const d = await login(doctor);
    const s = await login(stranger);
    const sent = text('处方请核对');
    await p.request('send', sent);
    expect(await errorCode(d.request('recall', { sessionId: SESSION, idClient: sent.msg.idClient }))).toBe('notFound');
    expect(await errorCode(s.request('recall', { sessionId: SESSION, idClient: sent.msg.idClient }))).toBe('forbidden');
    expect((await p.request('history', { sessionId: SESSION, limit: 10 })).msgs.map((m) => m.type)).toEqual(['text']);
  });
});

describe('typing', () => {
  beforeEach(() => setup());

  test('reaches the other member and is never stored', async () => {
    const p = await login(patient);
    const d = await login(doctor);
    await p.request('typing', { sessionId: SESSION });
    const push = await d.waitFor(isPush('typing'));
    expect(push).toMatchObject({ sessionId: SESSION, account: patient.account });
    expect(p.pushes.filter((f) => f.type === 'typing')).toHaveLength(0);
    const sync = await d.request('sync', { cursors: {} });
    expect(sync.msgs).toHaveLength(0);
    expect(sync.sessions[0].lastSeq).toBe(0);
  });

  test('an outsider cannot signal typing into a consultation', async () => {
    const s = await login(stranger);
    expect(await errorCode(s.request('typing', { sessionId: SESSION }))).toBe('forbidden');
  });
});

describe('devices', () => {
  test('one login too many logs the oldest device out with a reason; the new one works', async () => {
    await setup({ maxDevicesPerAccount: 2 });
    const first = await login(patient, 'tab-1');
    const firstClosed = closed(first);
    await login(patient, 'tab-2');
    const third = await login(patient, 'tab-3');
    expect(await firstClosed).toBe(CLOSE_KICKED);
    expect(first.pushes).toContainEqual(expect.objectContaining({ type: 'kicked', reason: 'duplicateLogin' }));
    expect((await third.request('send', text('新设备'))).seq).toBe(1);
  });

  test('the same device reconnecting replaces its old connection instead of counting twice', async () => {
    await setup({ maxDevicesPerAccount: 2 });
    const old = await login(patient, 'phone');
    const oldClosed = closed(old);
    const other = await login(patient, 'tab');
    await login(patient, 'phone');
    expect(await oldClosed).toBe(CLOSE_KICKED);
    // The other device was not pushed out by the reconnect.
    expect((await other.request('ping', {})).serverTime).toBeGreaterThan(0);
  });

  test('a message sent on one device of an account appears on its other devices as sent', async () => {
    await setup();
    const tab1 = await login(patient, 'tab-1');
    const tab2 = await login(patient, 'tab-2');
    await tab1.request('send', text('两个页面都应看到'));
    const push = await tab2.waitFor(isPush('msg'));
    expect(push.msg).toMatchObject({ body: '两个页面都应看到', status: 'sent', from: patient.account, seq: 1 });
    expect(tab1.pushes.filter((f) => f.type === 'msg')).toHaveLength(0);
  });

  test('reading on one device clears the unread count on the others and tells the sender', async () => {
    await setup();
    const d = await login(doctor);
    const tab1 = await login(patient, 'tab-1');
    const tab2 = await login(patient, 'tab-2');
    await d.request('send', text('检查结果出来了'));
    await d.request('send', text('请按时服药'));
    expect((await tab2.request('sync', { cursors: {} })).sessions[0].unread).toBe(2);
    await tab1.request('markRead', { sessionId: SESSION, seq: 2 });
    expect(await tab2.waitFor(isPush('unread'))).toMatchObject({ sessionId: SESSION, unread: 0 });
    expect(await d.waitFor(isPush('read'))).toMatchObject({ sessionId: SESSION, account: patient.account, readSeq: 2 });
    expect((await tab2.request('sync', { cursors: {} })).sessions[0].unread).toBe(0);
    expect((await d.request('sync', { cursors: {} })).sessions[0].memberReads).toEqual({ [patient.account]: 2 });
  });
});

describe('token renewal', () => {
  test('renew returns a later-expiring token for the same account that signs in elsewhere', async () => {
    await setup({ tokenTtlSec: 60 });
    const p = await login(patient);
    const before = Date.now();
    const { token, expiresAt } = await p.request('renew', {});
    expect(expiresAt).toBeGreaterThanOrEqual(before + 59_000);
    const claims = await liveClaims(server, token);
    expect(claims.account).toBe(patient.account);
    const other = await WsClient.loginWithToken(server, token);
    clients.push(other);
    expect((await other.request('ping', {})).serverTime).toBeGreaterThan(0);
  });
});
