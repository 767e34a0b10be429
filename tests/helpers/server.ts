import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { startServer, type RunningServer } from '../../server/app';
import type { SessionClaims } from '../../server/auth';
import type { ServerConfig } from '../../server/config';
import { MIN_RETENTION_CHAT_DAYS, MIN_RETENTION_MEDICAL_DAYS } from '../../server/config';
import { dataKeysFrom } from '../../server/crypto';
import { DEFAULT_WORDS } from '../../server/moderation';

export interface TestServer extends RunningServer {
  dir: string;
  dbPath: string;
  /** Stops the server and deletes its data directory. */
  dispose(): Promise<void>;
}

/** The test servers' JWT secret: a test that forges tokens of other shapes signs them with it. */
export const TEST_JWT_SECRET = new TextEncoder().encode('test-secret-test-secret-test-secret!!');

/** The configuration of a test server whose data lives in `dir` (the same dir = the same data and keys). */
export function testConfig(dir: string, over: Partial<ServerConfig> = {}): ServerConfig {
  const dbPath = join(dir, 'chat.sqlite');
  return {
    host: '127.0.0.1',
    port: 0,
    dbPath,
    filesDir: join(dir, 'files'),
    fileUrlTtlSec: 3600,
    jwtSecret: TEST_JWT_SECRET,
    tokenTtlSec: 3600,
    logLevel: 'silent',
    maxDevicesPerAccount: 5,
    linkTtlSec: 900,
    // Tests of other rules send in bursts; the rate limit has its own test.
    sendsPerSecond: 1000,
    sensitiveWords: DEFAULT_WORDS,
    sensitiveMode: 'mask',
    dataKeys: dataKeysFrom({}, dbPath),
    retentionChatDays: MIN_RETENTION_CHAT_DAYS,
    retentionMedicalDays: MIN_RETENTION_MEDICAL_DAYS,
    purgeIntervalHours: 0,
    adminApiKey: ADMIN_API_KEY,
    auditKey: new TextEncoder().encode('test-audit-key-test-audit-key-test!!'),
    auditAnchorFile: join(dir, 'audit-anchors.log'),
    sessionMaxAgeSec: 30 * 24 * 3600,
    // Tests of other rules upload in bursts; the upload quota has its own test.
    uploadsPerHour: 1000,
    uploadBytesPerDay: 10 * 1024 * 1024 * 1024,
    orphanUploadHours: 6,
    allowedOrigins: [],
    trustProxy: false,
    ...over,
  };
}

export const ADMIN_API_KEY = 'test-admin-key-test-admin-key';

/** A real server on 127.0.0.1 with a real SQLite file in a fresh temp directory; `log` to read what it logs. */
export async function startTestServer(over: Partial<ServerConfig> = {}, log: Logger = pino({ level: 'silent' })): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'medchat-test-'));
  const config = testConfig(dir, over);
  const dbPath = config.dbPath;
  const server = await startServer(config, log);
  return {
    ...server,
    dir,
    dbPath,
    async dispose() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { expectError, outcome, RequestError, WsClient } from './ws-client';

/**
 * The claims a live token carries, as the server's verifySession reads them (signature, lifetimes,
 * revocation) without its per-address throttle. Throws ClientError('tokenExpired' | 'authFailed').
 */
export async function liveClaims(server: Pick<TestServer, 'auth'>, token: string): Promise<SessionClaims> {
  const claims = await server.auth.verifySigned(token);
  await server.auth.ensureNotRevoked(claims);
  return claims;
}
