/**
 * Findings a review left open, each as it could be reproduced against a running server (real server on
 * 127.0.0.1, real SQLite file), and what must happen instead.
 */
import type { IdentityRecord } from '../../types/encounter';
import type { Account } from '../../types/message';
import { CONSENTED, doctor, patient, serverPerTest, startConsultationServer } from '../helpers/consultation';
import { rxClientId } from '../helpers/rx';
import { expectError } from '../helpers/server';

const next: Account = { account: 'doctor-zhou', name: '周医生', role: 'doctor' };
const self: IdentityRecord = { name: '李秀英', idNumber: '110101198001011234', sex: 'female', birthDate: '1980-01-01', relation: 'self' };

const ctx = serverPerTest(async () => {
  const server = await startConsultationServer({ sendsPerSecond: 10 });
  await server.storage.upsertAccount(next);
  return server;
});
const { login } = ctx;

const say = (to: string, body: string) => ({ msg: { scene: 'team' as const, to, type: 'text' as const, body, idClient: rxClientId() } });

describe('finding F1: a doctor a consultation was transferred away from keeps only what they had then', () => {
  test('their list shows the consultation as it was at the transfer: not its later status, quota or the identity confirmed after', async () => {
    // A consultation whose patient confirms who it is for only after the transfer.
    await ctx.server.storage.createConsultation({ id: 'k1', patient: patient.account, doctor: doctor.account, teamName: '问诊', maxPatientMessages: 5, candidates: [self], ...CONSENTED });
    const session = 'team-k1';
    const d = await login(doctor);
    const p = await login(patient);
    await p.request('send', say('k1', '医生您好'));
    const { consultation: atTransfer, notice } = await d.request('transfer', { sessionId: session, to: next.account });

    // After the transfer: the patient confirms their identity and writes on; the new doctor closes it.
    await p.request('identity', { sessionId: session, candidate: 0 });
    await p.request('send', say('k1', '转诊后说的病情'));
    const n = await login(next);
    await n.request('consultation', { sessionId: session, action: 'close' });

    const listed = (await d.request('sync', { cursors: {} })).sessions.find((s) => s.id === session);
    expect(listed?.readOnlyUpTo).toBe((notice.seq as number) - 1);
    expect(listed?.consultation).toEqual(atTransfer);
    expect(listed?.consultation).toMatchObject({ status: 'inProgress', patientMessages: 1, identified: false });
    expect(listed?.consultation).not.toHaveProperty('subject');
    expect(listed?.consultation).not.toHaveProperty('closedAt');
    // The encounter panel, where the identity is shown, is not theirs any more either.
    await expectError(d.request('encounter', { sessionId: session }), 'forbidden');
    // The new doctor and the patient see the consultation as it is.
    expect((await n.request('sync', { cursors: {} })).sessions.find((s) => s.id === session)?.consultation).toMatchObject({
      status: 'closed',
      patientMessages: 2,
      identified: true,
      subject: { name: self.name },
    });
  });
});
