/**
 * /healthz, /readyz and /metrics on a real server (SQLite): the metrics parse as Prometheus text,
 * their counters move when messages flow, they carry no message text, and they need METRICS_TOKEN.
 * SIGTERM's drain: readiness drops, frames in flight are answered, clients get close code 1012.
 */
import Database from 'better-sqlite3';
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { CLOSE_RESTART } from '../../types/protocol';
import { doctor, patient, startConsultationServer, TEAM } from '../helpers/consultation';
import { WsClient, type RequestError, type TestServer } from '../helpers/server';

const METRICS_TOKEN = 'metrics-token-metrics-token-metrics';

let server: TestServer;
const clients: WsClient[] = [];

beforeEach(async () => {
  server = await startConsultationServer({ metricsToken: METRICS_TOKEN });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.dispose();
});

async function login(who: typeof patient): Promise<WsClient> {
  const c = await WsClient.login(server, who);
  clients.push(c);
  return c;
}

async function scrape(): Promise<PromFamily[]> {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusTextFormat(await res.text());
}

/**
 * A labelled histogram's `_count` from the text itself: parse-prometheus-text-format folds a histogram
 * family's samples into one as if it had no labels besides `le`.
 */
function histogramCount(text: string, name: string, label: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}_count{`) && l.includes(label));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Every sample line as the exposition format has it: name, optional labels, a number. */
const SAMPLE_LINE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|[+-]Inf|NaN)$/;

function sample(families: PromFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  if (!family) throw new Error(`no metric ${name}`);
  const m = family.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  if (!m) return 0;
  return Number(m.value ?? m.count);
}

test('/healthz answers while the process is up; /readyz names what it checked', async () => {
  const health = await fetch(`${server.url}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ ok: true });
  const ready = await fetch(`${server.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ ready: true, checks: { database: 'ok', redis: 'off', migrations: 'done', auditAnchor: 'ok', draining: false } });
});

test('/metrics is off without METRICS_TOKEN and refuses a missing or wrong token', async () => {
  expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
  expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  const off = await startConsultationServer();
  try {
    expect((await fetch(`${off.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(404);
  } finally {
    await off.dispose();
  }
});

test('/metrics parses as Prometheus text and its counters move when messages flow; no message text in it', async () => {
  const before = await scrape();
  const p = await login(patient);
  const d = await login(doctor);
  const secret = '我的病历号是 12345';
  for (let i = 0; i < 3; i++) {
    await p.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body: `${secret} ${i}`, idClient: `metrics-${i}` } });
  }
  const refused = await p.request('recall', { sessionId: 'team-nope', idClient: 'x-unknown-1' }).then(
    () => undefined,
    (e: RequestError) => e.frame.code,
  );
  expect(refused).toBeDefined();
  await d.waitFor((f) => f.type === 'msg' && f.msg.idClient === 'metrics-2');
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const text = await res.text();
  expect(text).not.toContain('12345');
  expect(text).not.toContain(patient.account);
  expect(text).not.toContain(patient.name);
  const after = parsePrometheusTextFormat(text);
  for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) expect(line).toMatch(SAMPLE_LINE);
  expect(sample(after, 'medchat_ws_frames_total', { type: 'send' }) - sample(before, 'medchat_ws_frames_total', { type: 'send' })).toBe(3);
  expect(sample(after, 'medchat_ws_frames_total', { type: 'auth' })).toBe(2);
  expect(sample(after, 'medchat_send_ack_seconds')).toBe(3);
  expect(histogramCount(text, 'medchat_fanout_seconds', 'path="local"')).toBe(3);
  expect(histogramCount(text, 'medchat_storage_seconds', 'op="appendMessage"')).toBe(3);
  expect(sample(after, 'medchat_ws_errors_total', { code: refused as string })).toBe(1);
  expect(sample(after, 'medchat_ws_connections', { state: 'authenticated' })).toBe(2);
  // Logins and sends are audited: the head moved past where it was.
  expect(sample(after, 'medchat_audit_head_seq')).toBeGreaterThanOrEqual(5);
  // No notification channel is configured here: nothing waits in the outbox.
  expect(sample(after, 'medchat_notify_queue')).toBe(0);
  expect(sample(after, 'medchat_http_responses_total', { route: '/metrics', status: '200' })).toBeGreaterThanOrEqual(1);
  expect(after.find((f) => f.name === 'medchat_send_ack_seconds')?.type).toBe('HISTOGRAM');
});

test('shutdown: sends taken before it are stored and acked, later ones are left for another process, then clients get 1012', async () => {
  const p = await login(patient);
  const closed = new Promise<number>((resolve) => p.ws.once('close', (code) => resolve(code)));
  const ids = Array.from({ length: 30 }, (_, i) => `drain-test-${i}`);
  const first = p.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body: 'first', idClient: ids[0] } });
  for (const id of ids.slice(1)) void p.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body: id, idClient: id } });
  await first;
  await server.shutdown(5_000);
  expect(await closed).toBe(CLOSE_RESTART);
  const replies = p.frames.flatMap((f) => (f.type === 'reply' ? [f.data as { idClient?: string }] : []));
  const acked = new Set(replies.flatMap((d) => (d.idClient ? [d.idClient] : [])));
  expect(acked.size).toBeGreaterThan(0);
  expect(p.frames.filter((f) => f.type === 'error')).toEqual([]);
  // Nothing stored without its ack having gone out (the client would send it again elsewhere, where it
  // is deduplicated; still, a drained process leaves nothing half done).
  const db = new Database(server.dbPath, { readonly: true });
  const stored = db.prepare('SELECT id_client FROM messages WHERE conv_id = ?').all(`team-${TEAM}`) as Array<{ id_client: string }>;
  db.close();
  expect(new Set(stored.map((r) => r.id_client))).toEqual(acked);
});
