import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startServer, type RunningServer } from '../../server/app';
import type { ServerConfig } from '../../server/config';

export interface TestServer extends RunningServer {
  dir: string;
  dbPath: string;
  /** Stops the server and deletes its data directory. */
  dispose(): Promise<void>;
}

/** A real server on 127.0.0.1 with a real SQLite file in a fresh temp directory. */
export async function startTestServer(over: Partial<ServerConfig> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'medchat-test-'));
  const dbPath = join(dir, 'chat.sqlite');
  const server = await startServer(
    {
      host: '127.0.0.1',
      port: 0,
      dbPath,
      filesDir: join(dir, 'files'),
      fileUrlTtlSec: 3600,
      jwtSecret: new TextEncoder().encode('test-secret-test-secret-test-secret!!'),
      tokenTtlSec: 3600,
      logLevel: 'silent',
      maxDevicesPerAccount: 5,
      ...over,
    },
    pino({ level: 'silent' }),
  );
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

export { expectError, RequestError, WsClient } from './ws-client';
