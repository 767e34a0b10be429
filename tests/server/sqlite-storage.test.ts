/**
 * SQLite's group commit: sends arriving together are written in one transaction, each on its own; and
 * its checkpoints, made on a worker thread.
 */
import type Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { Cipher, dataKeysFrom } from '../../server/crypto';
import { SqliteStorage } from '../../server/storage/sqlite';
import type { NewMessage } from '../../server/storage/types';
import { teamConvId } from '../../server/storage/types';
import { until } from '../helpers/chat-client';
import { CONSENTED, doctor, patient, TEAM } from '../helpers/consultation';

let dir: string;
let storage: SqliteStorage;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'medchat-sqlite-'));
  const dbPath = join(dir, 'chat.sqlite');
  storage = new SqliteStorage(dbPath, new Cipher(dataKeysFrom({}, dbPath)));
  for (const a of [doctor, patient]) await storage.upsertAccount(a);
  await storage.createConsultation({ id: TEAM, patient: patient.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
});

afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const draft = (from: string, idClient: string, conv = teamConvId(TEAM)): NewMessage => ({
  conv: { id: conv, scene: 'team', teamId: TEAM },
  idClient,
  from,
  scene: 'team',
  to: TEAM,
  type: 'text',
  body: idClient,
  members: [],
});

test('sends of one tick keep their order and seqs; a retry in the same batch is the same message', async () => {
  const results = await Promise.all([
    ...Array.from({ length: 50 }, (_, i) => storage.appendMessage(draft(i % 2 ? patient.account : doctor.account, `batch-${i}-msg`))),
    storage.appendMessage(draft(patient.account, 'batch-1-msg')),
  ]);
  expect(results.slice(0, 50).map((r) => r.stored.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  expect(results[50]).toMatchObject({ duplicate: true, stored: { idServer: results[1].stored.idServer, seq: 2 } });
  expect((await storage.consultation(TEAM))?.patientMessages).toBe(25);
});

test('one failing append in a batch fails alone', async () => {
  const results = await Promise.allSettled([
    storage.appendMessage(draft(patient.account, 'fine-before-1')),
    // No sender: the NOT NULL constraint refuses the row.
    storage.appendMessage({ ...draft(patient.account, 'broken-one-1'), from: null as unknown as string }),
    storage.appendMessage(draft(patient.account, 'fine-after-1')),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  const stored = await storage.after(teamConvId(TEAM), 0, 10);
  expect(stored.map((m) => m.idClient)).toEqual(['fine-before-1', 'fine-after-1']);
  // Its savepoint took its seq back with it: no gap.
  expect(stored.map((m) => m.seq)).toEqual([1, 2]);
});

describe('checkpoints', () => {
  let own: SqliteStorage;
  let path: string;
  const wal = () => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
  /** About one page of log per message: a sealed 3,000-character body. */
  const round = (r: number) =>
    Promise.all(Array.from({ length: 150 }, (_, i) => own.appendMessage({ ...draft(patient.account, `wal-${r}-${i}`), body: '问'.repeat(1_000) })));
  const open = async (checkpoint: { everyMs: number; afterPages: number }) => {
    path = join(dir, 'own.sqlite');
    own = new SqliteStorage(path, new Cipher(dataKeysFrom({}, path)), { checkpoint });
    for (const a of [doctor, patient]) await own.upsertAccount(a);
    await own.createConsultation({ id: TEAM, patient: patient.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
  };
  /** Six rounds of writes, with the log's size after each. */
  const rounds = async (pauseMs: number) => {
    const sizes: number[] = [];
    for (let r = 0; r < 6; r++) {
      await round(r);
      sizes.push(wal());
      if (pauseMs) await new Promise((done) => setTimeout(done, pauseMs));
    }
    return sizes;
  };

  afterEach(async () => {
    await own.close();
  });

  test('the worker copies the log into the database file between writes, so it stays the size of one round', async () => {
    // The main connection's own checkpoints only far beyond these six rounds.
    await open({ everyMs: 20, afterPages: 100_000 });
    // Many of the worker's intervals between rounds: its checkpoint after a round ends before the next.
    const sizes = await rounds(500);
    expect((await own.history(teamConvId(TEAM), undefined, 1_000)).length).toBe(900);
    // Without the worker's checkpoints the log would hold all six rounds.
    expect(Math.max(...sizes)).toBeLessThan(2 * sizes[0]);
    await own.close();
    // The worker is stopped first, so this connection is the last and removes the log.
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(await reopenedCount(path)).toBe(900);
  });

  test('under writes without a pause the main connection starts the log over once it is large', async () => {
    // The worker checkpoints once, as it starts; a round is about 280 pages of log.
    await open({ everyMs: 60_000, afterPages: 300 });
    const sizes = await rounds(0);
    // Without this connection's checkpoints the log would hold all six rounds.
    expect(Math.max(...sizes)).toBeLessThan(3 * sizes[0]);
    expect(sizes.at(-1)).toBeLessThan(3 * sizes[0]);
    await own.close();
    expect(await reopenedCount(path)).toBe(900);
  });

  test('a checkpointer that dies hands checkpoints back to the main connection', async () => {
    await open({ everyMs: 20, afterPages: 5_000 });
    const internals = own as unknown as { checkpointer: Worker; db: Database.Database };
    expect(internals.db.pragma('wal_autocheckpoint', { simple: true })).toBe(5_000);
    await internals.checkpointer.terminate();
    // SQLite's default.
    await until(() => internals.db.pragma('wal_autocheckpoint', { simple: true }) === 1_000, 'SQLite checkpoints as by default');
    await round(0);
    await own.close();
    expect(await reopenedCount(path)).toBe(150);
  });
});

async function reopenedCount(path: string): Promise<number> {
  const again = new SqliteStorage(path, new Cipher(dataKeysFrom({}, path)));
  try {
    return (await again.history(teamConvId(TEAM), undefined, 1_000)).length;
  } finally {
    await again.close();
  }
}
