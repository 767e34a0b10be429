import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataKeys } from './crypto';
import { dataKeysFrom, localSecret } from './crypto';
import type { ModerationMode } from './moderation';
import { DEFAULT_WORDS } from './moderation';
import type { NimServerConfig } from './nim';

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
  /** Lifetime of one-time SMS link tokens. */
  linkTtlSec: number;
  /** Messages per second per connection. */
  sendsPerSecond: number;
  /** Sensitive words and what to do with them. */
  sensitiveWords: string[];
  sensitiveMode: ModerationMode;
  /** Encryption at rest. */
  dataKeys: DataKeys;
  /** Retention in days: chat messages and files, medical records (cards). */
  retentionChatDays: number;
  retentionMedicalDays: number;
  /** How often the purge job runs; 0 = only by `npm run purge`. */
  purgeIntervalHours: number;
  /** Bearer key of the hospital-system API (creating consultations); absent = API off. */
  adminApiKey?: string;
  /** NetEase Yunxin server API credentials, for hospitals on NetEase's cloud; absent = NIM off. */
  nim?: NimServerConfig;
  /** PostgreSQL instead of the SQLite file, for several server processes (postgres://…). */
  databaseUrl?: string;
  /** Redis pub/sub fan-out between server processes (redis://…). */
  redisUrl?: string;
  /** HMAC key of the audit chain; kept outside the database so that whoever can write the table cannot re-chain it. */
  auditKey: Uint8Array;
  /** Append-only file of signed audit checkpoints (the chain's head, anchored outside the table). */
  auditAnchorFile: string;
  /** Absolute lifetime of a sign-in: renewing never extends a session past this (seconds). */
  sessionMaxAgeSec: number;
  /** Uploads one account may make per hour, and bytes per day. */
  uploadsPerHour: number;
  uploadBytesPerDay: number;
  /** Uploads no message refers to are removed after this many hours. */
  orphanUploadHours: number;
  /**
   * Origins whose pages may open the chat WebSocket (the H5 app's own origin always may). Mini programs
   * send no Origin header; browsers always do.
   */
  allowedOrigins: string[];
  /** Behind our own reverse proxy: client addresses (for throttling sign-in failures) come from X-Forwarded-For. */
  trustProxy: boolean;
  /** Bearer token of GET /metrics; absent = /metrics off. */
  metricsToken?: string;
  /** On SIGTERM: how long in-flight work may take before the process exits anyway (default 10). */
  shutdownGraceSec?: number;
}

/** China's internet-diagnosis rules: chat records at least 3 years, medical records at least 15. */
export const MIN_RETENTION_CHAT_DAYS = 3 * 365;
export const MIN_RETENTION_MEDICAL_DAYS = 15 * 365;

const ROOT = resolve(__dirname, '..');

/**
 * A key of at least 32 characters from the environment, or a random one kept in `file` beside the
 * database, so that links printed by `npm start` stay valid across restarts of the same data directory
 * while no two installs share a key.
 */
function keyFrom(fromEnv: string | undefined, name: string, dbPath: string, file: string): Uint8Array {
  if (fromEnv) {
    if (fromEnv.length < 32) throw new Error(`${name} must be at least 32 characters`);
    return new TextEncoder().encode(fromEnv);
  }
  if (dbPath === ':memory:') return randomBytes(32);
  return new TextEncoder().encode(localSecret(file, 'hex'));
}

/**
 * Beside the SQLite file; with PostgreSQL beside the files directory, which every process of one
 * deployment shares (one line per append keeps concurrent appends whole).
 */
function anchorDefault(env: NodeJS.ProcessEnv, dbPath: string, filesDir: string): string {
  if (env.DATABASE_URL) return resolve(dirname(filesDir), 'audit-anchors.log');
  return dbPath === ':memory:' ? resolve(ROOT, 'data/audit-anchors.log') : `${dbPath}.audit-anchors`;
}

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

function retention(value: string | undefined, min: number, name: string): number {
  const days = intFrom(value, min, name);
  if (days < min) throw new Error(`${name} must be at least ${min} days (records must be kept that long)`);
  return days;
}

function moderationMode(value: string | undefined): ModerationMode {
  if (value === undefined || value === '' || value === 'mask') return 'mask';
  if (value === 'block') return 'block';
  throw new Error(`SENSITIVE_MODE must be mask or block, got "${value}"`);
}

