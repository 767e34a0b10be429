/**
 * The findings of the outside security review that concern chat frames, each against a real server and
 * SQLite file: what the reviewer did, and what must happen instead.
 */
import type { Account, OutgoingMessage } from '../../types/message';
import { jpeg } from '../helpers/fixtures';
import { uploadAs } from '../helpers/upload';
import { expectError, startTestServer, WsClient, type TestServer } from '../helpers/server';

const doctor: Account = { account: 'doc-sec', name: '赵医生', role: 'doctor' };
const patientA: Account = { account: 'pat-a', name: '甲', role: 'patient' };
const patientB: Account = { account: 'pat-b', name: '乙', role: 'patient' };

let server: TestServer;
const clients: WsClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.dispose();
});

async function start(consultations: Array<{ id: string; patient: Account; status?: 'waiting' | 'inProgress'; maxPatientMessages?: number }>) {
  server = await startTestServer();
  for (const a of [doctor, patientA, patientB]) await server.storage.upsertAccount(a);
  for (const { patient, ...c } of consultations) {
    await server.storage.createConsultation({ ...c, patient: patient.account, doctor: doctor.account, teamName: '问诊' });
  }
}

async function login(a: Account): Promise<WsClient> {
  const c = await WsClient.login(server, a);
  clients.push(c);
  return c;
}

let n = 0;
const msg = (to: string, over: Partial<OutgoingMessage> = {}, scene: 'team' | 'p2p' = 'team'): { msg: OutgoingMessage } => ({
  msg: { scene, to, type: 'text', body: '你好', idClient: `sec-${++n}-${Date.now()}`, ...over } as OutgoingMessage,
});

describe('finding 1: a file is read only through the media message it was sent in', () => {
  test("a text message naming another patient's file id is refused, and nothing signs a URL for it", async () => {
    await start([
      { id: 'ca', patient: patientA },
      { id: 'cb', patient: patientB },
    ]);
    const up = await uploadAs(server, patientA, 'image', 'a.jpg', await jpeg());
    expect(up.status).toBe(200);
    const b = await login(patientB);
    await expectError(b.request('send', msg('cb', { attach: { fileId: up.body.fileId } })), 'invalidMessage');
    // A geo attach with a file id is refused by its strict schema, a card's likewise.
    await expectError(
      b.request('send', msg('cb', { type: 'geo', body: '', attach: { lat: 1, lng: 2, title: 'x', fileId: up.body.fileId } })),
      'invalidMessage',
    );
    const history = await b.request('history', { sessionId: 'team-cb', limit: 10 });
    expect(JSON.stringify(history)).not.toContain(up.body.fileId);
  });

  test('a non-media message stored with a file id (before this fix) is shown without a signed URL', async () => {
    await start([{ id: 'cb', patient: patientB }]);
    const up = await uploadAs(server, patientA, 'image', 'a.jpg', await jpeg());
    await server.storage.appendMessage({
      conv: { id: 'team-cb', scene: 'team', teamId: 'cb' },
      idClient: 'legacy-text-1',
      from: patientB.account,
      scene: 'team',
      to: 'cb',
      type: 'text',
      body: '旧消息',
      attach: { fileId: up.body.fileId },
      members: [],
    });
    const b = await login(patientB);
    const { msgs } = await b.request('history', { sessionId: 'team-cb', limit: 10 });
    const legacy = msgs.find((m) => m.idClient === 'legacy-text-1');
    expect(legacy?.attach).toEqual({ fileId: up.body.fileId });
    expect(JSON.stringify(msgs)).not.toContain('/api/files/');
  });
});

describe('finding 2: p2p between a patient and a doctor follows their consultation', () => {
  test('the quota counts p2p messages and refuses them once used up', async () => {
    await start([{ id: 'q1', patient: patientA, maxPatientMessages: 1 }]);
    const a = await login(patientA);
    await a.request('send', msg('q1'));
    await expectError(a.request('send', msg('q1')), 'quotaExceeded');
    await expectError(a.request('send', msg(doctor.account, {}, 'p2p')), 'quotaExceeded');
  });

  test('a p2p message uses up the consultation quota like a team message', async () => {
    await start([{ id: 'q2', patient: patientA, maxPatientMessages: 1 }]);
    const a = await login(patientA);
    await a.request('send', msg(doctor.account, {}, 'p2p'));
    await expectError(a.request('send', msg('q2')), 'quotaExceeded');
  });

  test('before accepting, the doctor cannot write, type or forward to the patient over p2p', async () => {
    await start([{ id: 'w1', patient: patientA, status: 'waiting' }]);
    const d = await login(doctor);
    await expectError(d.request('send', msg(patientA.account, {}, 'p2p')), 'invalidTransition');
    await expectError(d.request('typing', { sessionId: `p2p-${patientA.account}` }), 'invalidTransition');
  });

  test('after the doctor closes, p2p takes no message, typing or recall from either side', async () => {
    await start([{ id: 'c1', patient: patientA }]);
    const a = await login(patientA);
    const d = await login(doctor);
    const sent = msg(doctor.account, {}, 'p2p');
    await a.request('send', sent);
    await d.request('consultation', { sessionId: 'team-c1', action: 'close' });
    await expectError(a.request('send', msg(doctor.account, {}, 'p2p')), 'consultationClosed');
    await expectError(d.request('send', msg(patientA.account, {}, 'p2p')), 'consultationClosed');
    await expectError(a.request('typing', { sessionId: `p2p-${doctor.account}` }), 'consultationClosed');
    await expectError(d.request('typing', { sessionId: 'team-c1' }), 'consultationClosed');
    await expectError(a.request('recall', { sessionId: `p2p-${doctor.account}`, idClient: sent.msg.idClient }), 'consultationClosed');
  });

  test('an open consultation between the two keeps p2p open even when an older one is closed', async () => {
    await start([{ id: 'old', patient: patientA }]);
    const d = await login(doctor);
    await d.request('consultation', { sessionId: 'team-old', action: 'close' });
    await server.storage.createConsultation({ id: 'new', patient: patientA.account, doctor: doctor.account, teamName: '复诊' });
    await d.request('send', msg(patientA.account, {}, 'p2p'));
  });
});

describe('finding 10: account ids cannot be enumerated', () => {
  test('typing and history on p2p-<id> answer the same for a missing and an unrelated account', async () => {
    await start([{ id: 'ca', patient: patientA }]);
    const a = await login(patientA);
    for (const type of ['typing', 'history'] as const) {
      const payload = (id: string) => (type === 'typing' ? { sessionId: `p2p-${id}` } : { sessionId: `p2p-${id}`, limit: 5 });
      const missing = await expectError(a.request(type, payload('nobody-here') as never), 'forbidden');
      const existing = await expectError(a.request(type, payload(patientB.account) as never), 'forbidden');
      expect(existing).toBe(missing);
    }
  });
});
