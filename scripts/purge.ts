/**
 * `npm run purge`: the retention purge once, now (the server also runs it every PURGE_INTERVAL_HOURS).
 * Removes only what is past RETENTION_CHAT_DAYS / RETENTION_MEDICAL_DAYS, and audits itself.
 */
import { Audit } from '../server/audit';
import { configFromEnv } from '../server/config';
import { Cipher } from '../server/crypto';
import { FileService } from '../server/files/service';
import { FileSigner } from '../server/files/sign';
import { purgeExpired } from '../server/retention';
import { SqliteStorage } from '../server/storage/sqlite';

async function main(): Promise<void> {
  const config = configFromEnv();
  const cipher = new Cipher(config.dataKeys);
  const storage = new SqliteStorage(config.dbPath, cipher);
  const files = new FileService(config.filesDir, storage, new FileSigner(config.jwtSecret, config.fileUrlTtlSec * 1000), cipher);
  const audit = new Audit(storage, Date.now, config);
  try {
    const removed = await purgeExpired({ storage, files, audit }, config, Date.now());
    console.log(`purged ${removed.messages} messages and ${removed.files} files past retention`);
  } finally {
    audit.close();
    await storage.close();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