function sensitiveWords(file: string | undefined): string[] {
  if (!file) return DEFAULT_WORDS;
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

function nimFrom(env: NodeJS.ProcessEnv): { nim?: NimServerConfig } {
  const { NIM_APP_KEY: appKey, NIM_APP_SECRET: appSecret } = env;
  if (!appKey && !appSecret) return {};
  if (!appKey || !appSecret) throw new Error('NIM_APP_KEY and NIM_APP_SECRET go together');
  return { nim: { appKey, appSecret, apiUrl: env.NIM_API_URL ?? 'https://api.netease.im/nimserver' } };
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const dbPath = env.DB_PATH ?? resolve(ROOT, 'data/medchat.sqlite');
  const staticDir = env.STATIC_DIR ?? resolve(ROOT, 'dist/h5');
  const filesDir = env.FILES_DIR ?? resolve(dbPath === ':memory:' ? resolve(ROOT, 'data') : dirname(dbPath), 'files');
  if (env.ADMIN_API_KEY !== undefined && env.ADMIN_API_KEY.length < 24) throw new Error('ADMIN_API_KEY must be at least 24 characters');
  // Processes on one database must chain the audit log under one key; a key file per host cannot be shared.
  if (env.DATABASE_URL && !env.AUDIT_KEY) throw new Error('AUDIT_KEY is required with DATABASE_URL (the same on every server process)');
  return {
    linkTtlSec: intFrom(env.LINK_TTL_SEC, 15 * 60, 'LINK_TTL_SEC'),
    sendsPerSecond: Math.max(1, intFrom(env.RATE_LIMIT_PER_SEC, 10, 'RATE_LIMIT_PER_SEC')),
    sensitiveWords: sensitiveWords(env.SENSITIVE_WORDS_FILE),
    sensitiveMode: moderationMode(env.SENSITIVE_MODE),
    dataKeys: dataKeysFrom({ DATA_KEYS: env.DATA_KEYS, DATA_KEY_ID: env.DATA_KEY_ID }, dbPath),
    retentionChatDays: retention(env.RETENTION_CHAT_DAYS, MIN_RETENTION_CHAT_DAYS, 'RETENTION_CHAT_DAYS'),
    retentionMedicalDays: retention(env.RETENTION_MEDICAL_DAYS, MIN_RETENTION_MEDICAL_DAYS, 'RETENTION_MEDICAL_DAYS'),
    purgeIntervalHours: intFrom(env.PURGE_INTERVAL_HOURS, 24, 'PURGE_INTERVAL_HOURS'),
    ...(env.ADMIN_API_KEY ? { adminApiKey: env.ADMIN_API_KEY } : {}),
    ...nimFrom(env),
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
    host: env.HOST ?? '127.0.0.1',
    port: intFrom(env.PORT, 8787, 'PORT'),
    dbPath,
    filesDir,
    fileUrlTtlSec: intFrom(env.FILE_URL_TTL_SEC, 24 * 3600, 'FILE_URL_TTL_SEC'),
    jwtSecret: keyFrom(env.JWT_SECRET, 'JWT_SECRET', dbPath, `${dbPath}.jwt-secret`),
    tokenTtlSec: intFrom(env.TOKEN_TTL_SEC, 7 * 24 * 3600, 'TOKEN_TTL_SEC'),
    staticDir: existsSync(staticDir) ? staticDir : undefined,
    publicUrl: env.PUBLIC_URL,
    logLevel: env.LOG_LEVEL ?? 'info',
    maxDevicesPerAccount: Math.max(1, intFrom(env.MAX_DEVICES_PER_ACCOUNT, 5, 'MAX_DEVICES_PER_ACCOUNT')),
    auditKey: keyFrom(env.AUDIT_KEY, 'AUDIT_KEY', dbPath, `${dbPath}.audit-key`),
    auditAnchorFile: env.AUDIT_ANCHOR_FILE ?? anchorDefault(env, dbPath, filesDir),
    sessionMaxAgeSec: intFrom(env.SESSION_MAX_AGE_SEC, 30 * 24 * 3600, 'SESSION_MAX_AGE_SEC'),
    uploadsPerHour: Math.max(1, intFrom(env.UPLOADS_PER_HOUR, 60, 'UPLOADS_PER_HOUR')),
    uploadBytesPerDay: Math.max(1, intFrom(env.UPLOAD_MB_PER_DAY, 500, 'UPLOAD_MB_PER_DAY')) * 1024 * 1024,
    orphanUploadHours: Math.max(1, intFrom(env.ORPHAN_UPLOAD_HOURS, 6, 'ORPHAN_UPLOAD_HOURS')),
    trustProxy: env.TRUST_PROXY === '1' || env.TRUST_PROXY === 'true',
    allowedOrigins: (env.ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    ...(env.METRICS_TOKEN ? { metricsToken: env.METRICS_TOKEN } : {}),
    shutdownGraceSec: intFrom(env.SHUTDOWN_GRACE_SEC, 10, 'SHUTDOWN_GRACE_SEC'),
  };
}
