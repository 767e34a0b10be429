import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataKeys } from './crypto';
import { dataKeysFrom, localSecret } from './crypto';
import type { ModerationMode } from './moderation';
import { DEFAULT_WORDS } from './moderation';
import type { NimServerConfig } from './nim';
import { type EncounterConfig, encounterFromEnv } from './encounter/config';
import { FILE_EXPORT_READS_PER_MIN, FILE_READS_PER_MIN } from './limits';
import { type NotifyConfig, notifyFromEnv } from './notify/config';
import { type PlatformsConfig, platformsFromEnv } from './platforms/config';
import { RxSigner, signingKeyFrom } from './prescriptions/signer';
import { DEFAULT_FORBIDDEN_CATEGORIES } from '../types/prescription';

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
  /** Mini-program sign-in and SMS links (WeChat, Douyin, Alipay server credentials); absent = none. */
  platforms?: PlatformsConfig;
  /** PostgreSQL instead of the SQLite file, for several server processes (postgres://…). */
  databaseUrl?: string;
  /** Redis pub/sub fan-out between server processes (redis://…). */
  redisUrl?: string;
  /** The hospital's prescription signing key (PEM, Ed25519 or RSA); absent: a key generated for this run (tests). */
  rxSigningKey?: string;
  /** Drug categories never prescribed online; absent: DEFAULT_FORBIDDEN_CATEGORIES. */
  rxForbiddenCategories?: string[];
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
  /** Requests of signed file URLs per person they were signed for and minute; absent: FILE_READS_PER_MIN. */
  fileReadsPerMinute?: number;
  /** Requests of the record export's file URLs per API client and minute; absent: FILE_EXPORT_READS_PER_MIN. */
  fileExportReadsPerMinute?: number;
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
  /** Notifications to people who left the chat (NOTIFY_*); absent = no channel, no outbox. */
  notify?: NotifyConfig;
  /** The consent text (CONSENT_FILE) and the follow-up rule (FOLLOW_UP_*); absent = the built-in defaults. */
  encounter?: EncounterConfig;
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
function keyFrom(fromEnv: string | undefined, name: string, dbPath: string, file: string, dryRun = false): Uint8Array {
  if (fromEnv) {
    if (fromEnv.length < 32) throw new Error(`${name} must be at least 32 characters`);
    return new TextEncoder().encode(fromEnv);
  }
  if (dbPath === ':memory:' || dryRun) return randomBytes(32);
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
  if (!existsSync(file)) throw new Error(`SENSITIVE_WORDS_FILE: no file at ${file} (one word per line)`);
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

function rxSigningFrom(fromEnv: string | undefined, file: string | undefined): { rxSigningKey: string } {
  const pem = signingKeyFrom(fromEnv, file);
  try {
    new RxSigner(pem);
  } catch (e) {
    throw new Error(`RX_SIGNING_KEY: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { rxSigningKey: pem };
}

/** Every problem of the environment at once, each saying what is expected. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * What production (NODE_ENV=production) refuses: the demo's conveniences, which are random keys kept
 * in files beside the database (lost with the disk, never shared by a second process), no hospital API
 * and plain-http links.
 */
function productionProblems(env: NodeJS.ProcessEnv): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  const secret = (name: string, what: string) => {
    if (!env[name]) problems.push(`${name} is required in production (${what}); without it a random one is kept beside the database`);
  };
  secret('JWT_SECRET', 'at least 32 characters, the same on every process');
  secret('DATA_KEYS', '"id:base64-of-32-bytes[,id:…]", the same on every process');
  secret('AUDIT_KEY', 'at least 32 characters, kept apart from database backups');
  secret('RX_SIGNING_KEY', "the hospital's Ed25519 or RSA private key (PEM) that signs prescriptions");
  if (!env.ADMIN_API_KEY) problems.push('ADMIN_API_KEY is required in production (at least 24 characters): the hospital system creates consultations with it');
  if (!env.CONSENT_FILE) problems.push("CONSENT_FILE is required in production: the hospital's informed-consent text, JSON {\"version\", \"text\"}");
  if (!env.PUBLIC_URL) problems.push('PUBLIC_URL is required in production: the https:// address patients open (SMS links point there)');
  else if (!/^https:\/\//.test(env.PUBLIC_URL)) problems.push(`PUBLIC_URL must be https:// in production, got "${env.PUBLIC_URL}"`);
  return problems;
}

/**
 * The server's configuration from the environment. Every invalid or missing variable is reported at
 * once (ConfigError). `dryRun` (--check-config) creates no key files for variables left unset.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env, { dryRun = false } = {}): ServerConfig {
  const problems = productionProblems(env);
  const ok = <T>(read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
      return fallback;
    }
  };
  const dbPath = env.DB_PATH ?? resolve(ROOT, 'data/medchat.sqlite');
  const staticDir = env.STATIC_DIR ?? resolve(ROOT, 'dist/h5');
  const filesDir = env.FILES_DIR ?? resolve(dbPath === ':memory:' ? resolve(ROOT, 'data') : dirname(dbPath), 'files');
  if (env.ADMIN_API_KEY !== undefined && env.ADMIN_API_KEY.length < 24) problems.push('ADMIN_API_KEY must be at least 24 characters');
  if (env.METRICS_TOKEN !== undefined && env.METRICS_TOKEN.length < 24) problems.push('METRICS_TOKEN must be at least 24 characters');
  // Processes on one database must chain the audit log under one key; a key file per host cannot be shared.
  if (env.DATABASE_URL && !env.AUDIT_KEY) problems.push('AUDIT_KEY is required with DATABASE_URL (the same on every server process)');
  if (env.DATABASE_URL && !/^postgres(ql)?:\/\//.test(env.DATABASE_URL)) problems.push('DATABASE_URL must be postgres://user:password@host:port/database');
  if (env.REDIS_URL && !/^rediss?:\/\//.test(env.REDIS_URL)) problems.push('REDIS_URL must be redis://host:port (or rediss://)');
  if (env.PUBLIC_URL && !/^https?:\/\/[^/]+$/.test(env.PUBLIC_URL.replace(/\/$/, ''))) problems.push(`PUBLIC_URL must be an origin like https://chat.example.org, got "${env.PUBLIC_URL}"`);
  const int = (name: string, fallback: number) => ok(() => intFrom(env[name], fallback, name), fallback);
  const throwaway: DataKeys = { keys: new Map([['local', randomBytes(32)]]), active: 'local' };
  const dataKeys = dryRun && !env.DATA_KEYS ? throwaway : ok(() => dataKeysFrom({ DATA_KEYS: env.DATA_KEYS, DATA_KEY_ID: env.DATA_KEY_ID }, dbPath), throwaway);
  const config: ServerConfig = {
    linkTtlSec: int('LINK_TTL_SEC', 15 * 60),
    sendsPerSecond: Math.max(1, int('RATE_LIMIT_PER_SEC', 10)),
    sensitiveWords: ok(() => sensitiveWords(env.SENSITIVE_WORDS_FILE), DEFAULT_WORDS),
    sensitiveMode: ok(() => moderationMode(env.SENSITIVE_MODE), 'mask'),
    dataKeys,
    retentionChatDays: ok(() => retention(env.RETENTION_CHAT_DAYS, MIN_RETENTION_CHAT_DAYS, 'RETENTION_CHAT_DAYS'), MIN_RETENTION_CHAT_DAYS),
    retentionMedicalDays: ok(() => retention(env.RETENTION_MEDICAL_DAYS, MIN_RETENTION_MEDICAL_DAYS, 'RETENTION_MEDICAL_DAYS'), MIN_RETENTION_MEDICAL_DAYS),
    purgeIntervalHours: int('PURGE_INTERVAL_HOURS', 24),
    ...(env.ADMIN_API_KEY ? { adminApiKey: env.ADMIN_API_KEY } : {}),
    ...ok(() => nimFrom(env), {}),
    ...ok(() => platformsFromEnv(env), {}),
    ...ok(() => notifyFromEnv(env), {}),
    encounter: encounterFromEnv(env, ok),
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
    host: env.HOST ?? '127.0.0.1',
    port: int('PORT', 8787),
    dbPath,
    filesDir,
    fileUrlTtlSec: int('FILE_URL_TTL_SEC', 24 * 3600),
    jwtSecret: ok(() => keyFrom(env.JWT_SECRET, 'JWT_SECRET', dbPath, `${dbPath}.jwt-secret`, dryRun), new Uint8Array()),
    tokenTtlSec: int('TOKEN_TTL_SEC', 7 * 24 * 3600),
    staticDir: existsSync(staticDir) ? staticDir : undefined,
    publicUrl: env.PUBLIC_URL,
    logLevel: env.LOG_LEVEL ?? 'info',
    maxDevicesPerAccount: Math.max(1, int('MAX_DEVICES_PER_ACCOUNT', 5)),
    auditKey: ok(() => keyFrom(env.AUDIT_KEY, 'AUDIT_KEY', dbPath, `${dbPath}.audit-key`, dryRun), new Uint8Array()),
    auditAnchorFile: env.AUDIT_ANCHOR_FILE ?? anchorDefault(env, dbPath, filesDir),
    sessionMaxAgeSec: int('SESSION_MAX_AGE_SEC', 30 * 24 * 3600),
    uploadsPerHour: Math.max(1, int('UPLOADS_PER_HOUR', 60)),
    uploadBytesPerDay: Math.max(1, int('UPLOAD_MB_PER_DAY', 500)) * 1024 * 1024,
    orphanUploadHours: Math.max(1, int('ORPHAN_UPLOAD_HOURS', 6)),
    fileReadsPerMinute: Math.max(1, int('FILE_READS_PER_MIN', FILE_READS_PER_MIN)),
    fileExportReadsPerMinute: Math.max(1, int('FILE_EXPORT_READS_PER_MIN', FILE_EXPORT_READS_PER_MIN)),
    trustProxy: env.TRUST_PROXY === '1' || env.TRUST_PROXY === 'true',
    allowedOrigins: (env.ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    ...(env.METRICS_TOKEN ? { metricsToken: env.METRICS_TOKEN } : {}),
    shutdownGraceSec: int('SHUTDOWN_GRACE_SEC', 10),
    ...(dryRun && !env.RX_SIGNING_KEY
      ? {}
      : ok<{ rxSigningKey?: string }>(() => rxSigningFrom(env.RX_SIGNING_KEY, dbPath === ':memory:' ? undefined : `${dbPath}.rx-signing-key.pem`), {})),
    rxForbiddenCategories: env.RX_FORBIDDEN_CATEGORIES
      ? env.RX_FORBIDDEN_CATEGORIES.split(',').map((c) => c.trim()).filter(Boolean)
      : [...DEFAULT_FORBIDDEN_CATEGORIES],
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
