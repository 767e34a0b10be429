/** The storage contract on a private PostgreSQL, a fresh database per test, and the upgrade of a database of the previous release. */
import pg from 'pg';
import { Cipher, dataKeysFrom } from '../../server/crypto';
import { PostgresStorage } from '../../server/storage/postgres';
import { storageContract } from '../contract/storage-contract';
import { expectUpgraded, LEGACY_CIPHER, legacyDump } from '../contract/storage-upgrade';
import { startPostgres, type Service } from '../helpers/services';

jest.setTimeout(60_000);

let server: Service;
let n = 0;
const cipher = new Cipher(dataKeysFrom({ DATA_KEYS: `k1:${Buffer.alloc(32, 3).toString('base64')}` }, ':memory:'));

beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());

/** The URL of a new, empty database on the private server. */
async function freshDatabase(): Promise<string> {
  const name = `contract_${++n}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return server.url.replace(/\/postgres$/, `/${name}`);
}

storageContract(async () => {
  const storage = await PostgresStorage.open(await freshDatabase(), cipher);
  return { storage, dispose: () => storage.close() };
});

test('a database made by the release before this storage layer upgrades in place', async () => {
  const url = await freshDatabase();
  const raw = new pg.Client({ connectionString: url });
  await raw.connect();
  try {
    await raw.query(legacyDump('postgres'));
    const storage = await PostgresStorage.open(url, LEGACY_CIPHER);
    try {
      await expectUpgraded(storage, async () =>
        (
          await raw.query<{ name: string }>(
            'SELECT name FROM public.accounts UNION ALL SELECT team_name FROM public.conversations WHERE team_name IS NOT NULL UNION ALL SELECT name FROM public.files UNION ALL SELECT from_nick FROM public.messages WHERE from_nick IS NOT NULL',
          )
        ).rows.map((r) => r.name),
      );
      expect((await raw.query('SELECT version FROM public.schema_version')).rows[0].version).toBeGreaterThan(4);
    } finally {
      await storage.close();
    }
  } finally {
    await raw.end();
  }
});

test('opened read-only (audit:verify), a database is neither migrated nor written, and reads as it is', async () => {
  const url = await freshDatabase();
  const untouched = await PostgresStorage.open(url, cipher, { readonly: true });
  await untouched.close();
  const raw = new pg.Client({ connectionString: url });
  await raw.connect();
  try {
    expect((await raw.query("SELECT to_regclass('public.messages') IS NULL AS absent")).rows[0].absent).toBe(true);
    const writer = await PostgresStorage.open(url, cipher);
    const reader = await PostgresStorage.open(url, cipher, { readonly: true });
    try {
      const record = (prev: { seq: number; hash: string } | undefined) => ({
        seq: (prev?.seq ?? 0) + 1,
        at: 1,
        actor: 'a',
        action: 'login',
        target: 'a',
        detail: '{}',
        prevHash: prev?.hash ?? '0'.repeat(64),
        hash: 'f'.repeat(64),
      });
      await writer.appendAudit(record);
      await expect(reader.appendAudit(record)).rejects.toMatchObject({ code: '25006' });
      expect((await reader.auditRecords(0, 10)).map((r) => r.seq)).toEqual([1]);
    } finally {
      await reader.close();
      await writer.close();
    }
  } finally {
    await raw.end();
  }
});
