/**
 * `npm run backup [-- <dir>]`: a consistent copy of a SQLite deployment while it runs: the database
 * through SQLite's online backup API, the files directory (encrypted at rest, as stored), the audit
 * anchor file, and a manifest naming the data key ids the copy needs. Never a key: the JWT secret,
 * the data keys and the audit key are kept apart from backups (README, "Backups").
 * PostgreSQL deployments back up with pg_dump (README); this prints what to keep and exits 2.
 */
import Database from 'better-sqlite3';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configFromEnv } from '../server/config';
import { ANCHORS_FILE, DB_FILE, MANIFEST, type Manifest } from './backup-format';
import { exitWith } from './exit';

function countFiles(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? countFiles(join(dir, e.name)) : 1), 0);
}

async function main(args: string[]): Promise<number> {
  const config = configFromEnv(process.env, { dryRun: true });
  if (config.databaseUrl) {
    console.error(
      'DATABASE_URL is set: back up PostgreSQL with pg_dump -Fc, and copy FILES_DIR and the audit anchor file\n' +
        `(${config.auditAnchorFile}) beside it; keep JWT_SECRET, DATA_KEYS and AUDIT_KEY in your secret store (see README, "Backups").`,
    );
    return 2;
  }
  if (!existsSync(config.dbPath)) {
    console.error(`no database at ${config.dbPath} (DB_PATH)`);
    return 2;
  }
  const dest = resolve(args[0] ?? join('backups', `medchat-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  if (existsSync(dest) && readdirSync(dest).length > 0) {
    console.error(`${dest} exists and is not empty`);
    return 2;
  }
  mkdirSync(dest, { recursive: true });
  // Anchors first: every checkpoint copied is then of a record the database copy holds, so the copy
  // verifies; records appended meanwhile are in the database copy and anchored by later checkpoints.
  if (existsSync(config.auditAnchorFile)) copyFileSync(config.auditAnchorFile, join(dest, ANCHORS_FILE));
  const db = new Database(config.dbPath, { readonly: true, fileMustExist: true });
  try {
    await db.backup(join(dest, DB_FILE));
  } finally {
    db.close();
  }
  // Files are written once under random ids and never changed, so a copy after the database's holds
  // every file it names (and perhaps a few newer ones, harmless).
  if (existsSync(config.filesDir)) cpSync(config.filesDir, join(dest, 'files'), { recursive: true });
  const copy = new Database(join(dest, DB_FILE), { readonly: true });
  const count = (table: string) => (copy.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  const manifest: Manifest = {
    format: 1,
    createdAt: new Date().toISOString(),
    dataKeyIds: [...config.dataKeys.keys.keys()],
    activeKeyId: config.dataKeys.active,
    messages: count('messages'),
    files: countFiles(join(dest, 'files')),
    auditRecords: count('audit_log'),
  };
  copy.close();
  writeFileSync(join(dest, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  console.log(`backup in ${dest}: ${manifest.messages} messages, ${manifest.files} files, ${manifest.auditRecords} audit records; needs data key(s) ${manifest.dataKeyIds.join(', ')}`);
  return 0;
}

exitWith(main(process.argv.slice(2)), 1);
