/**
 * WeChat subscription messages on a real server against a local stub of stable_token and
 * subscribeMessage.send that checks the token, the template id, the page path, the data keywords and
 * that no message text is sent: consent reported by the client makes one send possible; it is spent
 * by the send; without consent (or when WeChat says none is left: 43101, recorded, consent ended) the
 * patient is reached by SMS where configured, else the refusal is recorded and not retried.
 */
import Database from 'better-sqlite3';
import type { NotifyConfig } from '../../server/notify/config';
import { NOTIFY_SETTINGS_PATH } from '../../types/protocol';
import { doctor, patient, SESSION, startConsultationServer } from '../helpers/consultation';
import type { TestServer } from '../helpers/server';
import { startSmsWebhookStub, WEBHOOK_SECRET, type SmsWebhookStub } from '../helpers/sms-webhook-stub';
import { startWechatNotifyStub, WX_APPID, WX_SECRET, WX_TEMPLATE, type WechatNotifyStub } from '../helpers/wechat-notify-stub';
import type { WsClient } from '../helpers/ws-client';
import { sleep, until, TEST_TIMING, doctorSays as notifyDoctorSays, patientConsents } from '../helpers/notify';

jest.setTimeout(30_000);

const SECRET_TEXT = '复查结果：高血压二级，阿莫西林每日三次';
const OPENID = 'o-wx-patient-li';

let server: TestServer;
let wx: WechatNotifyStub;
let sms: SmsWebhookStub;
const clients: WsClient[] = [];


async function start(opts: { sms?: boolean; minIntervalSec?: number } = {}): Promise<void> {
  const notify: NotifyConfig = {
    ...TEST_TIMING,
    minIntervalSec: opts.minIntervalSec ?? 600,
    weapp: { templateId: WX_TEMPLATE, fields: [['thing1', 'title'], ['name2', 'doctor'], ['thing3', 'department'], ['time4', 'time']], state: 'formal' },
    ...(opts.sms ? { webhook: { url: sms.url, secret: WEBHOOK_SECRET } } : {}),
  };
  server = await startConsultationServer({ platforms: { timeoutMs: 1000, weapp: { appid: WX_APPID, secret: WX_SECRET, apiUrl: wx.url } }, notify });
  await server.storage.bindMiniapp({ platform: 'weapp', appid: WX_APPID, openidMacs: ['mac-of-o-wx-patient-li'], openid: OPENID, account: patient.account, boundAt: Date.now() });
}

/** What the client does after Taro.requestSubscribeMessage resolves on a tap. */
const consent = (answer: string) => patientConsents(server, 'weapp', { errMsg: 'requestSubscribeMessage:ok', [WX_TEMPLATE]: answer });
const doctorSays = (body = SECRET_TEXT) => notifyDoctorSays(server, clients, body);

const rows = () => server.storage.notificationsOf(patient.account);

beforeEach(async () => {
  wx = await startWechatNotifyStub();
  sms = await startSmsWebhookStub();
  for (const s of [wx.forbidden, sms.forbidden]) s.push(SECRET_TEXT, '高血压', '阿莫西林', patient.name);
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.dispose();
  await wx.close();
  await sms.close();
});

test('with consent, the reply notice goes out once as a subscription message: template, page, data, no message text', async () => {
  await start({ sms: true });
  wx.subscriptions.set(OPENID, 1);
  const settings = await fetch(`${server.url}${NOTIFY_SETTINGS_PATH}`, { headers: { authorization: `Bearer ${await server.auth.issue(patient)}` } });
  expect(await settings.json()).toEqual({ enabled: true, templates: { weapp: [WX_TEMPLATE] }, sms: true, consents: [] });
  expect((await consent('accept')).body).toEqual({ remaining: { [WX_TEMPLATE]: 1 } });

  await doctorSays();
  await until(() => wx.sent.length === 1);
  await sleep(500);
  expect(wx.sent).toHaveLength(1);
  expect(wx.refusals).toEqual([]);
  expect(wx.leaks).toEqual([]);
  expect(sms.received).toEqual([]);
  const [msg] = wx.sent;
  expect(msg).toMatchObject({ touser: OPENID, template_id: WX_TEMPLATE, page: `pages/entry/index?session=${encodeURIComponent(SESSION)}`, miniprogram_state: 'formal', lang: 'zh_CN' });
  expect(msg.data).toEqual({
    thing1: { value: '您的问诊有新回复' },
    name2: { value: doctor.name },
    thing3: { value: '问诊' },
    time4: { value: expect.stringMatching(/^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$/) },
  });
  // One stable_token call: the token is shared through the database.
  expect(wx.tokenCalls).toBe(1);
  expect(await rows()).toEqual([expect.objectContaining({ state: 'sent', outcome: 'weapp' })]);
  // The send spent the one subscription the prompt granted.
  expect(await server.storage.notifyConsents(patient.account)).toEqual([{ platform: 'weapp', template: WX_TEMPLATE, remaining: 0 }]);
});

test('no consent left: the next notice goes by SMS instead', async () => {
  await start({ sms: true, minIntervalSec: 1 });
  wx.subscriptions.set(OPENID, 1);
  await consent('accept');
  await doctorSays();
  await until(() => wx.sent.length === 1);
  await doctorSays();
  await until(async () => (await rows()).filter((r) => r.state === 'sent').length === 2);
  expect(sms.received).toHaveLength(1);
  expect(wx.sent).toHaveLength(1);
  expect(wx.refusals).toEqual([]);
  expect((await rows()).map((r) => r.outcome)).toEqual(['weapp', 'sms']);
});

test('WeChat says no subscription is left (43101): recorded, consent ended, not retried', async () => {
  await start();
  wx.subscriptions.set(OPENID, 0);
  await consent('accept');
  await doctorSays();
  await until(async () => (await rows()).some((r) => r.state === 'refused'));
  await sleep(1500);
  expect(wx.refusals).toEqual([43101]);
  expect(await rows()).toEqual([expect.objectContaining({ state: 'refused', outcome: 'weapp:43101', attempts: 1 })]);
  expect(await server.storage.notifyConsents(patient.account)).toEqual([{ platform: 'weapp', template: WX_TEMPLATE, remaining: 0 }]);
  expect((await server.storage.auditRecords(0, 1000)).filter((r) => r.action === 'notify.refused')).toHaveLength(1);
});

test('a stale access token is replaced and the notice retried; a rejected prompt ends consent', async () => {
  await start();
  wx.subscriptions.set(OPENID, 2);
  await consent('accept');
  await doctorSays();
  await until(() => wx.sent.length === 1);
  wx.invalidateToken();
  await server.storage.changeNotifyConsent(patient.account, 'weapp', WX_TEMPLATE, 'grant', Date.now());
  // The min interval (600 s) holds the next notice; let it be due now.
  await doctorSays();
  await until(async () => (await rows()).length === 2);
  const db = new Database(server.dbPath);
  db.prepare("UPDATE notifications SET due_at = 0 WHERE state = 'pending'").run();
  db.close();
  await until(async () => (await rows()).filter((r) => r.state === 'sent').length === 2, 10_000);
  expect(wx.sent).toHaveLength(2);
  expect(wx.refusals).toEqual([40001]);
  expect((await rows())[1]).toMatchObject({ state: 'sent', attempts: 2 });
  expect((await consent('reject')).body).toEqual({ remaining: { [WX_TEMPLATE]: 0 } });
});
