/**
 * Delivery guarantees under faults. Four clients (the patient and the doctor, each on two devices)
 * exchange 2,000 messages through a proxy that drops connections at random and delays acks, while the
 * server process is SIGKILLed and restarted on the same SQLite file. Afterwards every message composed
 * is stored exactly once, every client holds exactly the stored messages in the same order, and the
 * database passes PRAGMA integrity_check.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO } from '../../server/demo';
import { ChatClient, until } from '../helpers/chat-client';
import { FlakyProxy } from '../helpers/flaky-proxy';
import { spawnServer, type ServerProcess } from '../helpers/server-process';

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
  const flags = c.controller as unknown as { ready: boolean; pumping: boolean; connected: boolean };
  return `client ${i}: ${s.connection} ${JSON.stringify(counts)} errors ${[...errors].join('|')} outbox ${JSON.stringify(boxCounts)} ready=${flags.ready} pumping=${flags.pumping} connected=${flags.connected}`;
}

test('no message is lost, duplicated or misordered through drops, slow acks and server kills', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchat-fault-'));
  const dbPath = join(dir, 'chat.sqlite');
  const env = { DB_PATH: dbPath };
  let server: ServerProcess = await spawnServer(env);
  const portOf = (s: ServerProcess) => Number(new URL(s.url).port);
  let port = portOf(server);
  const proxy = new FlakyProxy(() => port);
  await proxy.listen();
  const random = rng(20261122);

  const clients = [
    ['patient', 'patient-phone'],
    ['patient', 'patient-tab'],
    ['doctor', 'doctor-pc'],
    ['doctor', 'doctor-phone'],
  ].map(
    ([who, deviceId]) =>
      new ChatClient({
        url: proxy.url,
        token: server.tokens[who as 'patient' | 'doctor'],
        deviceId,
        requestTimeoutMs: 3_000,
        pingIntervalMs: 2_000,
      }),
  );
  const composed = new Set<string>();

  try {
    await Promise.all(clients.map((c) => c.start()));

    let chaos = true;
    const faults = (async () => {
      let kills = 0;
      for (let round = 0; chaos; round++) {
        await new Promise((r) => setTimeout(r, 150 + random() * 300));
        if (!chaos) break;
        const roll = random();
        if (roll < 0.35) proxy.dropOne(random);
        else if (roll < 0.6) proxy.delayMs = Math.floor(random() * 400);
        else if (roll < 0.7) proxy.delayMs = 0;
        else if (round > 5 && kills < KILLS && roll > 0.95) {
          kills += 1;
          await server.stop('SIGKILL', true);
          await new Promise((r) => setTimeout(r, 300));
          server = await spawnServer(env);
          port = portOf(server);
        }
      }
      // Make sure the kills happened even if the dice were unkind.
      while (kills < KILLS) {
        kills += 1;
        await server.stop('SIGKILL', true);
        server = await spawnServer(env);
        port = portOf(server);
      }
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
    proxy.delayMs = 0;

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

    const db = new Database(dbPath, { readonly: true });
    const rows = db
      .prepare("SELECT seq, id_client FROM messages WHERE conv_id = 'team-demo-consultation' ORDER BY seq")
      .all() as Array<{ seq: number; id_client: string }>;
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
    const integrity = db.pragma('integrity_check', { simple: true });
    db.close();
    process.stdout.write(
      `fault test: sent ${composed.size}, stored ${stored.length}, delivered ${delivered} ` +
        `(${clients.length} clients), lost ${lost}, duplicated ${duplicated}, server kills ${KILLS}\n`,
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
    expect(integrity).toBe('ok');
  } finally {
    for (const c of clients) c.stop();
    await proxy.close();
    await server.stop('SIGTERM', true);
    rmSync(dir, { recursive: true, force: true });
  }
});
