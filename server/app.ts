import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import sirv from 'sirv';
import { Auth } from './auth';
import type { ServerConfig } from './config';
import { Gateway } from './gateway';
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

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export async function startServer(config: ServerConfig, log: Logger = pino({ level: config.logLevel })): Promise<RunningServer> {
  const storage = new SqliteStorage(config.dbPath);
  const auth = new Auth(config.jwtSecret, config.tokenTtlSec);
  const gateway = new Gateway(storage, auth, log, {
    maxDevicesPerAccount: config.maxDevicesPerAccount,
    now: config.now ?? Date.now,
  });
  // Taro's H5 build uses a hash router, so every page is index.html plus hashed assets.
  const assets = config.staticDir ? sirv(config.staticDir, { etag: true, gzip: false, single: true }) : undefined;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/api/health') return json(res, 200, { ok: true });
    if (path.startsWith('/api/')) return json(res, 404, { error: { code: 'notFound', message: `no route ${path}` } });
    if (assets) return assets(req, res, () => json(res, 404, { error: { code: 'notFound', message: 'not found' } }));
    json(res, 404, { error: { code: 'notFound', message: 'H5 app not built: run npm run build:h5' } });
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
