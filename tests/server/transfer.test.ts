/**
 * Transfer (转诊, issue 17) through a real server: the consultation's doctor hands it to another doctor
 * of the hospital; the new doctor reads the whole history and takes over (writes, prescribes, closes);
 * the patient sees a stored notice; the old doctor reads up to the transfer and writes nothing; audited.
 */
import type { Account, Message } from '../../types/message';
import type { ServerFrame } from '../../types/protocol';
import { transferNotice } from '../../types/transfer';
import { doctor, patient, serverPerTest, SESSION, startConsultationServer, stranger, TEAM } from '../helpers/consultation';
import { draft, pharmacistSignsIn, rxClientId } from '../helpers/rx';
import { expectError } from '../helpers/server';

const next: Account = { account: 'doctor-zhou', name: '周医生', role: 'doctor' };

const ctx = serverPerTest(async () => {
  const server = await startConsultationServer();
  await server.storage.upsertAccount(next);
  return server;
});
const { login } = ctx;

const text = (body: string, scene: 'team' | 'p2p' = 'team', to = TEAM) => ({ msg: { scene, to, type: 'text' as const, body, idClient: rxClientId() } });
const isTransfer = (f: ServerFrame) => f.type === 'msg' && transferNotice(f.msg) !== undefined;

test('the new doctor sees the whole history and takes over; the patient sees the notice; the old doctor reads up to the transfer only', async () => {
  const d = await login(doctor);
  const p = await login(patient);
  await p.request('send', text('医生您好'));
  await d.request('send', text('请描述症状'));
  const { consultation, notice } = await d.request('transfer', { sessionId: SESSION, to: next.account });
  expect(consultation).toMatchObject({ doctor: next.account, patient: patient.account });
  expect(transferNotice(notice)).toEqual({ from: doctor.account, to: next.account, toName: next.name });
  const seen = (await p.waitFor(isTransfer)) as { msg: Message };
  expect(seen.msg.body).toContain(next.name);

  const n = await login(next);
  const all = (await n.request('history', { sessionId: SESSION, limit: 50 })).msgs;
  expect(all.map((m) => m.seq)).toEqual([1, 2, 3]);
  expect((await n.request('sync', { cursors: {} })).sessions.map((s) => s.id)).toContain(SESSION);
  await n.request('send', text('我来接手'));
  await n.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx: draft() });
  await p.request('send', text('好的'));

  // The old doctor: what was there before the transfer, nothing after it, and no writing.
  const before = (await d.request('history', { sessionId: SESSION, limit: 50 })).msgs;
  expect(before.map((m) => m.seq)).toEqual([1, 2]);
  expect((await d.request('history', { sessionId: SESSION, beforeSeq: 99, limit: 50 })).msgs.map((m) => m.seq)).toEqual([1, 2]);
  expect(d.pushes.filter((f) => f.type === 'msg' && (f.msg.seq ?? 0) > 3)).toEqual([]);
  // Listed read-only in the old doctor's sessions; sync gives what was before the transfer only.
  const synced = await d.request('sync', { cursors: {} });
  expect(synced.sessions.find((x) => x.id === SESSION)).toMatchObject({ readOnlyUpTo: 2, lastSeq: 2, unread: 0, lastMsg: { seq: 2 }, consultation: { doctor: next.account } });
  expect(synced.msgs.filter((m) => m.sessionId === SESSION).map((m) => m.seq)).toEqual([1, 2]);
  expect((await n.request('sync', { cursors: {} })).sessions.find((x) => x.id === SESSION)?.readOnlyUpTo).toBeUndefined();
  await expectError(d.request('markRead', { sessionId: SESSION, seq: 2 }), 'forbidden');
  await expectError(d.request('send', text('还有问题吗')), 'forbidden');
  await expectError(d.request('typing', { sessionId: SESSION }), 'forbidden');
  await expectError(d.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx: draft() }), 'forbidden');
  await expectError(d.request('consultation', { sessionId: SESSION, action: 'close' }), 'forbidden');
  await expectError(d.request('transfer', { sessionId: SESSION, to: doctor.account }), 'forbidden');
  await expectError(d.request('send', text('私聊', 'p2p', patient.account)), 'forbidden');
  // The new doctor closes it; the patient's p2p with the new doctor is governed by the same consultation.
  await n.request('consultation', { sessionId: SESSION, action: 'close' });
  await expectError(p.request('send', text('再问一句', 'p2p', next.account)), 'consultationClosed');

  const audit = (await ctx.server.storage.auditRecords(0, 1000)).filter((r) => r.action === 'consultation.transfer');
  expect(audit).toHaveLength(1);
  expect(audit[0]).toMatchObject({ actor: doctor.account, target: TEAM });
  expect(JSON.parse(audit[0].detail)).toEqual({ from: doctor.account, to: next.account, atSeq: 2 });
});

