/**
 * Delivery guarantees under faults. Four clients (the patient and the doctor, each on two devices)
 * exchange 2,000 messages through proxies that drop connections at random and delay acks, while server
 * processes are SIGKILLed and restarted. Afterwards every message composed is stored exactly once and
 * every client holds exactly the stored messages in the same order. Run on one process with SQLite
 * (which must also pass PRAGMA integrity_check) and on two processes sharing PostgreSQL and Redis, the
 * patient's devices on one node and the doctor's on the other.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO } from '../../server/demo';
import { ChatClient, until } from '../helpers/chat-client';
import { FlakyProxy } from '../helpers/flaky-proxy';
import { spawnServer, type ServerProcess } from '../helpers/server-process';
import { clusterEnv, startPostgres, startRedis } from '../helpers/services';
import pg from 'pg';

jest.setTimeout(240_000);

const SESSION = `team-${DEMO.consultationId}`;
const PER_CLIENT = 500;
const KILLS = 2;

/** Deterministic randomness so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

function describeClient(c: ChatClient, i: number): string {
  const counts: Record<string, number> = {};
  for (const m of c.messages(SESSION)) counts[m.status] = (counts[m.status] ?? 0) + 1;
  const s = c.store.getState();
  const errors = new Set(c.messages(SESSION).map((m) => m.error).filter(Boolean));
  const box = c.outbox().flatMap((k) => c.storage.get<Array<{ status: string }>>(k) ?? []);
  const boxCounts: Record<string, number> = {};
  for (const m of box) boxCounts[m.status] = (boxCounts[m.status] ?? 0) + 1;
  // The store mirrors the controller's one connection phase.
  return `client ${i}: ${s.connection} ${JSON.stringify(counts)} errors ${[...errors].join('|')} outbox ${JSON.stringify(boxCounts)}`;
}

/** Where the server processes run and how to read what they stored. */
interface Deployment {
  /** Server processes; a client with index i talks to node `nodeOf(i)`. */
  nodes: ServerProcess[];
  nodeOf(client: number): number;
  restart(node: number): Promise<void>;
  /** Stored messages of the session, by seq. */
  stored(): Promise<Array<{ seq: number; id_client: string }>>;
  /** Integrity check of the database, where it has one. */
  integrity?(): string;
  stop(): Promise<void>;
}

