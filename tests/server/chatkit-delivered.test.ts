/**
 * Delivered, then read (已送达 before 已读): a receiving client's `delivered` raises its delivery
 * cursor (never back, never past the newest message), the other members are pushed it, and the sessions
 * list carries the lowest of the others' cursors, reading counting as delivery.
 */
import { sessionIdOf } from '../../types/message';
import type { PushFrame } from '../../types/protocol';
import { SYNC_FRESH } from '../../types/protocol';
import { CONSENTED, consultationServerPerTest, doctor, patient, SESSION, stranger, TEAM } from '../helpers/consultation';
import { expectError, type WsClient } from '../helpers/ws-client';

const t = consultationServerPerTest({ strangerToo: false });
const { login } = t;

type DeliveredFrame = Extract<PushFrame, { type: 'delivered' }>;
const delivered = (c: WsClient) => c.pushes.filter((f): f is DeliveredFrame => f.type === 'delivered');
const nthDelivered = async (c: WsClient, n: number): Promise<DeliveredFrame> => {
  await c.waitFor(() => delivered(c).length >= n);
  return delivered(c)[n - 1];
};
const summary = async (c: WsClient, sessionId: string) => (await c.request('sync', { cursors: {} })).sessions.find((s) => s.id === sessionId);

test('the doctor’s device acks delivery: the patient is pushed it and the sessions list shows it; older acks change nothing', async () => {
  const [p, d, dOther] = await login(patient, doctor, doctor);
  for (const [i, body] of ['一', '二', '三'].entries()) await p.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body, idClient: `delivered-msg-${i}` } });
  expect(await summary(p, SESSION)).toMatchObject({ peerDeliveredSeq: 0, peerReadSeq: 0 });
  expect(await d.request('delivered', { sessionId: SESSION, seq: 2 })).toEqual({ deliveredSeq: 2 });
  expect(await nthDelivered(p, 1)).toEqual({ v: 1, type: 'delivered', sessionId: SESSION, account: doctor.account, deliveredSeq: 2 });
  expect(await summary(p, SESSION)).toMatchObject({ peerDeliveredSeq: 2, peerReadSeq: 0 });
  // An older or repeated ack from another device keeps the cursor and pushes nothing; past the newest is capped.
  expect(await dOther.request('delivered', { sessionId: SESSION, seq: 1 })).toEqual({ deliveredSeq: 2 });
  expect(await dOther.request('delivered', { sessionId: SESSION, seq: 2 })).toEqual({ deliveredSeq: 2 });
  expect(await dOther.request('delivered', { sessionId: SESSION, seq: 99 })).toEqual({ deliveredSeq: 3 });
  expect((await nthDelivered(p, 2)).deliveredSeq).toBe(3);
  expect(delivered(p).map((f) => f.deliveredSeq)).toEqual([2, 3]);
  // The doctor's own devices are not told of their own acks.
  expect(delivered(d)).toEqual([]);
  expect(delivered(dOther)).toEqual([]);
});

test('reading counts as delivery; p2p names the session as each side sees it', async () => {
  const [p, d] = await login(patient, doctor);
  await d.request('send', { msg: { scene: 'p2p', to: patient.account, type: 'text', body: '私信一', idClient: 'p2p-delivered-1' } });
  await d.request('send', { msg: { scene: 'p2p', to: patient.account, type: 'text', body: '私信二', idClient: 'p2p-delivered-2' } });
  await p.request('delivered', { sessionId: `p2p-${doctor.account}`, seq: 1 });
  expect(await nthDelivered(d, 1)).toMatchObject({ sessionId: `p2p-${patient.account}`, account: patient.account, deliveredSeq: 1 });
  await p.request('markRead', { sessionId: `p2p-${doctor.account}`, seq: 2 });
  expect(await summary(d, `p2p-${patient.account}`)).toMatchObject({ peerReadSeq: 2, peerDeliveredSeq: 2 });
  // Delivered after read changes nothing.
  expect(await p.request('delivered', { sessionId: `p2p-${doctor.account}`, seq: 2 })).toEqual({ deliveredSeq: 2 });
});

test('a sync that leaves a session’s messages out delivers it up to the last message its list row brings, once', async () => {
  const [p, d] = await login(patient, doctor);
  let sent = 0;
  const say = (c: WsClient, to: string, body: string) => c.request('send', { msg: { scene: 'team', to, type: 'text', body, idClient: `listed-only-${++sent}` } });
  await say(d, TEAM, '旧会话一');
  await say(d, TEAM, '旧会话二');
  // Left out too, but its last message is the patient's own: nothing of the doctor's reached the device.
  await t.server.storage.createConsultation({ id: 'own-last', patient: patient.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
  await say(d, 'own-last', '医生先说');
  await say(p, 'own-last', '患者最后说');
  const recent = Array.from({ length: SYNC_FRESH.sessions }, (_, k) => `recent-${k}`);
  for (const id of recent) {
    await t.server.storage.createConsultation({ id, patient: patient.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
    await say(d, id, '新消息');
  }
  const [fresh] = await login(patient);
  const sync = await fresh.request('sync', { cursors: {} });
  expect(sync.msgs.filter((m) => m.sessionId === SESSION)).toEqual([]);
  expect(sync.sessions.find((s) => s.id === SESSION)).toMatchObject({ lastMsg: { seq: 2, body: '旧会话二' } });
  expect(await nthDelivered(d, 1)).toEqual({ v: 1, type: 'delivered', sessionId: SESSION, account: patient.account, deliveredSeq: 2 });
  const doctorSees = await d.request('sync', { cursors: {} });
  expect(doctorSees.sessions.find((s) => s.id === SESSION)).toMatchObject({ peerDeliveredSeq: 2 });
  // Sessions whose messages the sync brought are the client's to acknowledge, as it does for pushes.
  expect(doctorSees.sessions.find((s) => s.id === sessionIdOf('team', recent[0]))).toMatchObject({ peerDeliveredSeq: 0 });
  // Another fresh sync finds the cursor raised: nothing more is written or pushed.
  await (await login(patient))[0].request('sync', { cursors: {} });
  await d.request('sync', { cursors: {} });
  expect(delivered(d)).toHaveLength(1);
});

test('delivery acks outside one’s conversations, or malformed, are refused', async () => {
  const [s] = await login(stranger);
  await expectError(s.request('delivered', { sessionId: SESSION, seq: 1 }), 'forbidden');
  await expectError(s.request('delivered', { sessionId: `p2p-${doctor.account}`, seq: 1 }), 'forbidden');
  await expectError(s.request('delivered', { sessionId: SESSION, seq: -1 }), 'badFrame');
});