test('who may transfer to whom: only the consultation’s doctor, to another doctor of the hospital, while it is open', async () => {
  const p = await login(patient);
  await expectError(p.request('transfer', { sessionId: SESSION, to: next.account }), 'forbidden');
  const n = await login(next);
  await expectError(n.request('transfer', { sessionId: SESSION, to: next.account }), 'forbidden');
  const d = await login(doctor);
  await expectError(d.request('transfer', { sessionId: SESSION, to: stranger.account }), 'notFound');
  await expectError(d.request('transfer', { sessionId: SESSION, to: 'nobody-here' }), 'notFound');
  await expectError(d.request('transfer', { sessionId: SESSION, to: doctor.account }), 'invalidTransition');
  await expectError(d.request('transfer', { sessionId: `p2p-${patient.account}`, to: next.account }), 'notFound');
  await expectError(d.request('transfer', { sessionId: SESSION, to: 'bad account!' }), 'badFrame');
  await d.request('consultation', { sessionId: SESSION, action: 'close' });
  await expectError(d.request('transfer', { sessionId: SESSION, to: next.account }), 'consultationClosed');
  expect((await ctx.server.storage.consultation(TEAM))?.doctor).toBe(doctor.account);
});

test('the transfer page lists the other doctors with their verified title and department; only doctors may ask', async () => {
  await ctx.server.storage.upsertAccount({ account: 'doctor-wu', name: '吴医生', role: 'doctor' });
  await ctx.server.storage.putDoctorProfile(next.account, { title: '主任医师', department: '心内科', licence: 'L-000009' }, 1);
  const d = await login(doctor);
  const { doctors } = await d.request('doctors', {});
  // Themselves left out; the licence is not the list's; a doctor without a profile has a name only.
  expect(doctors).toEqual([
    { account: 'doctor-wu', name: '吴医生' },
    { account: next.account, name: next.name, title: '主任医师', department: '心内科' },
  ]);
  expect((await d.request('doctors', { filter: '周' })).doctors.map((x) => x.account)).toEqual([next.account]);
  expect((await d.request('doctors', { filter: '心内' })).doctors.map((x) => x.account)).toEqual([next.account]);
  expect((await d.request('doctors', { limit: 1 })).doctors).toHaveLength(1);
  await expectError(d.request('doctors', { limit: 201 }), 'badFrame');
  await expectError(d.request('doctors', { filter: 'x'.repeat(33) }), 'badFrame');
  await expectError((await login(patient)).request('doctors', {}), 'forbidden');
  const ph = ctx.track(await pharmacistSignsIn(ctx.server));
  await expectError(ph.request('doctors', {}), 'forbidden');
});

test('transferred on, and back: each doctor it left reads up to when it left them', async () => {
  const d = await login(doctor);
  await d.request('send', text('一'));
  await d.request('transfer', { sessionId: SESSION, to: next.account });
  const n = await login(next);
  await n.request('send', text('二'));
  await n.request('transfer', { sessionId: SESSION, to: doctor.account });
  // Back with the first doctor, who reads and writes everything again; the second reads up to their transfer.
  expect((await d.request('history', { sessionId: SESSION, limit: 50 })).msgs.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  expect((await d.request('sync', { cursors: {} })).sessions.filter((x) => x.id === SESSION)).toEqual([expect.not.objectContaining({ readOnlyUpTo: expect.anything() })]);
  await d.request('send', text('三'));
  expect((await n.request('history', { sessionId: SESSION, limit: 50 })).msgs.map((m) => m.seq)).toEqual([1, 2, 3]);
  await expectError(n.request('send', text('四')), 'forbidden');
});
