/**
 * The pharmacist (issue 17) through a real server: created by the hospital API, signed in by an SMS
 * link; reviews prescriptions and is refused everything else (one refusal by role in the gateway);
 * reject with a reason → the doctor corrects → approve, every state stored in the chat for patient and
 * doctor; the patient asks to renew an approved prescription; audit without drugs or diagnoses.
 */
import type { Message } from '../../types/message';
import type { PrescriptionRecord } from '../../types/prescription';
import { prescriptionStates, renewalRequest } from '../../types/prescription';
import type { IdentityRecord, IntakeForm } from '../../types/encounter';
import type { ConsultationRecord, PushFrame, ServerFrame } from '../../types/protocol';
import { RECORD_PATH } from '../../types/protocol';
import { postJson } from '../helpers/post-json';
import { ADMIN_API_KEY } from '../helpers/server';
import { doctor, patient, SESSION, startConsultationServer, stranger, TEAM } from '../helpers/consultation';
import { draft, drug, pharmacistSignsIn, rxClientId } from '../helpers/rx';
import { expectError, WsClient, type TestServer } from '../helpers/server';

let server: TestServer;
const clients: WsClient[] = [];

async function login(a: typeof doctor): Promise<WsClient> {
  const c = await WsClient.login(server, a);
  clients.push(c);
  return c;
}

async function signIn(): Promise<WsClient> {
  const c = await pharmacistSignsIn(server);
  clients.push(c);
  return c;
}

beforeEach(async () => {
  server = await startConsultationServer();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.dispose();
});

const rxPush = (id: string, state: string) => (f: ServerFrame): f is Extract<PushFrame, { type: 'rx' }> =>
  f.type === 'rx' && f.prescription.rx.id === id && f.prescription.state === state;

const noticeOf = (id: string, state: string) => (f: ServerFrame) =>
  f.type === 'msg' && (f.msg.attach as { prescription?: { id: string; state: string } } | undefined)?.prescription?.id === id && (f.msg.attach as { prescription: { state: string } }).prescription.state === state;

async function issue(d: WsClient, over = {}): Promise<PrescriptionRecord> {
  return (await d.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx: draft(over) })).prescription;
}

test('the hospital API refuses a pharmacist named as an audit actor that is no account', async () => {
  const refused = await postJson(`${server.url}/api/pharmacists`, { account: 'system', name: '某药师' }, { authorization: `Bearer ${ADMIN_API_KEY}` });
  expect(refused.status).toBe(400);
  expect(refused.body.error.message).toMatch(/account: is reserved/);
});

test('a pharmacist sees the pending queue and new prescriptions as they are issued, never the chat', async () => {
  const ph = await signIn();
  const d = await login(doctor);
  await d.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body: '请按时服药', idClient: rxClientId() } });
  const rx = await issue(d);
  const pushed = await ph.waitFor(rxPush(rx.rx.id, 'pending'));
  expect(pushed.prescription).toEqual(rx);
  const { items } = await ph.request('prescriptions', { limit: 10 });
  expect(items.map((i) => i.prescription)).toEqual([rx]);
  expect((await ph.request('prescriptions', { state: 'approved', limit: 10 })).items).toEqual([]);
  // Neither the text message nor anything else of the conversation reached the pharmacist.
  expect(ph.pushes.filter((f) => f.type === 'msg')).toEqual([]);
});

test('a pharmacist cannot chat: send, forward, recall, typing, history, sync, read and delivery marks, search, presence, consultation changes, issuing, renewing, transferring', async () => {
  const ph = await signIn();
  const d = await login(doctor);
  const sent = await d.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body: '复诊', idClient: rxClientId() } });
  const refusals: Array<Promise<unknown>> = [
    ph.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body: '你好', idClient: rxClientId() } }),
    ph.request('send', { msg: { scene: 'p2p', to: patient.account, type: 'text', body: '你好', idClient: rxClientId() } }),
    ph.request('forward', { sessionId: SESSION, from: doctor.account, idClient: sent.idClient, toSessionId: `p2p-${patient.account}`, newIdClient: rxClientId() }),
    ph.request('recall', { sessionId: SESSION, idClient: sent.idClient }),
    ph.request('typing', { sessionId: SESSION }),
    ph.request('history', { sessionId: SESSION, limit: 10 }),
    ph.request('sync', { cursors: {} }),
    ph.request('markRead', { sessionId: SESSION, seq: 1 }),
    ph.request('delivered', { sessionId: SESSION, seq: 1 }),
    // Search opens message bodies: not for a role that reads only prescriptions, in one conversation or all.
    ph.request('search', { sessionId: SESSION, text: '复诊', limit: 10 }),
    ph.request('search', { text: '复诊', limit: 10 }),
    ph.request('presence', {}),
    ph.request('consultation', { sessionId: SESSION, action: 'close' }),
    ph.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx: draft() }),
    ph.request('renewRx', { prescriptionId: 'rx-00000000' }),
    ph.request('transfer', { sessionId: SESSION, to: doctor.account }),
    ph.request('encounter', { sessionId: SESSION }),
  ];
  for (const r of refusals) expect(await expectError(r, 'forbidden')).toMatch(/pharmacist cannot/);
  // Keep-alive and token renewal still work: the pharmacist stays signed in.
  await ph.request('ping', {});
  await ph.request('renew', {});
});

