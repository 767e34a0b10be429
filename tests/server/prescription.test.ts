/**
 * Issuing prescriptions (issue 17) through a real server and SQLite file: only the consultation's
 * doctor, only once accepted, never a drug of a category banned online (configurable), bounded input;
 * the hospital's signature verifies and fails on a changed card; the card is a message of the chat.
 */
import type { Account } from '../../types/message';
import type { RxCard, RxPublicKey } from '../../types/prescription';
import { RX_KEY_PATH } from '../../types/prescription';
import { verifyPrescription } from '../../server/prescriptions/signer';
import { CONSENTED, doctor, patient, SESSION, startConsultationServer, stranger, TEAM } from '../helpers/consultation';
import { draft, drug, rxClientId } from '../helpers/rx';
import { expectError, WsClient, type TestServer } from '../helpers/server';

let server: TestServer;
const clients: WsClient[] = [];
const otherDoctor: Account = { account: 'doctor-zhao', name: '赵医生', role: 'doctor' };

async function login(a: Account): Promise<WsClient> {
  const c = await WsClient.login(server, a);
  clients.push(c);
  return c;
}

async function setup(over: Parameters<typeof startConsultationServer>[0] = {}) {
  server = await startConsultationServer(over);
  await server.storage.upsertAccount(otherDoctor);
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.dispose();
});

const publicKey = async (): Promise<RxPublicKey> => (await fetch(`${server.url}${RX_KEY_PATH}`)).json() as Promise<RxPublicKey>;

