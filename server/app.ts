import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import sirv from 'sirv';
import { Auth } from './auth';
import { FILE_PATH, UPLOAD_PATH } from '../types/media';
import type { ServerConfig } from './config';
import { handleFile, handleUpload } from './files/http';
import { FileService } from './files/service';
import { FileSigner } from './files/sign';
import { Gateway } from './gateway';
import { sendError, sendJson } from './reply';
import { SqliteStorage } from './storage/sqlite';
import type { Storage } from './storage/types';

export interface RunningServer {
  /** http://host:port, or PUBLIC_URL when set. */
  url: string;
  port: number;
  storage: Storage;
  auth: Auth;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig, log: Logger = pino({ level: config.logLevel })): Promise<RunningServer> {
  const storage = new SqliteStorage(config.dbPath);
  const auth = new Auth(config.jwtSecret, config.tokenTtlSec);
  const signer = new FileSigner(config.jwtSecret, config.fileUrlTtlSec * 1000, config.now);
  const files = new FileService(config.filesDir, storage, signer);
  const gateway = new Gateway(storage, auth, files, log, {
    maxDevicesPerAccount: config.maxDevicesPerAccount,
    now: config.now ?? Date.now,
  });
  // Taro's H5 build uses a hash router, so every page is index.html plus hashed assets.
  const assets = config.staticDir ? sirv(config.staticDir, { etag: true, gzip: false, single: true }) : undefined;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/api/health') return sendJson(res, 200, { ok: true });
    if (path === UPLOAD_PATH) return void handleUpload(req, res, { auth, storage, files });
    if (path.startsWith(FILE_PATH)) {
      return void handleFile(req, res, { storage, files, signer }).catch((e: unknown) => {
        log.error({ err: e instanceof Error ? e.message : String(e) }, 'file read failed');
        if (!res.headersSent) sendError(res, 'internal', 'file read failed');
        else res.destroy();
      });
    }
    if (path.startsWith('/api/')) return sendError(res, 'notFound', `no route ${path}`);
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
  const port = (server.address() as AddressInfo).port;
  const url = config.publicUrl ?? `http://${config.host}:${port}`;
  log.info({ url, db: config.dbPath, static: config.staticDir ?? null }, 'medchat server listening');

  return {
    url,
    port,
    storage,
    auth,
    async close() {
      await gateway.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await storage.close();
    },
  };
}
