/**
 * /readyz follows its dependencies: a private PostgreSQL stopped makes the server unready (and the
 * process stays up), started again makes it ready; the same for Redis going away. /healthz stays 200.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startServer, type RunningServer } from '../../server/app';
import { testConfig } from '../helpers/server';
import { startPostgres, startRedis, type PostgresService, type Service } from '../helpers/services';

jest.setTimeout(60_000);

let db: PostgresService;
let redis: Service;
let redisStopped = false;
let dir: string;
let server: RunningServer;

beforeAll(async () => {
  [db, redis] = await Promise.all([startPostgres(), startRedis()]);
  dir = mkdtempSync(join(tmpdir(), 'medchat-readyz-'));
  server = await startServer(testConfig(dir, { databaseUrl: db.url, redisUrl: redis.url }), pino({ level: 'silent' }));
});

afterAll(async () => {
  await server?.close();
  await Promise.all([db?.stop(), redisStopped ? undefined : redis?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function readyz(): Promise<{ status: number; body: { ready: boolean; checks: Record<string, unknown> } }> {
  const res = await fetch(`${server.url}/readyz`);
  return { status: res.status, body: await res.json() };
}

async function waitReady(ready: boolean, what: string): Promise<void> {
  let last = false;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    last = (await readyz()).status === 200;
    if (last === ready) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('PostgreSQL stopped: unready (database unreachable), healthz still 200; started again: ready', async () => {
  expect(await readyz()).toEqual({ status: 200, body: { ready: true, checks: { database: 'ok', redis: 'ok', migrations: 'done', auditAnchor: 'ok', draining: false } } });
  // Some pooled connections exist, so their loss is part of what is tested.
  await server.storage.getAccount('someone');
  db.halt();
  await waitReady(false, 'unready without the database');
  expect((await readyz()).body.checks.database).toBe('unreachable');
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  db.resume();
  await waitReady(true, 'ready with the database back');
  expect(await server.storage.getAccount('someone')).toBeUndefined();
});

test('Redis gone: unready (redis unreachable)', async () => {
  await redis.stop();
  redisStopped = true;
  await waitReady(false, 'unready without Redis');
  expect((await readyz()).body.checks).toMatchObject({ database: 'ok', redis: 'unreachable' });
});