test('patients and doctors cannot review or read the queue', async () => {
  const d = await login(doctor);
  const p = await login(patient);
  const rx = await issue(d);
  for (const c of [d, p]) {
    await expectError(c.request('review', { prescriptionId: rx.rx.id, decision: 'approve' }), 'forbidden');
    await expectError(c.request('prescriptions', { limit: 10 }), 'forbidden');
  }
});

test('reject with a reason → the doctor corrects → approve: patient and doctor see each state, stored in the chat', async () => {
  const ph = await signIn();
  const d = await login(doctor);
  const p = await login(patient);
  const first = await issue(d, { drugs: [drug({ quantity: 10 })] });
  await expectError(ph.request('review', { prescriptionId: first.rx.id, decision: 'reject' }), 'badFrame');
  const { prescription: rejected } = await ph.request('review', { prescriptionId: first.rx.id, decision: 'reject', reason: '用量超过 7 日常用量' });
  expect(rejected).toMatchObject({ state: 'rejected', reason: '用量超过 7 日常用量', reviewer: 'pharmacist-wu' });
  for (const c of [d, p]) {
    const notice = (await c.waitFor(noticeOf(first.rx.id, 'rejected'))) as { msg: Message };
    expect(notice.msg).toMatchObject({ type: 'notification', body: expect.stringContaining('未通过'), attach: { prescription: { reason: '用量超过 7 日常用量' } } });
  }
  // Reviewed once.
  await expectError(ph.request('review', { prescriptionId: first.rx.id, decision: 'approve' }), 'invalidTransition');
  await expectError(ph.request('review', { prescriptionId: 'rx-missing-0', decision: 'approve' }), 'notFound');

  const fixed = await issue(d, { corrects: first.rx.id, drugs: [drug({ quantity: 2 })] });
  expect(fixed).toMatchObject({ state: 'pending', rx: { corrects: first.rx.id } });
  await ph.waitFor(rxPush(fixed.rx.id, 'pending'));
  // One correction per rejected card, and only of a rejected one.
  await expectError(d.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx: draft({ corrects: first.rx.id }) }), 'invalidTransition');
  await expectError(d.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx: draft({ corrects: fixed.rx.id }) }), 'invalidTransition');

  await ph.request('review', { prescriptionId: fixed.rx.id, decision: 'approve', reason: '不会保存' });
  await p.waitFor(noticeOf(fixed.rx.id, 'approved'));
  for (const c of [d, p]) {
    const { msgs } = await c.request('history', { sessionId: SESSION, limit: 50 });
    const states = prescriptionStates(msgs);
    expect(states.get(first.rx.id)).toEqual({ state: 'rejected', reason: '用量超过 7 日常用量' });
    expect(states.get(fixed.rx.id)).toEqual({ state: 'approved' });
  }
  expect((await ph.request('prescriptions', { state: 'approved', limit: 10 })).items.map((i) => i.prescription)).toEqual([
    expect.objectContaining({ state: 'approved', rx: fixed.rx }),
  ]);
  expect((await server.storage.prescription(fixed.rx.id))?.reason).toBeUndefined();

  const audit = (await server.storage.auditRecords(0, 1000)).filter((r) => r.action.startsWith('prescription.'));
  expect(audit.map((r) => [r.action, JSON.parse(r.detail).to ?? JSON.parse(r.detail).state])).toEqual([
    ['prescription.issue', 'pending'],
    ['prescription.review', 'rejected'],
    ['prescription.issue', 'pending'],
    ['prescription.review', 'approved'],
  ]);
  for (const r of audit) expect(r.detail).not.toMatch(/阿莫西林|咽炎|用量|7 日/);
});

