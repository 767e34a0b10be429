/**
 * Notifications with two server processes on one PostgreSQL and one Redis: each due notice is taken
 * by exactly one process (FOR UPDATE SKIP LOCKED) and sent once, and a patient connected to the other
 * process than the doctor's is not notified (presence through Redis).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DEMO } from '../../server/demo';
import { spawnServer, type ServerProcess } from '../helpers/server-process';
import { clusterEnv, startPostgres, startRedis, type PostgresService, type Service } from '../helpers/services';
import { startSmsWebhookStub, WEBHOOK_SECRET, type SmsWebhookStub } from '../helpers/sms-webhook-stub';
import { WsClient } from '../helpers/ws-client';
import { sleep, until as waitUntil } from '../helpers/notify';

jest.setTimeout(120_000);

const until = (pred: () => boolean | Promise<boolean>) => waitUntil(pred, 15_000);

let db: PostgresService;
let redis: Service;
let sms: SmsWebhookStub;
let dir: string;
const nodes: ServerProcess[] = [];
const clients: WsClient[] = [];

async function query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return (await c.query<R>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  [db, redis, sms] = await Promise.all([startPostgres(), startRedis(), startSmsWebhookStub()]);
  dir = mkdtempSync(join(tmpdir(), 'medchat-notify-cluster-'));
  const env = {
    ...clusterEnv(db.url, redis.url, join(dir, 'files')),
    NOTIFY_WEBHOOK_URL: sms.url,
    NOTIFY_WEBHOOK_SECRET: WEBHOOK_SECRET,
    NOTIFY_COLLAPSE_SEC: '1',
    NOTIFY_POLL_MS: '50',
    NOTIFY_PRESENCE_SEC: '1',
    NOTIFY_LEASE_SEC: '30',
  };
  // One after the other: both seed the demo consultation.
  nodes.push(await spawnServer(env));
  nodes.push(await spawnServer(env));
});
afterAll(async () => {
  for (const c of clients) c.close();
  for (const n of nodes) await n.stop('SIGTERM', true);
  await Promise.all([db?.stop(), redis?.stop(), sms?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

test('a patient connected to the other node is not notified; once they leave, the next reply is, once', async () => {
  const [a, b] = nodes;
  const p = await WsClient.loginWithToken(b, b.tokens.patient);
  const d = await WsClient.loginWithToken(a, a.tokens.doctor);
  clients.push(p, d);
  // Node B publishes the patient's presence within a heartbeat.
  await sleep(1500);
  await d.request('send', { msg: { scene: 'team', to: DEMO.consultationId, type: 'text', body: '在吗', idClient: 'two-node-1' } });
  await until(async () => (await query("SELECT 1 FROM notifications WHERE state <> 'pending'")).length === 1);
  expect(await query('SELECT account, state, outcome FROM notifications')).toEqual([{ account: DEMO.patient.account, state: 'cancelled', outcome: 'online' }]);

  p.close();
  // Node B withdraws the presence within a heartbeat.
  await sleep(1500);
  await d.request('send', { msg: { scene: 'team', to: DEMO.consultationId, type: 'text', body: '请回复', idClient: 'two-node-2' } });
  await until(() => sms.received.length === 1);
  await sleep(1000);
  expect(sms.received).toHaveLength(1);
  expect(sms.received[0]).toMatchObject({ account: DEMO.patient.account, kind: 'reply' });
});

test('many due notices, two workers racing for them: each is sent exactly once', async () => {
  const before = sms.received.length;
  const now = Date.now();
  const N = 60;
  for (let i = 0; i < N; i++) {
    await query(
      `INSERT INTO notifications (id, account, conv_id, consultation_id, kind, events, seq, event_at, state, due_at, attempts, created_at)
       VALUES ($1, $2, $3, $4, 'reply', 1, 1, $5, 'pending', $6, 0, $5)`,
      [`race-${i}`, DEMO.patient.account, `team-race-${i}`, DEMO.consultationId, now, now + 500],
    );
  }
  await until(() => sms.received.length - before >= N);
  await sleep(1500);
  const ids = sms.received.slice(before).map((r) => r.id);
  expect(ids).toHaveLength(N);
  expect(new Set(ids).size).toBe(N);
  expect(sms.rejected).toEqual([]);
  const claimers = await query<{ claimed_by: string; n: string }>("SELECT claimed_by, COUNT(*) AS n FROM notifications WHERE id LIKE 'race-%' AND state = 'sent' GROUP BY claimed_by");
  expect(claimers.reduce((s, r) => s + Number(r.n), 0)).toBe(N);
});
