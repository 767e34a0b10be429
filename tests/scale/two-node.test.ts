/**
 * Two server processes behind the same data: PostgreSQL for storage, Redis for fan-out. A patient on
 * node A and a doctor on node B chat, see each other's receipts, and a device that was offline catches
 * up from the shared database. Private PostgreSQL and Redis from the Debian packages.
 */
import pg from 'pg';
import { DEMO } from '../../server/demo';
import { ChatClient, until } from '../helpers/chat-client';
import { twoNodesPerFile } from '../helpers/cluster';
import type { ServerProcess } from '../helpers/server-process';

jest.setTimeout(60_000);

const SESSION = `team-${DEMO.consultationId}`;
const P2P_DOCTOR = `p2p-${DEMO.doctor.account}`;
const P2P_PATIENT = `p2p-${DEMO.patient.account}`;

const cluster = twoNodesPerFile('medchat-cluster-');
let a: ServerProcess;
let b: ServerProcess;
beforeAll(() => ({ a, b } = cluster));
const clients: ChatClient[] = [];
cluster.closing(() => {
  for (const c of clients) c.stop();
});

async function client(node: ServerProcess, who: 'patient' | 'doctor', deviceId: string): Promise<ChatClient> {
  const c = new ChatClient({ url: node.url, token: node.tokens[who], deviceId });
  clients.push(c);
  await c.startSynced();
  return c;
}

const bodies = (c: ChatClient, sessionId = SESSION) => c.messages(sessionId).map((m) => m.body);

test('a patient on node A and a doctor on node B chat; the patient’s second device on node B gets both sides', async () => {
  const patientA = await client(a, 'patient', 'patient-phone');
  const patientB = await client(b, 'patient', 'patient-tab');
  const doctorB = await client(b, 'doctor', 'doctor-pc');
  await patientA.controller.sendText(SESSION, '医生好，我在A节点');
  await until(() => bodies(doctorB).includes('医生好，我在A节点'), 'doctor on B got it');
  await doctorB.controller.sendText(SESSION, '收到，我在B节点');
  await until(() => bodies(patientA).includes('收到，我在B节点'), 'patient on A got the reply');
  await until(() => bodies(patientB).length === 2, 'the patient’s other device got both');
  expect(bodies(patientB)).toEqual(['医生好，我在A节点', '收到，我在B节点']);
  // Stored once, in PostgreSQL, with gap-free seqs, whichever node took them.
  const raw = new pg.Client({ connectionString: cluster.dbUrl });
  await raw.connect();
  const { rows } = await raw.query<{ seq: string }>('SELECT seq FROM messages WHERE conv_id = $1 ORDER BY seq', [SESSION]);
  await raw.end();
  expect(rows.map((r) => Number(r.seq))).toEqual([1, 2]);
  expect(patientA.messages(SESSION).map((m) => m.seq)).toEqual([1, 2]);
});

test('a read on node B shows as a receipt on node A', async () => {
  const patientA = await client(a, 'patient', 'patient-phone-2');
  const doctorB = await client(b, 'doctor', 'doctor-pc-2');
  await patientA.controller.sendText(P2P_DOCTOR, '私信：检查结果出来了');
  await until(() => bodies(doctorB, P2P_PATIENT).includes('私信：检查结果出来了'), 'delivered across nodes');
  await doctorB.controller.enterSession(P2P_PATIENT);
  await until(() => patientA.messages(P2P_DOCTOR).at(-1)?.status === 'receipt', 'receipt across nodes');
});

test('a device that was offline while the other node stored messages catches up from the database', async () => {
  const patientA = await client(a, 'patient', 'patient-phone-3');
  const doctorB = await client(b, 'doctor', 'doctor-pc-3');
  const before = bodies(doctorB).length;
  doctorB.setOnline(false);
  await until(() => doctorB.store.getState().connection !== 'synced', 'doctor offline');
  for (const t of ['离线一', '离线二', '离线三']) await patientA.controller.sendText(SESSION, t);
  doctorB.setOnline(true);
  await until(() => bodies(doctorB).length === before + 3 && doctorB.store.getState().connection === 'synced', 'caught up');
  expect(bodies(doctorB).slice(-3)).toEqual(['离线一', '离线二', '离线三']);
});
