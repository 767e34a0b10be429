/**
 * A file URL's check is kept briefly per process (server/files/verdicts.ts); across two server processes
 * (PostgreSQL + Redis) a recall on node A closes the photo on node B as soon as B has the recall, not
 * when B's kept verdict expires.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO } from '../../server/demo';
import type { Message } from '../../types/message';
import type { PushFrame } from '../../types/protocol';
import { png } from '../helpers/fixtures';
import { clusterEnv, startPostgres, startRedis, type Service } from '../helpers/services';
import { spawnServer, type ServerProcess } from '../helpers/server-process';
import { uploadAs } from '../helpers/upload';
import { WsClient } from '../helpers/ws-client';

jest.setTimeout(60_000);

const SESSION = `team-${DEMO.consultationId}`;

let db: Service;
let redis: Service;
let a: ServerProcess;
let b: ServerProcess;
let shared: string;
const open: WsClient[] = [];

beforeAll(async () => {
  [db, redis] = await Promise.all([startPostgres(), startRedis()]);
  shared = mkdtempSync(join(tmpdir(), 'medchat-files-cluster-'));
  const env = clusterEnv(db.url, redis.url, join(shared, 'files'));
  // One after the other: both seed the demo consultation.
  a = await spawnServer(env);
  b = await spawnServer(env);
});

afterAll(async () => {
  for (const c of open) c.close();
  await a?.stop();
  await b?.stop();
  await Promise.all([db?.stop(), redis?.stop()]);
  rmSync(shared, { recursive: true, force: true });
});

async function client(node: ServerProcess, token: string): Promise<WsClient> {
  const c = await WsClient.loginWithToken(node, token);
  open.push(c);
  return c;
}

const status = async (node: ServerProcess, path: string) => {
  const res = await fetch(`${node.url}${path}`);
  await res.arrayBuffer();
  return res.status;
};

test('a photo the patient recalls on node A stops opening on node B once B has the recall', async () => {
  const patientA = await client(a, a.tokens.patient);
  const doctorB = await client(b, b.tokens.doctor);
  // The upload helper takes the raw session token; the issuer it would otherwise use is not needed.
  const up = await uploadAs({ url: a.url, auth: { issue: () => Promise.reject(new Error('token given')) } }, a.tokens.patient, 'image', 'rash.png', await png(32, 24));
  expect(up.status).toBe(200);
  const idClient = `files-two-node-${Date.now()}`;
  await patientA.request('send', { msg: { scene: 'team', to: DEMO.consultationId, type: 'image', body: '', idClient, attach: { fileId: up.body.fileId } } });
  const [seen] = (await doctorB.request('history', { sessionId: SESSION, limit: 1 })).msgs;
  const { url } = seen.attach as unknown as { url: string };
  // B has checked the doctor's URL and keeps its 'yes'.
  expect(await status(b, url)).toBe(200);

  await patientA.request('recall', { sessionId: SESSION, idClient });
  const recalled = (f: PushFrame) => f.type === 'msg' && (f.msg as Message).attach?.recall !== undefined;
  await doctorB.waitFor((f) => recalled(f as PushFrame));
  expect(await status(b, url)).toBe(403);
});
