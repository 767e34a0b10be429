/**
 * `npm run restore -- <backup-dir> [--force]`: puts a backup made by `npm run backup` back where the
 * environment says (DB_PATH, FILES_DIR, AUDIT_ANCHOR_FILE), with the server stopped, then verifies the
 * audit chain against the restored anchors. Refuses when a database is already there (unless
 * --force), or when DATA_KEYS lack a key id the backup needs (its records could not be read).
 * Exits 0 when restored and the chain verifies, 1 when the chain does not, 2 on a usage error.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { verifyAudit } from '../server/audit';
import { configFromEnv } from '../server/config';
import { Cipher } from '../server/crypto';
import { SqliteStorage } from '../server/storage/sqlite';
import { ANCHORS_FILE, DB_FILE, MANIFEST, type Manifest } from './backup-format';
import { exitWith } from './exit';

async function main(args: string[]): Promise<number> {
  const force = args.includes('--force');
  const from = args.find((a) => !a.startsWith('-'));
  if (!from || !existsSync(join(from, MANIFEST))) {
    console.error('usage: [DB_PATH=…] npm run restore -- <backup-dir made by npm run backup> [--force]');
    return 2;
  }
  const config = configFromEnv(process.env, { dryRun: true });
  if (config.databaseUrl) {
    console.error('DATABASE_URL is set: restore PostgreSQL with pg_restore (see README, "Backups"); this restores SQLite backups');
    return 2;
  }
  const manifest = JSON.parse(readFileSync(join(from, MANIFEST), 'utf8')) as Manifest;
  const missing = manifest.dataKeyIds.filter((id) => !config.dataKeys.keys.has(id));
  // A backup of a demo install ("local" key kept beside the database) needs that key file back too.
  const localKeyFile = `${config.dbPath}.data-key`;
  if (missing.length > 0 && !(missing.length === 1 && missing[0] === 'local' && existsSync(localKeyFile))) {
    console.error(`DATA_KEYS lacks the key id(s) ${missing.join(', ')} this backup was sealed with; set them (from your secret store) and run again`);
    return 2;
  }
  if (existsSync(config.dbPath) && !force) {
    console.error(`${config.dbPath} exists: stop the server and move it away, or pass --force to replace it`);
    return 2;
  }
  mkdirSync(dirname(config.dbPath), { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${config.dbPath}${suffix}`, { force: true });
  copyFileSync(join(from, DB_FILE), config.dbPath);
  if (existsSync(join(from, 'files'))) {
    rmSync(config.filesDir, { recursive: true, force: true });
    cpSync(join(from, 'files'), config.filesDir, { recursive: true });
  }
  if (existsSync(join(from, ANCHORS_FILE))) {
    mkdirSync(dirname(config.auditAnchorFile), { recursive: true });
    copyFileSync(join(from, ANCHORS_FILE), config.auditAnchorFile);
  }
  // Now with the real configuration: the audit key (env or the key file beside the database) is needed.
  const real = configFromEnv(process.env);
  const storage = new SqliteStorage(real.dbPath, new Cipher(real.dataKeys));
  try {
    const result = await verifyAudit(storage, real.auditKey, [real.auditAnchorFile]);
    if (!result.ok) {
      console.error(`restored, but the audit chain does NOT verify: ${JSON.stringify(result.brokenAt ?? result.badAnchor)}`);
      return 1;
    }
    console.log(`restored ${manifest.messages} messages and ${manifest.files} files from ${from} to ${real.dbPath}; audit chain OK (${result.records} records)`);
    return 0;
  } finally {
    await storage.close();
  }
}

exitWith(main(process.argv.slice(2)), 1);
