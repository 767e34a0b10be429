/** The storage contract on a real SQLite file, and the upgrade of a database of the previous release. */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cipher, dataKeysFrom } from '../../server/crypto';
import { MIGRATIONS } from '../../server/storage/schema';
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

test("doctors' quick replies are sealed at rest; those an earlier version stored in plaintext are sealed on upgrade", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchat-quick-'));
  const dbPath = join(dir, 'chat.sqlite');
  const cipher = new Cipher(dataKeysFrom({}, dbPath));
  const raw = (doctor: string) => {
    const db = new Database(dbPath, { readonly: true });
    try {
      return (db.prepare('SELECT items FROM quick_replies WHERE doctor = ?').get(doctor) as { items: string }).items;
    } finally {
      db.close();
    }
  };
  try {
    let storage = new SqliteStorage(dbPath, cipher);
    await storage.editQuickReplies('doc-new', () => [{ id: 'q1', text: '阿莫西林 0.5g 每日三次' }], 1);
    expect(raw('doc-new')).toMatch(/^enc1:/);
    expect(raw('doc-new')).not.toContain('阿莫西林');
    await storage.close();
    // The database as the version before this left it: replies in plaintext, the sealing step not run.
    const before = new Database(dbPath);
    before.prepare('INSERT INTO quick_replies (doctor, items, updated_at) VALUES (?, ?, ?)').run('doc-old', JSON.stringify([{ id: 'q2', text: '布洛芬 按需服用' }]), 1);
    before.pragma(`user_version = ${MIGRATIONS.length - 1}`);
    before.close();
    storage = new SqliteStorage(dbPath, cipher);
    try {
      expect(raw('doc-old')).toMatch(/^enc1:/);
      expect(await storage.quickReplies('doc-old')).toEqual([{ id: 'q2', text: '布洛芬 按需服用' }]);
      expect(await storage.quickReplies('doc-new')).toEqual([{ id: 'q1', text: '阿莫西林 0.5g 每日三次' }]);
      // During a rolling restart a process of the version before still writes plaintext after the
      // upgrade ran: read as it is, and sealed by the next edit.
      const old = new Database(dbPath);
      old.prepare('INSERT INTO quick_replies (doctor, items, updated_at) VALUES (?, ?, ?)').run('doc-late', '[]', 2);
      old.close();
      expect(await storage.quickReplies('doc-late')).toEqual([]);
      await storage.editQuickReplies('doc-late', () => [{ id: 'q3', text: '多喝水' }], 3);
      expect(raw('doc-late')).toMatch(/^enc1:/);
      expect(await storage.quickReplies('doc-late')).toEqual([{ id: 'q3', text: '多喝水' }]);
    } finally {
      await storage.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
