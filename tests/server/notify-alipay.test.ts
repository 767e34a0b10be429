/**
 * Alipay subscription messages on a real server against a local stub of the open gateway
 * (alipay.open.app.mini.templatemessage.send) that verifies our RSA2 signature with the app's public
 * key, checks the template id, the page path, the data keywords and that no message text is sent, and
 * signs its answers with "Alipay's" key: consent reported by the client allows one send; a refusal for
 * good (no subscription left, template withdrawn) is recorded and not retried; a request signed with
 * another key is refused by the stub and nothing is sent.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { NotifyConfig } from '../../server/notify/config';
import { ALIPAY_APPID, ALIPAY_TEMPLATE, type AlipayNotifyStub, startAlipayNotifyStub } from '../helpers/alipay-notify-stub';
import { doctor, patient, SESSION, startConsultationServer } from '../helpers/consultation';
import type { TestServer } from '../helpers/server';
import type { WsClient } from '../helpers/ws-client';
import { sleep, until, TEST_TIMING, doctorSays as notifyDoctorSays, patientConsents } from '../helpers/notify';

jest.setTimeout(30_000);

const SECRET_TEXT = '复查结果：高血压二级，阿莫西林每日三次';
const USER_ID = '2088102122458832';

let server: TestServer;
let ali: AlipayNotifyStub;
const clients: WsClient[] = [];


async function start(opts: { privateKey?: ReturnType<typeof generateKeyPairSync>['privateKey']; openid?: string } = {}): Promise<void> {
  const notify: NotifyConfig = {
    ...TEST_TIMING,
    alipay: { templateId: ALIPAY_TEMPLATE, fields: [['keyword1', 'title'], ['keyword2', 'doctor'], ['keyword3', 'department'], ['keyword4', 'time']] },
  };
  server = await startConsultationServer({
    platforms: { timeoutMs: 1000, alipay: { appid: ALIPAY_APPID, privateKey: opts.privateKey ?? ali.app.privateKey, publicKey: ali.alipay.publicKey, gatewayUrl: `${ali.url}/gateway.do` } },
    notify,
  });
  await server.storage.bindMiniapp({ platform: 'alipay', appid: ALIPAY_APPID, openidMacs: ['mac-of-li-on-alipay'], openid: opts.openid ?? USER_ID, account: patient.account, boundAt: Date.now() });
}

/** What the client posts after my.requestSubscribeMessage resolves on a tap. */
const consent = (answer: string) => patientConsents(server, 'alipay', { [ALIPAY_TEMPLATE]: answer });
const doctorSays = (body = SECRET_TEXT) => notifyDoctorSays(server, clients, body);

const rows = () => server.storage.notificationsOf(patient.account);

beforeEach(async () => {
  ali = await startAlipayNotifyStub();
  ali.forbidden.push(SECRET_TEXT, '高血压', '阿莫西林', patient.name);
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.dispose();
  await ali.close();
});

test('with consent, the reply notice goes out once, signed: template, page, keywords, no message text', async () => {
  await start();
  ali.subscriptions.set(USER_ID, 1);
  expect((await consent('accept')).body).toEqual({ remaining: { [ALIPAY_TEMPLATE]: 1 } });
  await doctorSays();
  await until(() => ali.sent.length === 1);
  await sleep(500);
  expect(ali.sent).toHaveLength(1);
  expect(ali.refusals).toEqual([]);
  expect(ali.leaks).toEqual([]);
  expect(ali.sent[0]).toEqual({
    to_user_id: USER_ID,
    user_template_id: ALIPAY_TEMPLATE,
    page: `pages/entry/index?session=${encodeURIComponent(SESSION)}`,
    data: {
      keyword1: { value: '您的问诊有新回复' },
      keyword2: { value: doctor.name },
      keyword3: { value: '问诊' },
      keyword4: { value: expect.stringMatching(/^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$/) },
    },
  });
  expect(await rows()).toEqual([expect.objectContaining({ state: 'sent', outcome: 'alipay' })]);
  expect(await server.storage.notifyConsents(patient.account)).toEqual([{ platform: 'alipay', template: ALIPAY_TEMPLATE, remaining: 0 }]);
});

test('an open_id (OpenID apps) goes as to_open_id', async () => {
  const openid = '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5';
  await start({ openid });
  ali.subscriptions.set(openid, 1);
  await consent('accept');
  await doctorSays();
  await until(() => ali.sent.length === 1);
  expect(ali.sent[0]).toMatchObject({ to_open_id: openid, user_template_id: ALIPAY_TEMPLATE });
  expect(ali.sent[0].to_user_id).toBeUndefined();
});

test('Alipay says the user has no subscription: recorded, consent ended, not retried', async () => {
  await start();
  ali.subscriptions.set(USER_ID, 0);
  await consent('accept');
  await doctorSays();
  await until(async () => (await rows()).some((r) => r.state === 'refused'));
  await sleep(1500);
  expect(ali.refusals).toEqual(['USER_NOT_SUBSCRIBE']);
  expect(ali.sent).toEqual([]);
  expect(await rows()).toEqual([expect.objectContaining({ state: 'refused', outcome: 'alipay:USER_NOT_SUBSCRIBE', attempts: 1 })]);
  expect(await server.storage.notifyConsents(patient.account)).toEqual([{ platform: 'alipay', template: ALIPAY_TEMPLATE, remaining: 0 }]);
  expect((await server.storage.auditRecords(0, 1000)).filter((r) => r.action === 'notify.refused')).toHaveLength(1);
});

test('a withdrawn template is refused for good and not retried', async () => {
  await start();
  ali.subscriptions.set(USER_ID, 1);
  ali.withdrawn = true;
  await consent('accept');
  await doctorSays();
  await until(async () => (await rows()).some((r) => r.state === 'refused'));
  await sleep(1500);
  expect(ali.refusals).toEqual(['USER_TEMPLATE_ILLEGAL']);
  expect(await rows()).toEqual([expect.objectContaining({ state: 'refused', outcome: 'alipay:USER_TEMPLATE_ILLEGAL', attempts: 1 })]);
});

test('the stub refuses a request signed with a key that is not the app’s: nothing is sent', async () => {
  await start({ privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey });
  ali.subscriptions.set(USER_ID, 1);
  await consent('accept');
  await doctorSays();
  await until(async () => (await rows()).some((r) => r.state === 'refused'));
  expect(ali.refusals).toEqual(['isv.invalid-signature']);
  expect(ali.sent).toEqual([]);
  expect(ali.subscriptions.get(USER_ID)).toBe(1);
  expect(ali.leaks).toEqual([]);
});
