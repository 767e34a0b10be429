import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import type { Caller, Revoke } from './api';
import { apiClientOf, handleCreateConsultation, handleLinkLogin, handleLogout, handleNimToken, handleRevokeSessions } from './api';
import { clientAddress, openLimits } from './limits';
import { Audit } from './audit';
import { Auth } from './auth';
import { ChatService } from './chat';
import { BUILTIN_CONSENT, DEFAULT_FOLLOW_UP } from './encounter/config';
import { EncounterService } from './encounter/service';
import { Cipher } from './crypto';
import { FILE_PATH, UPLOAD_PATH } from '../types/media';
import { NIM_TOKEN_PATH, RATINGS_PATH, RECORD_PATH } from '../types/protocol';
import { handleRatings, handleRecord } from './encounter/http';
import type { ServerConfig } from './config';
import { handleFile, handleUpload, newReadLog } from './files/http';
import { baseHeaders } from './headers';
import { FileService } from './files/service';
import { type FileGrant, FileSigner } from './files/sign';
import { endsGrants, FileVerdicts, grantEndingWrites } from './files/verdicts';
import { Gateway } from './gateway';
import { rxRoutes } from './prescriptions/http';
import { PrescriptionService, rxCardState } from './prescriptions/service';
import { newSigningKey, RxSigner } from './prescriptions/signer';
import { TransferService } from './transfer';
import { DEFAULT_FORBIDDEN_CATEGORIES } from '../types/prescription';
import { handleMetrics, handleReadyz } from './health';
import { Metrics, routeLabel, timedStorage } from './metrics';
import { OPENAPI_PATH, openApiDocument } from './openapi';
import { miniappRoutes } from './miniapp';
import { Moderator } from './moderation';
import { NimServerApi } from './nim';
import { notifyRoutes } from './notify/http';
import { startNotifier } from './notify/index';
import { LocalPresence, RedisPresence } from './notify/presence';
import { DEFAULT_PRESENCE_SEC } from './presence';
import { sendError, sendErrorAfterBody, sendJson } from './reply';
import { purgeExpired, sweepOrphanUploads } from './retention';
import { RedisBus } from './bus';
import { PostgresStorage } from './storage/postgres';
import { SqliteStorage } from './storage/sqlite';
import { staticAssets } from './static';
import type { Storage } from './storage/types';

