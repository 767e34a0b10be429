/**
 * `npm run audit:verify [-- anchor-file…]`: walks the audit chain of the database (PostgreSQL when
 * DATABASE_URL is set, else the SQLite file at DB_PATH, default data/medchat.sqlite) under AUDIT_KEY (or
 * the key file beside the database) and holds it against the signed checkpoints in the anchor files
 * given, or AUDIT_ANCHOR_FILE (default <db>.audit-anchors). Give every process's file when several
 * server processes keep their own: the newest checkpoint is what shows a removed tail.
 * Exits 0 when the chain is whole, 1 when it is broken, 2 on a usage error.
 */
import { existsSync } from 'node:fs';
import { verifyAudit, type VerifyResult } from '../server/audit';
import { configFromEnv } from '../server/config';
import { Cipher } from '../server/crypto';
import { PostgresStorage } from '../server/storage/postgres';
import { SqliteStorage } from '../server/storage/sqlite';
import type { Storage } from '../server/storage/types';
import { exitWith } from './exit';

function usage(problem: string): number {
  console.error(`${problem}; usage: [DB_PATH=… | DATABASE_URL=…] [AUDIT_KEY=…] npm run audit:verify [-- anchor-file…]`);
  return 2;
}

function report(result: VerifyResult, db: string): number {
  const anchored = result.checkpoints > 0 ? `anchored up to record ${result.anchoredSeq} by ${result.checkpoints} checkpoints` : 'no checkpoints';
  const legacy = result.legacy > 0 ? `, the first ${result.legacy} chained with plain SHA-256 before the audit key` : '';
  if (result.ok) {
    console.log(`audit chain OK: ${result.records} records${legacy}; ${anchored} (${db})`);
    return 0;
  }
  if (result.brokenAt) {
    console.error(`audit chain BROKEN at record ${result.brokenAt.seq}: ${result.brokenAt.reason} (${result.records} records verified before it)`);
  }
  if (result.badAnchor) console.error(`audit anchors BROKEN at ${result.badAnchor.where}: ${result.badAnchor.reason}`);
  return 1;
}

async function main(args: string[]): Promise<number> {
  const flag = args.find((a) => a.startsWith('-'));
  if (flag) return usage(`unknown option ${flag}`);
  const missing = args.find((f) => !existsSync(f));
  if (missing) return usage(`no anchor file at ${missing}`);
  const config = configFromEnv();
  if (!config.databaseUrl && !existsSync(config.dbPath)) return usage(`no database at ${config.dbPath}`);
  const anchorFiles = args.length > 0 ? args : [config.auditAnchorFile];
  const cipher = new Cipher(config.dataKeys);
  const storage: Storage = config.databaseUrl ? await PostgresStorage.open(config.databaseUrl, cipher, { readonly: true }) : new SqliteStorage(config.dbPath, cipher, { readonly: true });
  try {
    return report(await verifyAudit(storage, config.auditKey, anchorFiles), config.databaseUrl ? 'PostgreSQL' : config.dbPath);
  } finally {
    await storage.close();
  }
}

exitWith(main(process.argv.slice(2)), 2);
