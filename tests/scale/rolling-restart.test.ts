/**
 * A rolling restart, as a deployment does it: two server processes on PostgreSQL + Redis behind a
 * balancer; four clients (patient and doctor, two devices each) chat without pause while process A
 * gets SIGTERM, starts again, and then B. Draining processes answer what they took and close with
 * 1012, clients move to the other process at once: nothing is lost or stored twice, no client ever
 * shows an error, and none waits more than a few seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DEMO } from '../../server/demo';
import { Balancer } from '../helpers/balancer';
import { ChatClient, until } from '../helpers/chat-client';
import { clusterEnv, freePort, startPostgres, startRedis, type Service } from '../helpers/services';
import { spawnServer, type ServerProcess } from '../helpers/server-process';

jest.setTimeout(90_000);

const SESSION = `team-${DEMO.consultationId}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let db: Service;
let redis: Service;
let shared: string;
let env: Record<string, string>;
const ports: number[] = [];
const nodes: ServerProcess[] = [];
let balancer: Balancer;
const clients: ChatClient[] = [];

beforeAll(async () => {
  [db, redis] = await Promise.all([startPostgres(), startRedis()]);
  shared = mkdtempSync(join(tmpdir(), 'medchat-rolling-'));
  env = { ...clusterEnv(db.url, redis.url, join(shared, 'files')), SHUTDOWN_GRACE_SEC: '5' };
  ports.push(await freePort(), await freePort());
  // One after the other: both seed the demo consultation.
  for (const port of ports) nodes.push(await spawnServer({ ...env, PORT: String(port) }));
  balancer = new Balancer(() => ports);
  await balancer.listen();
});

afterAll(async () => {
  for (const c of clients) c.stop();
  await balancer?.close();
  for (const n of nodes) await n.stop('SIGKILL');
  await Promise.all([db?.stop(), redis?.stop()]);
  rmSync(shared, { recursive: true, force: true });
});

/** SIGTERM, wait for the exit (timed), start again on the same port. */
async function restart(i: number): Promise<number> {
  const old = nodes[i];
  const started = Date.now();
  await old.stop('SIGTERM');
  const exitMs = Date.now() - started;
  expect(old.child.exitCode).toBe(0);
  nodes[i] = await spawnServer({ ...env, PORT: String(ports[i]) });
  return exitMs;
}

interface Watch {
  errors: string[];
  /** How long each stretch away from 'synced' lasted (ms). */
  gaps: number[];
}

function watch(c: ChatClient): Watch {
  const w: Watch = { errors: [], gaps: [] };
  let leftAt: number | undefined;
  c.store.subscribe((s) => {
    if (s.connectionError) w.errors.push(`${c.opts.deviceId}: ${s.connection}: ${s.connectionError}`);
    for (const m of c.messages(SESSION)) if (m.status === 'sendFailed') w.errors.push(`${c.opts.deviceId}: send failed: ${m.error}`);
    if (s.connection !== 'synced' && leftAt === undefined) leftAt = Date.now();
    if (s.connection === 'synced' && leftAt !== undefined) {
      w.gaps.push(Date.now() - leftAt);
      leftAt = undefined;
    }
  });
  return w;
}

test('SIGTERM to A, restart, then B: every message stored once and delivered to every client, no error, quick reconnects', async () => {
  const who = [
    ['patient', 'patient-phone'],
    ['patient', 'patient-tab'],
    ['doctor', 'doctor-pc'],
    ['doctor', 'doctor-phone'],
  ] as const;
  const watches: Watch[] = [];
  for (const [role, deviceId] of who) {
    const c = new ChatClient({ url: balancer.url, token: nodes[0].tokens[role], deviceId });
    clients.push(c);
    await c.startSynced();
    watches.push(watch(c));
  }
  // The balancer spread them over both processes.
  expect(balancer.served.get(ports[0])).toBeGreaterThan(0);
  expect(balancer.served.get(ports[1])).toBeGreaterThan(0);

  const sent: string[] = [];
  let chatting = true;
  const chat = Promise.all(
    clients.map(async (c, k) => {
      for (let i = 0; chatting; i++) {
        const body = `${who[k][1]} #${i}`;
        sent.push(body);
        await c.controller.sendText(SESSION, body);
        await sleep(40);
      }
    }),
  );
  await sleep(800);
  const exitA = await restart(0);
  await sleep(800);
  const exitB = await restart(1);
  await sleep(800);
  chatting = false;
  await chat;

  // Drained within the bound (SHUTDOWN_GRACE_SEC=5), not by being cut at its end.
  expect(exitA).toBeLessThan(4_000);
  expect(exitB).toBeLessThan(4_000);
  const expected = [...sent].sort();
  for (const c of clients) {
    const has = () => new Set(c.messages(SESSION).map((m) => m.body));
    await until(() => c.outbox().length === 0 && has().size >= sent.length, `${c.opts.deviceId} has everything`, 20_000).catch((e: Error) => {
      const held = c.messages(SESSION);
      const missing = sent.filter((b) => !has().has(b));
      const unsent = held.filter((m) => m.status === 'sending' || m.status === 'sendFailed').map((m) => `${m.body}:${m.status}`);
      const { connection } = c.store.getState();
      throw new Error(`${e.message}: ${connection}, outbox ${c.outbox().length}, missing ${missing.join(', ')}, unsent ${unsent.join(', ')}, seqs held ${held.length}`);
    });
  }
  const raw = new pg.Client({ connectionString: db.url });
  await raw.connect();
  const { rows } = await raw.query<{ seq: string; id_client: string }>('SELECT seq, id_client FROM messages WHERE conv_id = $1 ORDER BY seq', [SESSION]);
  await raw.end();
  // Stored once each, gap-free.
  expect(rows.length).toBe(sent.length);
  expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
  expect(new Set(rows.map((r) => r.id_client)).size).toBe(sent.length);
  const order = clients[0].messages(SESSION).map((m) => m.body);
  for (const c of clients) {
    const bodies = c.messages(SESSION).map((m) => m.body);
    expect([...bodies].sort()).toEqual(expected);
    expect(bodies).toEqual(order);
    expect(c.messages(SESSION).every((m) => m.status !== 'sending' && m.status !== 'sendFailed')).toBe(true);
  }
  const errors = watches.flatMap((w) => w.errors);
  expect(errors).toEqual([]);
  const gaps = watches.flatMap((w) => w.gaps);
  // Every client on a restarted process reconnected (at least two stretches away from synced in all).
  expect(gaps.length).toBeGreaterThanOrEqual(2);
  expect(Math.max(...gaps)).toBeLessThan(3_000);
  console.log(`rolling restart: ${sent.length} sent, stored once each; exits ${exitA} / ${exitB} ms; reconnects ${gaps.join(', ')} ms`);
});
