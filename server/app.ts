import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import sirv from 'sirv';
import { handleCreateConsultation, handleLinkLogin, handleNimToken } from './api';
import { Audit } from './audit';
import { Auth } from './auth';
import { ChatService } from './chat';
import { Cipher } from './crypto';
import { FILE_PATH, UPLOAD_PATH } from '../types/media';
import { NIM_TOKEN_PATH } from '../types/protocol';
import type { ServerConfig } from './config';
import { handleFile, handleUpload } from './files/http';
import { FileService } from './files/service';
import { FileSigner } from './files/sign';
import { Gateway } from './gateway';
import { Moderator } from './moderation';
import { NimServerApi } from './nim';
import { sendError, sendErrorAfterBody, sendJson } from './reply';
import { purgeExpired } from './retention';
import { RedisBus } from './bus';
import { PostgresStorage } from './storage/postgres';
import { SqliteStorage } from './storage/sqlite';
import type { Storage } from './storage/types';

export interface RunningServer {
  /** http://host:port, or PUBLIC_URL when set. */
  url: string;
  port: number;
  storage: Storage;
  auth: Auth;
  /** Runs the retention purge now (the timer runs it every PURGE_INTERVAL_HOURS). */
  purge(): Promise<unknown>;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig, log: Logger = pino({ level: config.logLevel })): Promise<RunningServer> {
  const now = config.now ?? Date.now;
  const cipher = new Cipher(config.dataKeys);
  const storage: Storage = config.databaseUrl ? await PostgresStorage.open(config.databaseUrl, cipher) : new SqliteStorage(config.dbPath, cipher);
  const bus = config.redisUrl ? await RedisBus.open(config.redisUrl, cipher) : undefined;
  const auth = new Auth(config.jwtSecret, config.tokenTtlSec, config.linkTtlSec);
  const audit = new Audit(storage, now);
  const signer = new FileSigner(config.jwtSecret, config.fileUrlTtlSec * 1000, now);
  const files = new FileService(config.filesDir, storage, signer, cipher);
  const chat = new ChatService(storage, files, audit, new Moderator(config.sensitiveWords, config.sensitiveMode), now);
  const gateway = new Gateway(storage, auth, chat, audit, log, {
    maxDevicesPerAccount: config.maxDevicesPerAccount,
    sendsPerSecond: config.sendsPerSecond,
    bus,
  });
  const nim = config.nim ? { api: new NimServerApi(config.nim, now), appKey: config.nim.appKey } : undefined;
  const purge = () =>
    purgeExpired({ storage, files, audit }, config, now()).catch((e: unknown) =>
      log.error({ err: e instanceof Error ? e.message : String(e) }, 'purge failed'),
    );
  const purgeTimer = config.purgeIntervalHours > 0 ? setInterval(purge, config.purgeIntervalHours * 3_600_000) : undefined;
  purgeTimer?.unref();
  // Known once listening (PORT=0 picks one); the handlers read them only after that.
  let port = config.port;
  let url = config.publicUrl ?? `http://${config.host}:${port}`;
  // Taro's H5 build uses a hash router, so every page is index.html plus hashed assets.
  const assets = config.staticDir ? sirv(config.staticDir, { etag: true, gzip: false, single: true }) : undefined;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/api/health') return sendJson(res, 200, { ok: true });
    if (path === UPLOAD_PATH) return void handleUpload(req, res, { auth, storage, files, audit });
    if (path === '/api/login/link') return void handleLinkLogin(req, res, { auth, storage, audit });
    if (path === NIM_TOKEN_PATH) return void handleNimToken(req, res, { auth, storage, audit, nim });
    if (path === '/api/consultations') {
      return void handleCreateConsultation(req, res, { auth, storage, audit, adminApiKey: config.adminApiKey, publicUrl: url });
    }
    if (path.startsWith(FILE_PATH)) {
      return void handleFile(req, res, { storage, files, signer, audit }).catch((e: unknown) => {
        log.error({ err: e instanceof Error ? e.message : String(e) }, 'file read failed');
        if (!res.headersSent) sendError(res, 'internal', 'file read failed');
        else res.destroy();
      });
    }
    if (path.startsWith('/api/')) return sendErrorAfterBody(req, res, 'notFound', `no route ${path}`);
    if (assets) return assets(req, res, () => sendError(res, 'notFound', 'not found'));
    sendError(res, 'notFound', 'H5 app not built: run npm run build:h5');
  });
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    gateway.handleUpgrade(req, socket, head);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  url = config.publicUrl ?? `http://${config.host}:${port}`;
  log.info(
    { url, db: config.databaseUrl ? 'postgresql' : config.dbPath, fanOut: bus ? 'redis' : 'local', static: config.staticDir ?? null },
    'medchat server listening',
  );

  return {
    url,
    port,
    storage,
    auth,
    purge,
    async close() {
      clearInterval(purgeTimer);
      await gateway.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await bus?.close();
      await storage.close();
    },
  };
}
