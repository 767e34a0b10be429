/**
 * Configuration checked at start: every problem reported at once with what is expected, production
 * refuses the demo's defaults, and `npm run server -- --check-config` only checks (exit 0 / 2).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, configFromEnv } from '../../server/config';
import { FILE_EXPORT_READS_PER_MIN, FILE_READS_PER_MIN } from '../../server/limits';
import { newSigningKey } from '../../server/prescriptions/signer';

const ROOT = resolve(__dirname, '../..');
/** Plain variables as an environment (global.d.ts declares the build's own variables on ProcessEnv). */
const asEnv = (e: Record<string, string | undefined>) => e as unknown as NodeJS.ProcessEnv;
const KEY = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'a-production-jwt-secret-of-40-characters!',
  DATA_KEYS: KEY,
  AUDIT_KEY: 'a-production-audit-key-of-40-characters!!',
  ADMIN_API_KEY: 'hospital-system-key-0123456789',
  PUBLIC_URL: 'https://chat.hospital.example',
  RX_SIGNING_KEY: newSigningKey(),
  CONSENT_FILE: join(ROOT, 'tests/fixtures/consent.json'),
};

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'medchat-config-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function problems(env: Record<string, string>): string[] {
  try {
    configFromEnv(asEnv({ DB_PATH: join(dir, 'chat.sqlite'), ...env }), { dryRun: true });
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems;
  }
}

test('every invalid variable is reported at once, each with what is expected', () => {
  const found = problems({ PORT: 'eighty', SENSITIVE_MODE: 'shout', RETENTION_MEDICAL_DAYS: '30', REDIS_URL: 'localhost:6379', JWT_SECRET: 'short', NIM_APP_KEY: 'k' });
  expect(found).toHaveLength(6);
  expect(found.join('\n')).toMatch(/PORT must be a non-negative integer, got "eighty"/);
  expect(found.join('\n')).toMatch(/SENSITIVE_MODE must be mask or block/);
  expect(found.join('\n')).toMatch(/RETENTION_MEDICAL_DAYS must be at least 5475 days/);
  expect(found.join('\n')).toMatch(/REDIS_URL must be redis:\/\//);
  expect(found.join('\n')).toMatch(/JWT_SECRET must be at least 32 characters/);
  expect(found.join('\n')).toMatch(/NIM_APP_KEY and NIM_APP_SECRET go together/);
});

test('a prescription signing key that is not an Ed25519 or RSA private key is refused', () => {
  expect(problems({ RX_SIGNING_KEY: 'not a key' }).join('\n')).toMatch(/RX_SIGNING_KEY/);
});

test("the hospital's consent text and the follow-up rule: read from their variables, each problem said", () => {
  expect(configFromEnv(asEnv({ DB_PATH: join(dir, 'chat.sqlite'), CONSENT_FILE: PRODUCTION.CONSENT_FILE, FOLLOW_UP_MESSAGES: '2', FOLLOW_UP_DAYS: '3' }), { dryRun: true }).encounter).toEqual({
    consent: { version: '2026-12', text: expect.stringContaining('知情同意书') },
    followUp: { messages: 2, days: 3 },
  });
  expect(configFromEnv(asEnv({ DB_PATH: join(dir, 'chat.sqlite'), FOLLOW_UP_MESSAGES: '0' }), { dryRun: true }).encounter?.followUp).toBeUndefined();
  const found = problems({ CONSENT_FILE: join(dir, 'missing.json'), FOLLOW_UP_DAYS: 'a week' });
  expect(found.join('\n')).toMatch(/CONSENT_FILE: no file at/);
  expect(found.join('\n')).toMatch(/FOLLOW_UP_DAYS must be an integer from 0 to 1000/);
});

test("the file read budgets, a person's and the record export's: read from their variables, defaults otherwise, a bad one said", () => {
  const config = (env: Record<string, string>) => configFromEnv(asEnv({ DB_PATH: join(dir, 'chat.sqlite'), ...env }), { dryRun: true });
  expect(config({ FILE_READS_PER_MIN: '100', FILE_EXPORT_READS_PER_MIN: '20000' })).toMatchObject({ fileReadsPerMinute: 100, fileExportReadsPerMinute: 20000 });
  expect(config({})).toMatchObject({ fileReadsPerMinute: FILE_READS_PER_MIN, fileExportReadsPerMinute: FILE_EXPORT_READS_PER_MIN });
  expect(problems({ FILE_EXPORT_READS_PER_MIN: 'lots' })).toEqual(['FILE_EXPORT_READS_PER_MIN must be a non-negative integer, got "lots"']);
});

test('production refuses random keys beside the database, no ADMIN_API_KEY and an http PUBLIC_URL', () => {
  const found = problems({ NODE_ENV: 'production', PUBLIC_URL: 'http://chat.hospital.example' });
  expect(found.map((p) => p.split(' ')[0]).sort()).toEqual(['ADMIN_API_KEY', 'AUDIT_KEY', 'CONSENT_FILE', 'DATA_KEYS', 'JWT_SECRET', 'PUBLIC_URL', 'RX_SIGNING_KEY']);
  expect(problems(PRODUCTION)).toEqual([]);
  // The demo defaults stay fine outside production.
  expect(problems({})).toEqual([]);
});

test('--check-config only checks: exit 0 with a summary and no key files made, exit 2 with every problem', () => {
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts', '--check-config'], {
      cwd: ROOT,
      env: asEnv({ PATH: process.env.PATH, DB_PATH: join(dir, 'chat.sqlite'), ...env }),
      encoding: 'utf8',
    });
  const good = run({});
  expect(good.status).toBe(0);
  expect(good.stdout).toMatch(/configuration OK/);
  expect(existsSync(join(dir, 'chat.sqlite.jwt-secret'))).toBe(false);
  expect(existsSync(join(dir, 'chat.sqlite'))).toBe(false);
  const bad = run({ NODE_ENV: 'production', PORT: '-1' });
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/invalid configuration \(8 problems\)/);
  expect(bad.stderr).toMatch(/PORT must be a non-negative integer/);
  expect(run(PRODUCTION).stdout).toMatch(/configuration OK for production/);
});
