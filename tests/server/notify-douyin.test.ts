/**
 * Douyin subscription messages on a real server against a local stub of client_token and notify_user
 * v2 that checks the access-token header, the template (msg_id), the page path, the data keywords and
 * that no message text is sent: consent allows one send; no subscription left (28014043) or a
 * withdrawn template (28014001) is recorded and not retried; a token the stub no longer accepts is
 * refused (28001003), dropped and replaced; a wrong app secret gets no token and nothing is sent.
 */
import Database from 'better-sqlite3';
import type { NotifyConfig } from '../../server/notify/config';
import { doctor, patient, SESSION, startConsultationServer } from '../helpers/consultation';
import { type DouyinNotifyStub, startDouyinNotifyStub, TT_APPID, TT_SECRET, TT_TEMPLATE } from '../helpers/douyin-notify-stub';
import type { TestServer } from '../helpers/server';
import type { WsClient } from '../helpers/ws-client';
import { sleep, until, TEST_TIMING, doctorSays as notifyDoctorSays, patientConsents } from '../helpers/notify';

jest.setTimeout(30_000);

const SECRET_TEXT = '复查结果：高血压二级，阿莫西林每日三次';
const OPENID = 'ba253642-0590-40bc-9bdf-9a1334b94059';

let server: TestServer;
let tt: DouyinNotifyStub;
const clients: WsClient[] = [];


async function start(opts: { secret?: string } = {}): Promise<void> {
  const notify: NotifyConfig = {
    ...TEST_TIMING,
    tt: { templateId: TT_TEMPLATE, fields: [['通知类型', 'title'], ['医生', 'doctor'], ['科室', 'department'], ['时间', 'time']] },
  };
  server = await startConsultationServer({ platforms: { timeoutMs: 1000, tt: { appid: TT_APPID, secret: opts.secret ?? TT_SECRET, apiUrl: tt.url } }, notify });
  await server.storage.bindMiniapp({ platform: 'tt', appid: TT_APPID, openidMacs: ['mac-of-li-on-douyin'], openid: OPENID, account: patient.account, boundAt: Date.now() });
}

/** What the client posts after tt.requestSubscribeMessage resolves on a tap. */
const consent = (answer: string) => patientConsents(server, 'tt', { [TT_TEMPLATE]: answer });
const doctorSays = (body = SECRET_TEXT) => notifyDoctorSays(server, clients, body);

const rows = () => server.storage.notificationsOf(patient.account);

beforeEach(async () => {
  tt = await startDouyinNotifyStub();
  tt.forbidden.push(SECRET_TEXT, '高血压', '阿莫西林', patient.name);
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.dispose();
  await tt.close();
});

test('with consent, the reply notice goes out once: msg_id, page, keywords, no message text', async () => {
  await start();
  tt.subscriptions.set(OPENID, 1);
  expect((await consent('accept')).body).toEqual({ remaining: { [TT_TEMPLATE]: 1 } });
  await doctorSays();
  await until(() => tt.sent.length === 1);
  await sleep(500);
  expect(tt.sent).toEqual([
    {
      msg_id: TT_TEMPLATE,
      open_id: OPENID,
      page: `pages/entry/index?session=${encodeURIComponent(SESSION)}`,
      data: { 通知类型: '您的问诊有新回复', 医生: doctor.name, 科室: '问诊', 时间: expect.stringMatching(/^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$/) },
    },
  ]);
  expect(tt.refusals).toEqual([]);
  expect(tt.leaks).toEqual([]);
  expect(tt.tokenCalls).toBe(1);
  expect(await rows()).toEqual([expect.objectContaining({ state: 'sent', outcome: 'tt' })]);
  expect(await server.storage.notifyConsents(patient.account)).toEqual([{ platform: 'tt', template: TT_TEMPLATE, remaining: 0 }]);
});

test('Douyin says the user has not subscribed (28014043): recorded, consent ended, not retried', async () => {
  await start();
  tt.subscriptions.set(OPENID, 0);
  await consent('accept');
  await doctorSays();
  await until(async () => (await rows()).some((r) => r.state === 'refused'));
  await sleep(1500);
  expect(tt.refusals).toEqual([28014043]);
  expect(await rows()).toEqual([expect.objectContaining({ state: 'refused', outcome: 'tt:28014043', attempts: 1 })]);
  expect(await server.storage.notifyConsents(patient.account)).toEqual([{ platform: 'tt', template: TT_TEMPLATE, remaining: 0 }]);
  expect((await server.storage.auditRecords(0, 1000)).filter((r) => r.action === 'notify.refused')).toHaveLength(1);
});

test('a withdrawn template (28014001) is refused for good and not retried', async () => {
  await start();
  tt.subscriptions.set(OPENID, 1);
  tt.withdrawn = true;
  await consent('accept');
  await doctorSays();
  await until(async () => (await rows()).some((r) => r.state === 'refused'));
  await sleep(1500);
  expect(tt.refusals).toEqual([28014001]);
  expect(await rows()).toEqual([expect.objectContaining({ state: 'refused', outcome: 'tt:28014001', attempts: 1 })]);
});

test('the stub refuses a token it no longer accepts (28001003): the token is replaced and the notice retried', async () => {
  await start();
  tt.subscriptions.set(OPENID, 2);
  await consent('accept');
  await doctorSays();
  await until(() => tt.sent.length === 1);
  tt.invalidateToken();
  await server.storage.changeNotifyConsent(patient.account, 'tt', TT_TEMPLATE, 'grant', Date.now());
  await doctorSays();
  await until(async () => (await rows()).length === 2);
  const db = new Database(server.dbPath);
  db.prepare("UPDATE notifications SET due_at = 0 WHERE state = 'pending'").run();
  db.close();
  await until(async () => (await rows()).filter((r) => r.state === 'sent').length === 2, 10_000);
  expect(tt.refusals).toEqual([28001003]);
  expect(tt.tokenCalls).toBe(2);
  expect(tt.sent).toHaveLength(2);
  expect((await rows())[1]).toMatchObject({ state: 'sent', attempts: 2 });
});

test('a wrong app secret gets no token from the stub: nothing is sent', async () => {
  await start({ secret: 'not-the-secret' });
  tt.subscriptions.set(OPENID, 1);
  await consent('accept');
  await doctorSays();
  await until(() => tt.refusals.length >= 1);
  await sleep(300);
  expect(tt.refusals.every((c) => c === 10013)).toBe(true);
  expect(tt.sent).toEqual([]);
  expect(tt.tokenCalls).toBe(0);
  // Not a refusal of the notice: a configuration fault, retried with backoff until it is fixed or dropped.
  expect(await rows()).toEqual([expect.objectContaining({ state: 'retry', outcome: 'transient' })]);
});
