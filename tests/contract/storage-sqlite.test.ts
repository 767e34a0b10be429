/** The storage contract on a real SQLite file, and the upgrade of a database of the previous release. */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cipher, dataKeysFrom } from '../../server/crypto';
import { SqliteStorage } from '../../server/storage/sqlite';
import { storageContract } from './storage-contract';
import { expectUpgraded, LEGACY_CIPHER, legacyDump } from './storage-upgrade';

storageContract(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchat-contract-'));
  const dbPath = join(dir, 'chat.sqlite');
  const storage = new SqliteStorage(dbPath, new Cipher(dataKeysFrom({}, dbPath)));
  return {
    storage,
    async dispose() {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

test('a database made by the release before this storage layer upgrades in place', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchat-upgrade-'));
  const dbPath = join(dir, 'chat.sqlite');
  const legacy = new Database(dbPath);
  legacy.exec(legacyDump('sqlite'));
  expect(legacy.pragma('user_version', { simple: true })).toBe(4);
  legacy.close();
  const storage = new SqliteStorage(dbPath, LEGACY_CIPHER);
  try {
    await expectUpgraded(storage, async () => {
      const raw = new Database(dbPath, { readonly: true });
      try {
        return (raw.prepare('SELECT name FROM accounts UNION ALL SELECT team_name FROM conversations WHERE team_name IS NOT NULL UNION ALL SELECT name FROM files UNION ALL SELECT from_nick FROM messages WHERE from_nick IS NOT NULL').all() as Array<{ name: string }>).map((r) => r.name);
      } finally {
        raw.close();
      }
    });
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
