/**
 * Notifications from the durable outbox on a real server, through a local stub of the hospital's SMS
 * webhook that checks the signature, the timestamp, the fields and that no message text is present:
 * one notice when the doctor replies to a patient who is away, three quick replies collapsed into one,
 * none for a patient who is connected or who reads before it is due, throttling, a patient writing to
 * an absent doctor, permanent refusals recorded and not retried, transient failures retried.
 */
import type { NotifyConfig } from '../../server/notify/config';
import type { Account } from '../../types/message';
import { NOTIFY_SETTINGS_PATH } from '../../types/protocol';
import { doctor, patient, SESSION, startConsultationServer, TEAM } from '../helpers/consultation';
import type { TestServer } from '../helpers/server';
import { startSmsWebhookStub, WEBHOOK_SECRET, type SmsWebhookStub } from '../helpers/sms-webhook-stub';
import { WsClient } from '../helpers/ws-client';
import { sleep, until, TEST_TIMING } from '../helpers/notify';

jest.setTimeout(30_000);

let server: TestServer;
let sms: SmsWebhookStub;
const open: WsClient[] = [];

const SECRET_TEXT = '您的检查结果提示糖尿病，请服用二甲双胍';

function notifyConfig(over: Partial<NotifyConfig> = {}): NotifyConfig {
  return {
    ...TEST_TIMING,
    webhook: { url: sms.url, secret: WEBHOOK_SECRET },
    ...over,
  };
}

async function start(over: Partial<NotifyConfig> = {}): Promise<void> {
  server = await startConsultationServer({ notify: notifyConfig(over) });
}

async function login(who: typeof doctor): Promise<WsClient> {
  const c = await WsClient.login(server, who);
  open.push(c);
  return c;
}

let n = 0;
const say = (c: WsClient, body = SECRET_TEXT) => c.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body, idClient: `notify-${++n}-${Date.now()}` } });


const rowsOf = (account: string) => server.storage.notificationsOf(account);

beforeEach(async () => {
  sms = await startSmsWebhookStub();
  sms.forbidden.push(SECRET_TEXT, '糖尿病', '二甲双胍', patient.name);
});
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await server?.dispose();
  await sms.close();
});

test('the doctor replies while the patient is away: exactly one notice, with a fresh one-time link and no message text', async () => {
  await start();
  const d = await login(doctor);
  await say(d);
  await until(async () => (await rowsOf(patient.account)).some((r) => r.state === 'sent'));
  await sleep(600);
  expect(sms.received).toHaveLength(1);
  expect(sms.rejected).toEqual([]);
  const [notice] = sms.received;
  expect(notice).toMatchObject({ account: patient.account, kind: 'reply', consultationId: TEAM });
  // The link signs the patient in once and opens this consultation.
  const link = decodeURIComponent(/link=([^&]+)/.exec(notice.link)?.[1] ?? '');
  expect((await server.auth.verifyLink(link)).account).toBe(patient.account);
  expect(notice.link).toContain(`session=${encodeURIComponent(SESSION)}`);
  expect(await rowsOf(patient.account)).toEqual([expect.objectContaining({ kind: 'reply', state: 'sent', outcome: 'sms', events: 1 })]);
  // The doctor wrote and is connected: nothing for them.
  expect(await rowsOf(doctor.account)).toEqual([]);
  const audit = await server.storage.auditRecords(0, 1000);
  const sent = audit.filter((r) => r.action === 'notify.sent');
  expect(sent).toHaveLength(1);
  expect(JSON.parse(sent[0].detail)).toEqual({ id: notice.id, kind: 'reply', consultationId: TEAM, events: 1, channel: 'sms' });
  expect(JSON.stringify(audit)).not.toContain('糖尿病');
});

test('three quick replies are one notice', async () => {
  await start();
  const d = await login(doctor);
  for (let i = 0; i < 3; i++) await say(d, `${SECRET_TEXT}${i}`);
  await until(async () => (await rowsOf(patient.account)).some((r) => r.state === 'sent'));
  await sleep(800);
  expect(sms.received).toHaveLength(1);
  expect(await rowsOf(patient.account)).toEqual([expect.objectContaining({ state: 'sent', events: 3 })]);
});

test('a patient connected to the chat gets no notice', async () => {
  await start();
  const p = await login(patient);
  const d = await login(doctor);
  await say(d);
  await p.waitFor((f) => f.type === 'msg');
  await until(async () => (await rowsOf(patient.account)).some((r) => r.state !== 'pending'));
  expect(await rowsOf(patient.account)).toEqual([expect.objectContaining({ state: 'cancelled', outcome: 'online' })]);
  expect(sms.received).toEqual([]);
});

test('a patient who reads before the notice is due gets none', async () => {
  await start({ collapseSec: 2 });
  const d = await login(doctor);
  const ack = await say(d);
  // The patient opens the chat (and leaves again) before the notice is due.
  const p = await WsClient.login(server, patient);
  await p.request('markRead', { sessionId: SESSION, seq: ack.seq });
  p.close();
  await until(async () => (await rowsOf(patient.account)).some((r) => r.state !== 'pending'), 6000);
  expect(await rowsOf(patient.account)).toEqual([expect.objectContaining({ state: 'cancelled', outcome: 'read' })]);
  expect(sms.received).toEqual([]);
});