export interface RunningServer {
  /** http://host:port, or PUBLIC_URL when set. */
  url: string;
  port: number;
  storage: Storage;
  auth: Auth;
  /** Runs the retention purge now (the timer runs it every PURGE_INTERVAL_HOURS). */
  purge(): Promise<unknown>;
  /** Removes uploads never sent within ORPHAN_UPLOAD_HOURS now (the timer runs it hourly). */
  sweepOrphans(): Promise<unknown>;
  /**
   * Graceful stop (SIGTERM): /readyz turns unready, no new connections, in-flight frames finish and
   * are answered, WebSocket clients are told to reconnect elsewhere (1012), then everything closes;
   * within `graceMs` (default SHUTDOWN_GRACE_SEC) whatever is still busy is cut.
   */
  shutdown(graceMs?: number): Promise<void>;
  /** Immediate stop: connections are cut. */
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig, log: Logger = pino({ level: config.logLevel })): Promise<RunningServer> {
  const now = config.now ?? Date.now;
  const cipher = new Cipher(config.dataKeys);
  const metrics = new Metrics();
  // A lost database connection is logged, not fatal; /readyz reports the database meanwhile.
  const rawStorage: Storage = config.databaseUrl
    ? await PostgresStorage.open(config.databaseUrl, cipher, { onConnectionError: (e) => log.warn({ err: e.message }, 'database connection lost'), now })
    : new SqliteStorage(config.dbPath, cipher, { now });
  // Each file URL's check is kept briefly; a recall or transfer, made here or elsewhere, forgets them.
  const verdicts = new FileVerdicts(now);
  const storage = grantEndingWrites(timedStorage(rawStorage, metrics), verdicts);
  const bus = config.redisUrl ? await RedisBus.open(config.redisUrl, cipher, (ms) => metrics.fanOut.observe({ path: 'bus' }, ms / 1000)) : undefined;
  bus?.subscribe((e) => {
    if (e.kind === 'msg' && endsGrants(e.msg)) verdicts.forgetAll();
  });
  metrics.auditHeadFromAnchors(config.auditAnchorFile);
  let draining = false;
  const auth = new Auth(config.jwtSecret, config.tokenTtlSec, config.linkTtlSec, {
    maxAgeSec: config.sessionMaxAgeSec,
    isRevoked: (c) => storage.isSessionRevoked(c.account, c.sid, c.startedAt),
  });
  const limits = await openLimits({
    framesPerSecond: config.sendsPerSecond,
    fileReadsPerMinute: config.fileReadsPerMinute,
    fileExportReadsPerMinute: config.fileExportReadsPerMinute,
    redisUrl: config.redisUrl,
  });
  const audit = new Audit(storage, now, config, (e) =>
    log.error({ err: (e as Error).message }, 'audit anchor file failing: records are stored, their checkpoints are not; /readyz is unready until one is written'),
  );
  const signer = new FileSigner(config.jwtSecret, config.fileUrlTtlSec * 1000, now);
  const files = new FileService(config.filesDir, storage, signer, cipher, now, config);
  const chat = new ChatService(storage, files, audit, new Moderator(config.sensitiveWords, config.sensitiveMode), now);
  const rxSigner = new RxSigner(config.rxSigningKey ?? newSigningKey());
  const prescriptions = new PrescriptionService(storage, chat, audit, rxSigner, config.rxForbiddenCategories ?? DEFAULT_FORBIDDEN_CATEGORIES, now);
  const encounterConfig = config.encounter ?? { consent: BUILTIN_CONSENT, followUp: DEFAULT_FOLLOW_UP };
  const encounter = new EncounterService(storage, chat, files, audit, encounterConfig, now);
  const gateway = new Gateway(storage, auth, chat, audit, log, {
    encounter,
    prescriptions,
    transfers: new TransferService(storage, chat, audit),
    maxDevicesPerAccount: config.maxDevicesPerAccount,
    limits,
    allowedOrigins: config.allowedOrigins,
    trustProxy: config.trustProxy,
    bus,
    metrics,
  });
  metrics.observe({ connections: () => gateway.stats(), draining: () => draining, notifyQueue: () => rawStorage.notificationQueue() });
  const miniapp = miniappRoutes(config, { auth, storage, audit, now });
  const rx = rxRoutes({ auth, storage, audit, signer: rxSigner, adminApiKey: config.adminApiKey });
  const reads = newReadLog();
  const mayOpen = (grant: FileGrant, id: string) => verdicts.mayOpen(grant, id, (g, f) => chat.mayOpenFile(g, f));
  const notifyHttp = notifyRoutes({ auth, storage, config: config.notify, now });
  const nim = config.nim ? { api: new NimServerApi(config.nim, now), appKey: config.nim.appKey } : undefined;
  const revoke: Revoke = async (account, sid, at) => {
    await storage.revokeSessions(account, sid, at);
    gateway.revoke(account, sid, at);
    // NIM tokens are per account, so only the hospital's revocation of every sign-in rotates it (one
    // logout must not sign the person's other devices out of NetEase).
    if (sid === '*') await nim?.api.invalidate(account);
  };
  const purge = () =>
    purgeExpired({ storage, files, audit }, config, now()).catch((e: unknown) =>
      log.error({ err: e instanceof Error ? e.message : String(e) }, 'purge failed'),
    );
  const purgeTimer = config.purgeIntervalHours > 0 ? setInterval(purge, config.purgeIntervalHours * 3_600_000) : undefined;
  purgeTimer?.unref();
  const sweepOrphans = () =>
    sweepOrphanUploads({ storage, files, audit }, config.orphanUploadHours, now()).catch((e: unknown) =>
      log.error({ err: e instanceof Error ? e.message : String(e) }, 'orphan upload sweep failed'),
    );
  await sweepOrphans();
  const sweepTimer = setInterval(sweepOrphans, 3_600_000);
  sweepTimer.unref();
  // Known once listening (PORT=0 picks one); the handlers read them only after that.
  let port = config.port;
  let url = config.publicUrl ?? `http://${config.host}:${port}`;
  // Taro's H5 build uses a hash router, so every page is index.html plus hashed assets (server/static.ts).
  const assets = config.staticDir ? staticAssets(config.staticDir) : undefined;

  const https = config.publicUrl?.startsWith('https://') ?? false;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    baseHeaders(res, https);
    const path = (req.url ?? '/').split('?')[0];
    res.once('finish', () => metrics.http.inc({ route: routeLabel(path), status: String(res.statusCode) }));
    if (path === '/api/health' || path === '/healthz') return sendJson(res, 200, { ok: true });
    if (path === '/readyz') return void handleReadyz(res, { storage: rawStorage, bus, auditAnchor: () => audit.anchorHealthy(), draining: () => draining });
    if (path === '/metrics') return void handleMetrics(req, res, metrics, config.metricsToken);
    if (path === OPENAPI_PATH) return sendJson(res, 200, openApiDocument());
    const caller: Caller = { address: clientAddress(req, config.trustProxy), limits };
    if (path === UPLOAD_PATH) return void handleUpload(req, res, { auth, storage, files, audit, caller });
    if (path === '/api/login/link') return void handleLinkLogin(req, res, { auth, storage, audit, caller });
    if (path === '/api/logout') return void handleLogout(req, res, { auth, storage, audit, revoke, caller });
    if (path === '/api/sessions/revoke') return void handleRevokeSessions(req, res, { storage, audit, adminApiKey: config.adminApiKey, caller, revoke });
    if (path === RECORD_PATH) return void handleRecord(req, res, { storage, chat, audit, adminApiKey: config.adminApiKey, caller, cardState: rxCardState });
    if (path === RATINGS_PATH) return void handleRatings(req, res, { storage, chat, audit, adminApiKey: config.adminApiKey, caller });
    if (path === NIM_TOKEN_PATH) return void handleNimToken(req, res, { auth, storage, audit, nim, limits, caller });
    const notify = notifyHttp.route(path);
    if (notify) return notify(req, res, caller);
    const rxRoute = rx.route(path);
    if (rxRoute) return void rxRoute(req, res, { caller, publicUrl: url });
    const mini = miniapp.route(path);
    if (mini) return void mini(req, res, { caller, revoke, publicUrl: url });
    if (path === '/api/consultations') {
      return void handleCreateConsultation(req, res, {
        auth,
        storage,
        audit,
        adminApiKey: config.adminApiKey,
        publicUrl: url,
        caller,
        apps: miniapp.links,
        followUp: encounterConfig.followUp,
        announce: (sessionId, accounts) => gateway.sessionChanged(sessionId, accounts),
      });
    }
    if (path.startsWith(FILE_PATH)) {
      return void handleFile(req, res, {
        storage,
        files,
        signer,
        audit,
        reads,
        mayOpen,
        limit: limits.fileReads,
        exportLimit: limits.fileExportReads,
        apiClient: (r) => apiClientOf(r, config.adminApiKey, caller),
      }).catch((e: unknown) => {
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
  // Who is connected anywhere: for the doctor's presence shown to patients, and for notifications.
  const presence = config.redisUrl
    ? await RedisPresence.open(config.redisUrl, gateway, (config.notify?.presenceSec ?? DEFAULT_PRESENCE_SEC) * 1000)
    : new LocalPresence(gateway);
  gateway.usePresence(presence);
  const notifier = await startNotifier(config, { storage, audit, auth, log, presence, publicUrl: () => url });
  log.info(
    { url, db: config.databaseUrl ? 'postgresql' : config.dbPath, fanOut: bus ? 'redis' : 'local', static: config.staticDir ?? null },
    'medchat server listening',
  );

  let closed: Promise<void> | undefined;
  const close = () => (closed ??= closeNow());
  const closeNow = async () => {
    clearInterval(purgeTimer);
    clearInterval(sweepTimer);
    await notifier?.close();
    await gateway.close();
    await presence.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await bus?.close();
    await limits.close();
    // The storage first: closing writes the appends still queued, with their audit records, and their
    // callers' checkpoints come in the microtasks after; then the anchor file, whatever the storage did.
    try {
      await rawStorage.close();
    } finally {
      await new Promise((resolve) => setImmediate(resolve));
      audit.close();
    }
  };
  return {
    url,
    port,
    storage: rawStorage,
    auth,
    purge,
    sweepOrphans,
    async shutdown(graceMs = (config.shutdownGraceSec ?? 10) * 1000) {
      const deadline = Date.now() + graceMs;
      draining = true;
      log.info({ graceMs }, 'draining: finishing in-flight work, clients reconnect elsewhere');
      // No new connections; HTTP requests in flight (an upload) finish, idle keep-alive sockets go now.
      const httpDone = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await gateway.drain(Math.max(0, deadline - Date.now()));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([httpDone, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))]);
      clearTimeout(timer);
      server.closeAllConnections();
      await close();
      log.info('drained and closed');
    },
    close,
  };
}
