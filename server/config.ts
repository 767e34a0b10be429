import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface ServerConfig {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** SQLite file; ':memory:' is allowed but loses everything on exit. */
  dbPath: string;
  /** Where uploaded files live (named by random id). */
  filesDir: string;
  /** How long a signed file URL opens its file. */
  fileUrlTtlSec: number;
  /** HS256 key for session tokens. */
  jwtSecret: Uint8Array;
  /** Session token lifetime in seconds. */
  tokenTtlSec: number;
  /** Built H5 app to serve at `/`; absent means API and WebSocket only. */
  staticDir?: string;
  /** Address printed in links; defaults to http://host:port. */
  publicUrl?: string;
  logLevel: string;
  /** Connections one account may hold at once (tabs, phones); a further login logs the oldest out. */
  maxDevicesPerAccount: number;
  /** Clock for rules that depend on time (the recall window); tests move it. */
  now?: () => number;
}

const ROOT = resolve(__dirname, '..');

/**
 * Without JWT_SECRET a random secret is kept beside the database, so links printed by `npm start`
 * stay valid across restarts of the same data directory while no two installs share a key.
 */
function secretFor(dbPath: string, fromEnv: string | undefined): Uint8Array {
  if (fromEnv) {
    if (fromEnv.length < 32) throw new Error('JWT_SECRET must be at least 32 characters');
    return new TextEncoder().encode(fromEnv);
  }
  if (dbPath === ':memory:') return randomBytes(32);
  const file = `${dbPath}.jwt-secret`;
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  return new TextEncoder().encode(readFileSync(file, 'utf8').trim());
}

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const dbPath = env.DB_PATH ?? resolve(ROOT, 'data/medchat.sqlite');
  const staticDir = env.STATIC_DIR ?? resolve(ROOT, 'dist/h5');
  return {
    host: env.HOST ?? '127.0.0.1',
    port: intFrom(env.PORT, 8787, 'PORT'),
    dbPath,
    filesDir: env.FILES_DIR ?? resolve(dbPath === ':memory:' ? resolve(ROOT, 'data') : dirname(dbPath), 'files'),
    fileUrlTtlSec: intFrom(env.FILE_URL_TTL_SEC, 24 * 3600, 'FILE_URL_TTL_SEC'),
    jwtSecret: secretFor(dbPath, env.JWT_SECRET),
    tokenTtlSec: intFrom(env.TOKEN_TTL_SEC, 7 * 24 * 3600, 'TOKEN_TTL_SEC'),
    staticDir: existsSync(staticDir) ? staticDir : undefined,
    publicUrl: env.PUBLIC_URL,
    logLevel: env.LOG_LEVEL ?? 'info',
    maxDevicesPerAccount: Math.max(1, intFrom(env.MAX_DEVICES_PER_ACCOUNT, 5, 'MAX_DEVICES_PER_ACCOUNT')),
  };
}
