/**
 * Delivery acks and the doctor's presence across two server processes (PostgreSQL + Redis): a patient
 * on node A learns of the doctor's device on node B receiving a message, and of the doctor coming and
 * going on node B, as if they were on one process.
 */
import { DEMO } from '../../server/demo';
import type { PushFrame } from '../../types/protocol';
import { twoNodesPerFile } from '../helpers/cluster';
import type { ServerProcess } from '../helpers/server-process';
import { WsClient } from '../helpers/ws-client';

jest.setTimeout(60_000);

const SESSION = `team-${DEMO.consultationId}`;

const cluster = twoNodesPerFile('medchat-chatkit-cluster-');
let a: ServerProcess;
let b: ServerProcess;
beforeAll(() => ({ a, b } = cluster));
const open: WsClient[] = [];
cluster.closing(() => {
  for (const c of open) c.close();
});

async function connect(node: ServerProcess, who: 'patient' | 'doctor', deviceId: string): Promise<WsClient> {
  const c = await WsClient.open(node);
  await c.request('auth', { token: node.tokens[who], deviceId });
  open.push(c);
  return c;
}

function nth<T extends PushFrame['type']>(c: WsClient, type: T, n: number): Promise<Extract<PushFrame, { type: T }>> {
  const of = () => c.pushes.filter((f): f is Extract<PushFrame, { type: T }> => f.type === type);
  return c.waitFor(() => of().length >= n).then(() => of()[n - 1]);
}

const sessionOn = async (c: WsClient) => (await c.request('sync', { cursors: {} })).sessions.find((s) => s.id === SESSION);

test('a delivery ack on node B reaches the sender on node A, and node A’s sessions list has it', async () => {
  const patientA = await connect(a, 'patient', 'patient-phone');
  const doctorB = await connect(b, 'doctor', 'doctor-pc');
  const sent = await patientA.request('send', { msg: { scene: 'team', to: DEMO.consultationId, type: 'text', body: '医生，化验单出来了', idClient: 'two-node-delivered-1' } });
  await doctorB.waitFor((f) => f.type === 'msg');
  expect(await doctorB.request('delivered', { sessionId: SESSION, seq: sent.seq })).toEqual({ deliveredSeq: sent.seq });
  expect(await nth(patientA, 'delivered', 1)).toMatchObject({ sessionId: SESSION, account: DEMO.doctor.account, deliveredSeq: sent.seq });
  expect(await sessionOn(patientA)).toMatchObject({ peerDeliveredSeq: sent.seq });
  // The doctor's going is announced before the next test counts presence frames.
  doctorB.close();
  expect((await nth(patientA, 'presence', 2)).presence).toMatchObject({ online: false });
  patientA.close();
});

test('the doctor coming and going on node B shows to the patient on node A; still online while connected on node A', async () => {
  const patientA = await connect(a, 'patient', 'patient-phone-2');
  const doctorB = await connect(b, 'doctor', 'doctor-pc-2');
  const came = await nth(patientA, 'presence', 1);
  expect(came).toMatchObject({ sessionId: SESSION, presence: { account: DEMO.doctor.account, online: true } });
  expect((await sessionOn(patientA))?.presence).toEqual({ account: DEMO.doctor.account, online: true });
  // Connected on both nodes, the doctor leaving node B is still online (on A).
  const doctorA = await connect(a, 'doctor', 'doctor-phone-2');
  await nth(patientA, 'presence', 2);
  doctorB.close();
  expect((await nth(patientA, 'presence', 3)).presence).toMatchObject({ online: true });
  const before = Date.now();
  doctorA.close();
  const gone = await nth(patientA, 'presence', 4);
  expect(gone.presence).toMatchObject({ account: DEMO.doctor.account, online: false });
  expect(gone.presence.lastSeen).toBeGreaterThanOrEqual(before);
  expect((await sessionOn(patientA))?.presence).toEqual(gone.presence);
});
