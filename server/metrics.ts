/**
 * Prometheus metrics (prom-client), one registry per server so that several servers in one process
 * (tests) do not share counters. Labels are only ever from fixed sets (frame types, error codes,
 * storage operations, routes): never message text, names or account ids.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Audited, AuditRecord, Storage } from './storage/types';

/** Seconds; sends and storage calls are milliseconds, fan-out across Redis a little more. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  readonly registry = new Registry();
  readonly frames: Counter<'type'>;
  readonly errors: Counter<'code'>;
  readonly sendAck: Histogram;
  readonly storage: Histogram<'op'>;
  readonly storageErrors: Counter<'op'>;
  readonly fanOut: Histogram<'path'>;
  readonly http: Counter<'route' | 'status'>;
  readonly auditHead: Gauge;
  private connectionCount: () => { authenticated: number; pending: number } = () => ({ authenticated: 0, pending: 0 });
  private drainingNow: () => boolean = () => false;
  private notifyQueue: () => Promise<number> = async () => 0;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'medchat_process_' });
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    new Gauge({
      name: 'medchat_ws_connections',
      help: 'Open WebSocket connections, by whether they have authenticated',
      labelNames: ['state'],
      registers,
      collect() {
        const n = self.connectionCount();
        this.set({ state: 'authenticated' }, n.authenticated);
        this.set({ state: 'pending' }, n.pending);
      },
    });
    new Gauge({
      name: 'medchat_draining',
      help: '1 while the server is shutting down (SIGTERM): not ready, finishing what is in flight',
      registers,
      collect() {
        this.set(self.drainingNow() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'medchat_notify_queue',
      help: 'Notifications waiting to be sent or retried (the outbox; 0 when no channel is configured)',
      registers,
      async collect() {
        this.set(await self.notifyQueue());
      },
    });
    this.frames = new Counter({ name: 'medchat_ws_frames_total', help: 'Client frames received, by type (invalid: failed validation)', labelNames: ['type'], registers });
    this.errors = new Counter({ name: 'medchat_ws_errors_total', help: 'Error frames sent, by error code', labelNames: ['code'], registers });
    this.sendAck = new Histogram({
      name: 'medchat_send_ack_seconds',
      help: 'From a send frame received to its ack sent (rules, storage, fan-out)',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.storage = new Histogram({ name: 'medchat_storage_seconds', help: 'Storage calls, by operation', labelNames: ['op'], buckets: LATENCY_BUCKETS, registers });
    this.storageErrors = new Counter({ name: 'medchat_storage_errors_total', help: 'Storage calls that failed, by operation', labelNames: ['op'], registers });
    this.fanOut = new Histogram({
      name: 'medchat_fanout_seconds',
      help: 'Fan-out of a new message: local (members looked up, pushed to this process, published), bus (published elsewhere to received here)',
      labelNames: ['path'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.http = new Counter({ name: 'medchat_http_responses_total', help: 'HTTP answers, by route and status', labelNames: ['route', 'status'], registers });
    this.auditHead = new Gauge({ name: 'medchat_audit_head_seq', help: 'Sequence number of the newest audit record this process appended or found anchored at start', registers });
  }

  /** What the connection and draining gauges read when scraped. */
  observe(sources: { connections: () => { authenticated: number; pending: number }; draining: () => boolean; notifyQueue: () => Promise<number> }): void {
    this.connectionCount = sources.connections;
    this.drainingNow = sources.draining;
    this.notifyQueue = sources.notifyQueue;
  }

  /** The newest checkpoint in the audit anchor file (its last line), so the head is known before the first append. */
  auditHeadFromAnchors(file: string): void {
    try {
      const size = statSync(file).size;
      const length = Math.min(size, 4096);
      const buf = Buffer.alloc(length);
      const fd = openSync(file, 'r');
      try {
        readSync(fd, buf, 0, length, size - length);
      } finally {
        closeSync(fd);
      }
      const last = buf.toString('utf8').trimEnd().split('\n').pop() ?? '';
      const seq = (JSON.parse(last) as { seq?: unknown }).seq;
      if (typeof seq === 'number') this.auditHead.set(seq);
    } catch {
      // No anchor file yet (a new database): the first append sets the head.
    }
  }
}

/** The routes of the HTTP API as metric labels (anything else is `other`, so no path reaches a label). */
export function routeLabel(path: string): string {
  if (path.startsWith('/api/files/')) return '/api/files';
  if (['/api/health', '/healthz', '/readyz', '/metrics', '/api/openapi.json', '/api/upload', '/api/login/link', '/api/logout', '/api/sessions/revoke', '/api/nim/token', '/api/consultations', '/api/consultations/record', '/api/ratings'].includes(path)) {
    return path;
  }
  return path.startsWith('/api/') ? 'other' : 'static';
}

/**
 * The storage with every call timed (and failures counted) by operation; audit appends move the head
 * gauge. It sits on every storage call of every frame, so each operation's wrapper and histogram child
 * are made once, on first use, rather than a closure and a label lookup per call.
 */
export function timedStorage(storage: Storage, metrics: Metrics): Storage {
  const wrappers = new Map<string, (...args: unknown[]) => unknown>();
  const wrap = (prop: string, fn: (...a: unknown[]) => unknown) => {
    const histogram = metrics.storage.labels({ op: prop });
    const seconds = (start: number) => (performance.now() - start) / 1000;
    return (...args: unknown[]) => {
      const start = performance.now();
      const result = fn.apply(storage, args);
      if (!(result instanceof Promise)) {
        histogram.observe(seconds(start));
        return result;
      }
      return result.then(
        (r: unknown) => {
          histogram.observe(seconds(start));
          // A write's own record (Audited) moves the head as appendAudit's does.
          const head = prop === 'appendAudit' ? (r as AuditRecord) : (r as Audited<object> | undefined)?.audit;
          if (head) metrics.auditHead.set(head.seq);
          return r;
        },
        (e: unknown) => {
          histogram.observe(seconds(start));
          metrics.storageErrors.inc({ op: prop });
          throw e;
        },
      );
    };
  };
  return new Proxy(storage, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'close') return value;
      let wrapper = wrappers.get(prop);
      if (!wrapper) wrappers.set(prop, (wrapper = wrap(prop, value as (...a: unknown[]) => unknown)));
      return wrapper;
    },
  });
}