test('the patient asks to renew an approved prescription; the doctor sees the request and issues a new card', async () => {
  const ph = await signIn();
  const d = await login(doctor);
  const p = await login(patient);
  const rx = await issue(d);
  expect(await expectError(p.request('renewRx', { prescriptionId: rx.rx.id }), 'invalidTransition')).toMatch(/已通过/);
  await ph.request('review', { prescriptionId: rx.rx.id, decision: 'approve' });
  const { notice } = await p.request('renewRx', { prescriptionId: rx.rx.id });
  expect(renewalRequest(notice)).toEqual({ prescriptionId: rx.rx.id, by: patient.account });
  const seen = (await d.waitFor((f) => f.type === 'msg' && renewalRequest(f.msg) !== undefined)) as { msg: Message };
  expect(seen.msg.seq).toBe(notice.seq);
  // Asking again returns the same request.
  expect((await p.request('renewRx', { prescriptionId: rx.rx.id })).notice.seq).toBe(notice.seq);
  await issue(d);
  // Nobody else renews it: a doctor by role, another patient as if it did not exist.
  await expectError(d.request('renewRx', { prescriptionId: rx.rx.id }), 'forbidden');
  const s = await login(stranger);
  await expectError(s.request('renewRx', { prescriptionId: rx.rx.id }), 'notFound');
});

test('a pharmacist account is the hospital’s to create: the admin key, a valid body, no role change of a doctor', async () => {
  const post = (body: unknown, key = 'test-admin-key-test-admin-key') =>
    fetch(`${server.url}/api/pharmacists`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
  expect((await post({ account: 'ph-2', name: '钱药师' }, 'wrong-key-wrong-key-wrong-key')).status).toBe(401);
  expect((await post({ account: 'ph 2', name: '钱药师' })).status).toBe(400);
  expect((await post({ account: doctor.account, name: '张医生' })).status).toBe(400);
  expect(await server.storage.getAccount(doctor.account)).toEqual(doctor);
});

test('the review reads what it needs of the intake and the masked patient; the hospital record shows each card’s state', async () => {
  const self: IdentityRecord = { name: '李秀英', idNumber: '110101198001011234', sex: 'female', birthDate: '1980-01-01', relation: 'self' };
  const form: IntakeForm = {
    complaint: '咽痛三天',
    duration: '三天',
    symptoms: ['发热'],
    allergies: ['青霉素'],
    medications: ['氨氯地平 5mg 每日一次'],
    diagnosis: '慢性咽炎',
    attachments: [],
  };
  const admin = { authorization: `Bearer ${ADMIN_API_KEY}` };
  const created = await postJson(
    `${server.url}/api/consultations`,
    {
      id: 'rx-c2',
      patient: { account: patient.account, name: patient.name },
      doctor: { account: doctor.account, name: doctor.name },
      identity: self,
      consent: { version: 'paper-1', acceptedAt: 1_700_000_000_000 },
      intake: form,
    },
    admin,
  );
  expect(created.status).toBe(201);
  const d = await login(doctor);
  await d.request('consultation', { sessionId: 'team-rx-c2', action: 'accept' });
  const issued = await d.request('prescribe', { sessionId: 'team-rx-c2', idClient: rxClientId(), rx: draft({ drugs: [drug({ name: '头孢克肟分散片' })] }) });
  const second = await d.request('prescribe', { sessionId: 'team-rx-c2', idClient: rxClientId(), rx: draft() });
  const ph = await signIn();
  const [item] = (await ph.request('prescriptions', { limit: 10 })).items;
  expect(item).toEqual({
    prescription: issued.prescription,
    patient: { name: '李**', sex: 'female', age: expect.any(Number) },
    intake: { complaint: '咽痛三天', allergies: ['青霉素'], medications: ['氨氯地平 5mg 每日一次'], diagnosis: '慢性咽炎' },
  });
  await ph.request('review', { prescriptionId: issued.prescription.rx.id, decision: 'approve' });
  const res = await fetch(`${server.url}${RECORD_PATH}?id=rx-c2`, { headers: admin });
  const record = (await res.json()) as ConsultationRecord;
  expect(record.cards.filter((c) => c.card === 'rx').map((c) => c.state)).toEqual(['approved', 'pending']);
  expect(record.cards.find((c) => c.state === 'pending')?.attach).toEqual({ card: 'rx', rx: second.prescription.rx, signature: second.prescription.signature });
});
