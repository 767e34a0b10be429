/**
 * `npm run audit:verify`: walks the audit chain of the database at DB_PATH (default
 * data/medchat.sqlite) and exits 1 at the first record that was edited, removed or re-linked.
 */
import { existsSync } from 'node:fs';
import { verifyAudit } from '../server/audit';
import { configFromEnv } from '../server/config';
import { Cipher } from '../server/crypto';
import { SqliteStorage } from '../server/storage/sqlite';

async function main(): Promise<number> {
  const config = configFromEnv();
  if (!existsSync(config.dbPath)) {
    console.error(`no database at ${config.dbPath}`);
    return 2;
  }
  const storage = new SqliteStorage(config.dbPath, new Cipher(config.dataKeys));
  try {
    const result = await verifyAudit(storage);
    if (result.ok) {
      console.log(`audit chain OK: ${result.records} records (${config.dbPath})`);
      return 0;
    }
    console.error(`audit chain BROKEN at record ${result.brokenAt?.seq}: ${result.brokenAt?.reason} (${result.records} records verified before it)`);
    return 1;
  } finally {
    await storage.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  },
);
