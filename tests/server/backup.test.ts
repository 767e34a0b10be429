/**
 * Backup → delete → restore on a SQLite deployment: every message and file comes back (the file
 * through its signed URL, decrypted), the audit chain verifies (`npm run audit:verify` as well), and
 * restore refuses a backup whose data key is not configured.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { startServer, type RunningServer } from '../../server/app';
import { configFromEnv } from '../../server/config';
import { CONSENTED, doctor, patient, TEAM } from '../helpers/consultation';
import { png } from '../helpers/fixtures';
import { WsClient } from '../helpers/server';
import { uploadAs } from '../helpers/upload';

jest.setTimeout(60_000);

const ROOT = resolve(__dirname, '../..');
/** Plain variables as an environment (global.d.ts declares the build's own variables on ProcessEnv). */
const asEnv = (e: Record<string, string | undefined>) => e as unknown as NodeJS.ProcessEnv;
let dir: string;
let env: Record<string, string>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'medchat-backup-'));
  env = {
    DB_PATH: join(dir, 'data/chat.sqlite'),
    DATA_KEYS: `k1:${Buffer.alloc(32, 3).toString('base64')}`,
    AUDIT_KEY: 'backup-test-audit-key-backup-test-audit-key',
    JWT_SECRET: 'backup-test-jwt-secret-backup-test-jwt-secret',
    STATIC_DIR: join(dir, 'none'),
    PORT: '0',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_SEC: '1000',
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, args: string[], extra: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', name), ...args], {
    cwd: ROOT,
    env: asEnv({ PATH: process.env.PATH, ...env, ...extra }),
    encoding: 'utf8',
  });
}

async function start(): Promise<RunningServer> {
  return startServer(configFromEnv(asEnv(env)), pino({ level: 'silent' }));
}

test('backup, delete everything, restore: every message and file is back and the audit chain verifies', async () => {
  let server = await start();
  for (const a of [doctor, patient]) await server.storage.upsertAccount(a);
  await server.storage.createConsultation({ id: TEAM, patient: patient.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
  const image = await png(40, 30);
  const up = await uploadAs(server, patient, 'image', 'scan.png', image);
  expect(up.status).toBe(200);
  const p = await WsClient.login(server, patient);
  const bodies = Array.from({ length: 20 }, (_, i) => `病情描述 ${i}`);
  for (const [i, body] of bodies.entries()) {
    await p.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body, idClient: `backup-msg-${i}` } });
  }
  await p.request('send', { msg: { scene: 'team', to: TEAM, type: 'image', body: '', idClient: 'backup-image-1', attach: { fileId: up.body.fileId } } });
  // The backup runs while the server is up (SQLite's online backup API).
  const backupDir = join(dir, 'backup');
  const backup = script('backup.ts', [backupDir]);
  expect(backup.stderr).toBe('');
  expect(backup.status).toBe(0);
  p.close();
  await server.close();

  // Never a key in the backup.
  const copied = readdirSync(backupDir, { recursive: true }).map(String);
  expect(copied.some((f) => /jwt-secret|data-key|audit-key/.test(f))).toBe(false);
  expect(JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8'))).toMatchObject({ dataKeyIds: ['k1'], messages: 21 });

  // A restore without the data key the backup needs is refused before anything is written.
  rmSync(join(dir, 'data'), { recursive: true, force: true });
  const noKey = script('restore.ts', [backupDir], { DATA_KEYS: `k2:${Buffer.alloc(32, 4).toString('base64')}` });
  expect(noKey.status).toBe(2);
  expect(noKey.stderr).toMatch(/lacks the key id\(s\) k1/);
  expect(existsSync(env.DB_PATH)).toBe(false);

  const restore = script('restore.ts', [backupDir]);
  expect(restore.stderr).toBe('');
  expect(restore.status).toBe(0);
  expect(restore.stdout).toMatch(/audit chain OK/);
  const verify = script('audit-verify.ts', []);
  expect(verify.status).toBe(0);
  expect(verify.stdout).toMatch(/audit chain OK/);

  server = await start();
  try {
    const history = await server.storage.history(`team-${TEAM}`, undefined, 100);
    expect(history.filter((m) => m.type === 'text').map((m) => m.body)).toEqual(bodies);
    const d = await WsClient.login(server, doctor);
    const page = await d.request('history', { sessionId: `team-${TEAM}`, limit: 100 });
    const img = page.msgs.find((m) => m.idClient === 'backup-image-1');
    const url = (img?.attach as { url: string }).url;
    const res = await fetch(`${server.url}${url}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).length).toBe(up.body.size);
    d.close();
  } finally {
    await server.close();
  }
});