test('throttling: after a notice, the next waits for the minimum interval and collects what came meanwhile', async () => {
  await start({ minIntervalSec: 3 });
  const d = await login(doctor);
  await say(d);
  await until(() => sms.received.length === 1);
  const first = Date.now();
  await say(d);
  await say(d);
  await sleep(1500);
  expect(sms.received).toHaveLength(1);
  await until(() => sms.received.length === 2, 6000);
  expect(Date.now() - first).toBeGreaterThanOrEqual(2000);
  await until(async () => (await rowsOf(patient.account)).every((r) => r.state === 'sent'));
  expect((await rowsOf(patient.account)).map((r) => [r.state, r.events])).toEqual([
    ['sent', 1],
    ['sent', 2],
  ]);
});

test('the doctor is told when a patient writes while they are away', async () => {
  await start();
  const p = await login(patient);
  await say(p, '医生您好，我想问一下');
  await until(() => sms.received.length === 1);
  expect(sms.received[0]).toMatchObject({ account: doctor.account, kind: 'patientWrote' });
  expect((await server.auth.verifyLink(decodeURIComponent(/link=([^&]+)/.exec(sms.received[0].link)?.[1] ?? ''))).account).toBe(doctor.account);
});

test('a transfer hands the notice still to come to the doctor it went to; the doctor it left is not told', async () => {
  const next: Account = { account: 'doctor-zhou', name: '周医生', role: 'doctor' };
  // Due after the old doctor has gone offline: only the transfer keeps it from them.
  await start({ collapseSec: 3 });
  await server.storage.upsertAccount(next);
  const p = await login(patient);
  await say(p, '医生您好，我想问一下');
  p.close();
  const d = await login(doctor);
  await d.request('transfer', { sessionId: SESSION, to: next.account });
  d.close();
  await until(() => sms.received.length === 1, 10_000);
  await sleep(600);
  expect(sms.received.map((r) => [r.account, r.kind])).toEqual([[next.account, 'patientWrote']]);
  expect((await server.auth.verifyLink(decodeURIComponent(/link=([^&]+)/.exec(sms.received[0].link)?.[1] ?? ''))).account).toBe(next.account);
  expect(await rowsOf(doctor.account)).toEqual([expect.objectContaining({ state: 'cancelled', outcome: 'transferred' })]);
});

test('a notice a worker held while the consultation was transferred is not sent to the doctor it left', async () => {
  const next: Account = { account: 'doctor-zhou', name: '周医生', role: 'doctor' };
  await start();
  await server.storage.upsertAccount(next);
  const p = await login(patient);
  await say(p, '医生您好，我想问一下');
  p.close();
  // Another worker claims the row and stalls past its lease, so the transfer finds nothing open to move;
  // the server's worker takes it again once the old doctor has gone offline.
  const [held] = await server.storage.claimNotifications('stalled-node', Date.now() + 3_000, 1_000, 10);
  expect(held).toMatchObject({ account: doctor.account });
  const d = await login(doctor);
  await d.request('transfer', { sessionId: SESSION, to: next.account });
  d.close();
  await until(async () => (await rowsOf(doctor.account)).some((r) => r.state !== 'claimed'), 10_000);
  expect(await rowsOf(doctor.account)).toEqual([expect.objectContaining({ id: held.id, state: 'cancelled', outcome: 'transferred' })]);
  expect(sms.received).toEqual([]);
});

test('a permanent refusal is recorded and not retried; a transient failure is retried with backoff', async () => {
  await start();
  sms.failWith.push(410);
  const d = await login(doctor);
  await say(d);
  await until(async () => (await rowsOf(patient.account)).some((r) => r.state === 'refused'));
  await sleep(1500);
  expect(await rowsOf(patient.account)).toEqual([expect.objectContaining({ state: 'refused', outcome: 'sms:410', attempts: 1 })]);
  const refused = (await server.storage.auditRecords(0, 1000)).filter((r) => r.action === 'notify.refused');
  expect(refused).toHaveLength(1);
  expect(JSON.parse(refused[0].detail)).toMatchObject({ kind: 'reply', reason: 'sms:410', codes: ['sms:410'] });

  // The next one (after the doctor's next reply) meets a gateway that is down once.
  await server.storage.setNotifyEnabled(patient.account, true, Date.now());
  sms.failWith.push(503);
  await say(d);
  await until(async () => (await rowsOf(patient.account)).some((r) => r.state === 'sent'), 10_000);
  await sleep(500);
  expect(sms.received).toHaveLength(1);
  const rows = await rowsOf(patient.account);
  expect(rows[1]).toMatchObject({ state: 'sent', attempts: 2 });
});

test('reminders turned off: the notice is dropped and recorded as such', async () => {
  await start();
  const token = await server.auth.issue(patient);
  const res = await fetch(`${server.url}${NOTIFY_SETTINGS_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ enabled: false }),
  });
  expect(await res.json()).toEqual({ enabled: false, templates: {}, sms: true, consents: [] });
  const d = await login(doctor);
  await say(d);
  await until(async () => (await rowsOf(patient.account)).some((r) => r.state === 'dropped'));
  expect(sms.received).toEqual([]);
  expect((await server.storage.auditRecords(0, 1000)).some((r) => r.action === 'notify.dropped' && r.detail.includes('"off"'))).toBe(true);
});
