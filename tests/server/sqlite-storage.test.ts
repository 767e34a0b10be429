/** SQLite's group commit: sends arriving together are written in one transaction, each on its own. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cipher, dataKeysFrom } from '../../server/crypto';
import { SqliteStorage } from '../../server/storage/sqlite';
import type { NewMessage } from '../../server/storage/types';
import { teamConvId } from '../../server/storage/types';
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