async function sqliteDeployment(): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), 'medchat-fault-'));
  const env = { DB_PATH: join(dir, 'chat.sqlite') };
  const d: Deployment = {
    nodes: [await spawnServer(env)],
    nodeOf: () => 0,
    async restart() {
      d.nodes[0] = await spawnServer(env);
    },
    async stored() {
      const db = new Database(env.DB_PATH, { readonly: true });
      try {
        return db.prepare('SELECT seq, id_client FROM messages WHERE conv_id = ? ORDER BY seq').all(SESSION) as Array<{ seq: number; id_client: string }>;
      } finally {
        db.close();
      }
    },
    integrity() {
      const db = new Database(env.DB_PATH, { readonly: true });
      try {
        return String(db.pragma('integrity_check', { simple: true }));
      } finally {
        db.close();
      }
    },
    async stop() {
      await d.nodes[0].stop('SIGTERM', true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return d;
}

async function clusterDeployment(): Promise<Deployment> {
  const [db, redis] = await Promise.all([startPostgres(), startRedis()]);
  const dir = mkdtempSync(join(tmpdir(), 'medchat-fault-cluster-'));
  const env = clusterEnv(db.url, redis.url, join(dir, 'files'));
  const d: Deployment = {
    // One after the other: both seed the demo consultation.
    nodes: [await spawnServer(env)],
    nodeOf: (client) => (client < 2 ? 0 : 1),
    async restart(node) {
      d.nodes[node] = await spawnServer(env);
    },
    async stored() {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ seq: string; id_client: string }>('SELECT seq, id_client FROM messages WHERE conv_id = $1 ORDER BY seq', [SESSION]);
        return rows.map((r) => ({ seq: Number(r.seq), id_client: r.id_client }));
      } finally {
        await client.end();
      }
    },
    async stop() {
      for (const n of d.nodes) await n.stop('SIGTERM', true);
      await Promise.all([db.stop(), redis.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  d.nodes.push(await spawnServer(env));
  return d;
}

test.each([
  ['one process on SQLite', sqliteDeployment],
  ['two processes on PostgreSQL and Redis', clusterDeployment],
])('no message is lost, duplicated or misordered through drops, slow acks and server kills: %s', async (_name, deploy) => {
  const d = await deploy();
  const portOf = (s: ServerProcess) => Number(new URL(s.url).port);
  const proxies = d.nodes.map((_, node) => new FlakyProxy(() => portOf(d.nodes[node])));
  for (const p of proxies) await p.listen();
  const random = rng(20261122);
  const tokens = d.nodes[0].tokens;

  const clients = [
    ['patient', 'patient-phone'],
    ['patient', 'patient-tab'],
    ['doctor', 'doctor-pc'],
    ['doctor', 'doctor-phone'],
  ].map(
    ([who, deviceId], i) =>
      new ChatClient({
        url: proxies[d.nodeOf(i)].url,
        token: tokens[who as 'patient' | 'doctor'],
        deviceId,
        requestTimeoutMs: 3_000,
        pingIntervalMs: 2_000,
      }),
  );
  const composed = new Set<string>();

  try {
    await Promise.all(clients.map((c) => c.start()));

    const kill = async (node: number, downMs: number) => {
      await d.nodes[node].stop('SIGKILL', true);
      await new Promise((r) => setTimeout(r, downMs));
      await d.restart(node);
    };
    let chaos = true;
    const faults = (async () => {
      let kills = 0;
      for (let round = 0; chaos; round++) {
        await new Promise((r) => setTimeout(r, 150 + random() * 300));
        if (!chaos) break;
        const roll = random();
        const proxy = proxies[Math.floor(random() * proxies.length)];
        if (roll < 0.35) proxy.dropOne(random);
        else if (roll < 0.6) proxy.delayMs = Math.floor(random() * 400);
        else if (roll < 0.7) proxy.delayMs = 0;
        else if (round > 5 && kills < KILLS && roll > 0.95) {
          await kill(kills++ % d.nodes.length, 300);
        }
      }
      // Make sure the kills happened even if the dice were unkind.
      while (kills < KILLS) await kill(kills++ % d.nodes.length, 0);
    })();

    // Every client types briskly while faults happen, pausing while 30 of its messages are still
    // pending (the outbox holds at most 100 per session; a person does not type past a stuck chat).
    const pending = (c: ChatClient) => c.messages(SESSION).filter((m) => m.seq === undefined).length;
    await Promise.all(
      clients.map(async (c, i) => {
        for (let n = 0; n < PER_CLIENT; n++) {
          while (pending(c) >= 30) await new Promise((r) => setTimeout(r, 10));
          const before = new Set(c.messages(SESSION).map((m) => m.idClient));
          const sending = c.controller.sendText(SESSION, `c${i}-m${n}`);
          const mine = c.messages(SESSION).find((m) => !before.has(m.idClient) && m.body === `c${i}-m${n}`);
          if (mine) composed.add(mine.idClient);
          void sending;
          if (n % 10 === 0) await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );
    chaos = false;
    await faults;
    for (const p of proxies) p.delayMs = 0;

    // Like a person tapping "resend" on every failed message until none is left.
    await until(
      () => {
        for (const c of clients) {
          for (const m of c.messages(SESSION)) {
            if (m.status === 'sendFailed') void c.controller.resend(SESSION, m.idClient);
          }
        }
        return clients.every((c) => c.messages(SESSION).every((m) => m.seq !== undefined));
      },
      'every composed message acked',
      120_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${clients.map(describeClient).join('\n')}`);
    });
    for (const c of clients) c.controller.resume();

    const rows = await d.stored();
    const stored = rows.map((r) => r.id_client);
    await until(
      () => clients.every((c) => c.messages(SESSION).length === stored.length),
      'every client caught up',
      60_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message} (${stored.length} stored)\n${clients.map(describeClient).join('\n')}`);
    });

    const storedSet = new Set(stored);
    const lost = [...composed].filter((id) => !storedSet.has(id)).length;
    const duplicated = stored.length - storedSet.size;
    const delivered = clients.reduce((n, c) => n + c.messages(SESSION).length, 0);
    process.stdout.write(
      `fault test: sent ${composed.size}, stored ${stored.length}, delivered ${delivered} ` +
        `(${clients.length} clients, ${d.nodes.length} server process${d.nodes.length > 1 ? 'es' : ''}), lost ${lost}, duplicated ${duplicated}, server kills ${KILLS}\n`,
    );

    expect(composed.size).toBe(clients.length * PER_CLIENT);
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(stored).toHaveLength(composed.size);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    for (const c of clients) {
      const held = c.messages(SESSION);
      expect(held.map((m) => m.idClient)).toEqual(stored);
      expect(new Set(held.map((m) => m.idClient)).size).toBe(held.length);
    }
    if (d.integrity) expect(d.integrity()).toBe('ok');
  } finally {
    for (const c of clients) c.stop();
    for (const p of proxies) await p.close();
    await d.stop();
  }
});
