/**
 * A file URL's check is kept briefly per process (server/files/verdicts.ts); across two server processes
 * (PostgreSQL + Redis) a recall on node A closes the photo on node B as soon as B has the recall, not
 * when B's kept verdict expires.
 */
import { DEMO } from '../../server/demo';
import type { Message } from '../../types/message';
import type { PushFrame } from '../../types/protocol';
import { png } from '../helpers/fixtures';
import { twoNodesPerFile } from '../helpers/cluster';
import type { ServerProcess } from '../helpers/server-process';
import { uploadAs } from '../helpers/upload';
import { WsClient } from '../helpers/ws-client';

jest.setTimeout(60_000);

const SESSION = `team-${DEMO.consultationId}`;

const cluster = twoNodesPerFile('medchat-files-cluster-');
let a: ServerProcess;
let b: ServerProcess;
beforeAll(() => ({ a, b } = cluster));
const open: WsClient[] = [];
cluster.closing(() => {
  for (const c of open) c.close();
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