describe('issue', () => {
  beforeEach(() => setup());

  test('the doctor issues; the patient gets the card pending; the signature verifies, and fails on any change', async () => {
    const d = await login(doctor);
    const p = await login(patient);
    const { msg, prescription } = await d.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx: draft({ note: '多饮水' }) });
    expect(prescription).toMatchObject({ card: 'rx', state: 'pending', rx: { consultationId: TEAM, patient: patient.account, doctor: doctor.account, doctorName: doctor.name, diagnosis: '急性咽炎', note: '多饮水' } });
    expect(msg).toMatchObject({ type: 'custom', sessionId: SESSION, attach: { card: 'rx', rx: prescription.rx, signature: prescription.signature } });
    const got = await p.waitFor((f) => f.type === 'msg' && f.msg.idClient === msg.idClient);
    const card = (got as unknown as { msg: { attach: RxCard } }).msg.attach;
    const key = await publicKey();
    expect(card.signature).toMatchObject({ alg: key.alg, keyId: key.keyId });
    expect(verifyPrescription(card, key.publicKeyPem)).toBe(true);
    expect(verifyPrescription({ ...card, rx: { ...card.rx, diagnosis: '慢性咽炎' } }, key.publicKeyPem)).toBe(false);
    expect(verifyPrescription({ ...card, rx: { ...card.rx, drugs: [{ ...card.rx.drugs[0], quantity: 20 }] } }, key.publicKeyPem)).toBe(false);
    expect(verifyPrescription({ ...card, rx: { ...card.rx, patient: stranger.account } }, key.publicKeyPem)).toBe(false);
    // History carries the card as it was issued.
    const { msgs } = await p.request('history', { sessionId: SESSION, limit: 10 });
    expect(msgs.map((m) => m.attach)).toContainEqual(card);
  });

  test('a prescription is not forwarded, by the doctor or the patient', async () => {
    await server.storage.createConsultation({ id: 'c3', patient: patient.account, doctor: doctor.account, teamName: '二诊', consent: { version: 't', acceptedAt: 1, by: 'hospital' } });
    const d = await login(doctor);
    const p = await login(patient);
    const { msg } = await d.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx: draft() });
    const forward = { sessionId: SESSION, from: doctor.account, idClient: msg.idClient, toSessionId: 'team-c3', newIdClient: rxClientId() };
    for (const c of [d, p]) expect(await expectError(c.request('forward', forward), 'forbidden')).toMatch(/处方不能转发/);
  });

  test('a retry with the same idClient returns the same prescription and stores one card', async () => {
    const d = await login(doctor);
    const idClient = rxClientId();
    const first = await d.request('prescribe', { sessionId: SESSION, idClient, rx: draft() });
    const again = await d.request('prescribe', { sessionId: SESSION, idClient, rx: draft() });
    expect(again.prescription.rx.id).toBe(first.prescription.rx.id);
    expect(again.msg.seq).toBe(first.msg.seq);
    expect((await d.request('history', { sessionId: SESSION, limit: 10 })).msgs.filter((m) => m.type === 'custom')).toHaveLength(1);
  });

  test('an idClient used in another consultation is refused, never answered with that one’s prescription or message', async () => {
    await server.storage.createConsultation({ id: 'c2', patient: stranger.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
    const d = await login(doctor);
    const idClient = rxClientId();
    await d.request('prescribe', { sessionId: SESSION, idClient, rx: draft() });
    await expectError(d.request('prescribe', { sessionId: 'team-c2', idClient, rx: draft() }), 'invalidMessage');
    await expectError(d.request('send', { msg: { scene: 'team', to: 'c2', type: 'text', body: '您好', idClient } }), 'invalidMessage');
    expect((await d.request('history', { sessionId: 'team-c2', limit: 10 })).msgs).toEqual([]);
  });

  test('only the consultation’s doctor issues: a patient, another doctor and an outsider are refused', async () => {
    const p = await login(patient);
    expect(await expectError(p.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx: draft() }), 'forbidden')).toMatch(/patient/);
    const other = await login(otherDoctor);
    await expectError(other.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx: draft() }), 'forbidden');
    // A doctor of a p2p chat issues in the consultation, not around it.
    const d = await login(doctor);
    await expectError(d.request('prescribe', { sessionId: `p2p-${patient.account}`, idClient: rxClientId(), rx: draft() }), 'notFound');
  });

  test('no prescription before the doctor accepted, none after the consultation closed', async () => {
    await server.storage.createConsultation({ id: 'c2', patient: patient.account, doctor: doctor.account, teamName: '复诊', status: 'waiting' });
    const d = await login(doctor);
    expect(await expectError(d.request('prescribe', { sessionId: 'team-c2', idClient: rxClientId(), rx: draft() }), 'invalidTransition')).toMatch(/接诊/);
    await d.request('consultation', { sessionId: 'team-c2', action: 'accept' });
    await d.request('prescribe', { sessionId: 'team-c2', idClient: rxClientId(), rx: draft() });
    await d.request('consultation', { sessionId: 'team-c2', action: 'close' });
    await expectError(d.request('prescribe', { sessionId: 'team-c2', idClient: rxClientId(), rx: draft() }), 'consultationClosed');
  });

  test('drugs of categories never prescribed online are refused, named by position, not by name', async () => {
    const d = await login(doctor);
    for (const category of ['麻醉药品', '第二类精神药品', '医疗用毒性药品', '放射性药品']) {
      const message = await expectError(
        d.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx: draft({ drugs: [drug(), drug({ name: '某药', category })] }) }),
        'drugNotAllowed',
      );
      expect(message).toMatch(/第 2 个药品/);
      expect(message).toContain(category);
    }
    expect((await d.request('history', { sessionId: SESSION, limit: 10 })).msgs).toHaveLength(0);
  });

  test('the input is bounded and checked: no drugs, too many, a bad quantity, an unknown field, a legacy card sent as a message', async () => {
    const d = await login(doctor);
    const refused = (rx: unknown) => expectError(d.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx } as never), 'invalidMessage');
    await refused(draft({ drugs: [] }));
    await refused(draft({ drugs: Array.from({ length: 11 }, () => drug()) }));
    await refused(draft({ drugs: [drug({ quantity: 0 })] }));
    await refused(draft({ drugs: [drug({ quantity: 1.5 })] }));
    await refused(draft({ drugs: [drug({ category: '' })] }));
    await refused({ ...draft(), doctor: '王主任' });
    await refused(draft({ diagnosis: 'x'.repeat(201) }));
    await refused(draft({ corrects: 'no' }));
    // The card of the chat can no longer carry an unsigned, unreviewed prescription.
    const legacy = { card: 'prescription', diagnosis: '感冒', drugs: [{ name: '药', dosage: '1片', frequency: '每日一次' }] };
    expect(
      await expectError(d.request('send', { msg: { scene: 'team', to: TEAM, type: 'custom', body: '', attach: legacy, idClient: rxClientId() } }), 'forbidden'),
    ).toMatch(/开方/);
  });

  test('the audit records who issued what by id and state, never a drug or a diagnosis', async () => {
    const d = await login(doctor);
    const { prescription } = await d.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx: draft() });
    const records = (await server.storage.auditRecords(0, 1000)).filter((r) => r.action === 'prescription.issue');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ actor: doctor.account, target: TEAM });
    expect(JSON.parse(records[0].detail)).toEqual({ prescription: prescription.rx.id, seq: 1, state: 'pending' });
    expect(records[0].detail).not.toMatch(/阿莫西林|咽炎|处方药/);
  });
});

test('the banned categories are the hospital’s to configure', async () => {
  await setup({ rxForbiddenCategories: ['抗菌药物'] });
  const d = await login(doctor);
  await expectError(d.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx: draft({ drugs: [drug({ category: '限制使用级抗菌药物' })] }) }), 'drugNotAllowed');
  await d.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx: draft() });
});
