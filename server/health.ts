/**
 * `GET /healthz` (the process answers), `GET /readyz` (it can serve: database and Redis reachable,
 * migrations done, the audit anchor file writable, not draining) and `GET /metrics` (Prometheus text,
 * behind METRICS_TOKEN).
 */
import { bearerIs } from './bearer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Bus } from './bus';
import type { Metrics } from './metrics';
import { sendError, sendJson } from './reply';
import type { Storage } from './storage/types';

const PROBE_TIMEOUT_MS = 2_000;

export interface Readiness {
  ready: boolean;
  checks: {
    database: 'ok' | 'unreachable';
    /** `off` when there is no REDIS_URL (one process). */
    redis: 'ok' | 'unreachable' | 'off';
    /** The storage migrates its schema when it opens, before the server listens. */
    migrations: 'done';
    /** The audit trail's anchor file takes checkpoints (server/audit.ts); `failing` until one is written and synced again. */
    auditAnchor: 'ok' | 'failing';
    draining: boolean;
  };
}

function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export async function readiness(deps: { storage: Storage; bus?: Bus; auditAnchor: () => boolean; draining: () => boolean }): Promise<Readiness> {
  // A lookup of an account that cannot exist (no account id has a #): one indexed query, on whatever database is configured.
  const database = await within(deps.storage.getAccount('#readyz'), PROBE_TIMEOUT_MS).then(
    () => 'ok' as const,
    () => 'unreachable' as const,
  );
  const redis = deps.bus ? ((await deps.bus.ping(PROBE_TIMEOUT_MS)) ? ('ok' as const) : ('unreachable' as const)) : ('off' as const);
  const auditAnchor = deps.auditAnchor() ? ('ok' as const) : ('failing' as const);
  const draining = deps.draining();
  return {
    ready: database === 'ok' && redis !== 'unreachable' && auditAnchor === 'ok' && !draining,
    checks: { database, redis, migrations: 'done', auditAnchor, draining },
  };
}

export async function handleReadyz(res: ServerResponse, deps: Parameters<typeof readiness>[0]): Promise<void> {
  const r = await readiness(deps);
  sendJson(res, r.ready ? 200 : 503, r);
}


/** Off (404) without METRICS_TOKEN; with it, only for `Authorization: Bearer <METRICS_TOKEN>`. */
export async function handleMetrics(req: IncomingMessage, res: ServerResponse, metrics: Metrics, token: string | undefined): Promise<void> {
  if (!token) return sendError(res, 'notFound', 'metrics are off (set METRICS_TOKEN)');
  if (!bearerIs(req, token)) return sendError(res, 'unauthenticated', 'missing or wrong Authorization: Bearer <METRICS_TOKEN>');
  const text = await metrics.registry.metrics();
  res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
  res.end(text);
}
