/**
 * Server at scale: 2,000 WebSocket connections in 1,000 two-person consultations (one patient and one
 * doctor each), open-loop offered load stepped up, against a raw two-person `ws` relay (bench/scale-relay.ts)
 * and the floor of a server that stores every message (bench/scale-floor.ts: the relay plus the sealed
 * insert and its audit record, no checks). Each runs in its own process, the load generator in another
 * (bench/scale-client.ts); all share the machine's cores. The accounts, consultations and
 * session tokens are seeded into the server's SQLite file before it starts (the hospital API is
 * limited to 120 calls a minute per address).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { ROOT } from './build';
import type { ClientJob, StepResult } from './scale-client';
import { Auth } from '../server/auth';
import { configFromEnv } from '../server/config';
import { Cipher } from '../server/crypto';
import { SqliteStorage } from '../server/storage/sqlite';
import { spawnServer } from '../tests/helpers/server-process';

const CONSULTATIONS = 1_000;
// Fine enough that the ratio of the two highest steps held means something (with steps that double it
// could only be 0.25, 0.5 or 1). SCALE_STEPS=500,1000 runs other steps.
const STEPS = process.env.SCALE_STEPS ? process.env.SCALE_STEPS.split(',').map(Number) : [500, 1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000, 8_000, 10_000, 12_000, 14_000, 16_000, 18_000, 20_000];
const STEP_MS = 4_000;
const DRAIN_MS = 3_000;
const P99_LIMIT_MS = 50;
// The value spawnServer gives the server: the seeded tokens must verify there.
const JWT_SECRET = 'process-test-secret-process-test-secret';

async function seed(dbPath: string): Promise<string[]> {
  const config = configFromEnv({ ...process.env, DB_PATH: dbPath, JWT_SECRET });
  const storage = new SqliteStorage(config.dbPath, new Cipher(config.dataKeys));
  const auth = new Auth(config.jwtSecret, 3600);
  const tokens: string[] = [];
  for (let k = 0; k < CONSULTATIONS; k++) {
    const patient = { account: `patient-${k}`, name: `患者${k}`, role: 'patient' as const };
    const doctor = { account: `doctor-${k}`, name: `医生${k}`, role: 'doctor' as const };
    await storage.upsertAccount(patient);
    await storage.upsertAccount(doctor);
    await storage.createConsultation({ id: `scale-${k}`, patient: patient.account, doctor: doctor.account, teamName: '图文问诊', consent: { version: 'bench', acceptedAt: 1, by: 'hospital' } });
    tokens.push(await auth.issue(patient), await auth.issue(doctor));
  }
  await storage.close();
  return tokens;
}

function load(job: ClientJob): Promise<{ steps: StepResult[]; warmup?: StepResult }> {
  let warmup: StepResult | undefined;
  const child: ChildProcess = fork(join(__dirname, 'scale-client.ts'), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.on('message', (m: { results?: StepResult[]; error?: string; progress?: StepResult; warmup?: StepResult }) => {
      if (m.warmup) warmup = m.warmup;
      if (m.progress && process.env.BENCH_VERBOSE) console.error(job.kind, JSON.stringify(m.progress));
      if (m.results) resolve({ steps: m.results, warmup });
      if (m.error) reject(new Error(m.error));
    });
    child.once('exit', (code) => reject(new Error(`load generator exited (${code}) without results`)));
    child.send(job);
  });
}

const messageCount = (dbPath: string) => {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

async function ours(): Promise<{ steps: StepResult[]; stored: number; warmAcked: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'medchat-scale-'));
  const dbPath = join(dir, 'chat.sqlite');
  try {
    const tokens = await seed(dbPath);
    // SCALE_PROFILE=<dir>: the server writes a CPU profile of the run there (bench/scale-profile.cjs).
    const profile: Record<string, string> = process.env.SCALE_PROFILE ? { NODE_OPTIONS: `--require ${join(__dirname, 'scale-profile.cjs')}` } : {};
    const server = await spawnServer({ DB_PATH: dbPath, MAX_DEVICES_PER_ACCOUNT: '2', RATE_LIMIT_PER_SEC: '100000', LOG_LEVEL: 'silent', ...profile });
    let result: { steps: StepResult[]; warmAcked: number };
    const before = messageCount(dbPath);
    try {
      const { steps, warmup } = await load({
        kind: 'ours',
        url: `${server.url.replace('http', 'ws')}/ws`,
        tokens,
        connections: 2 * CONSULTATIONS,
        steps: STEPS,
        stepMs: STEP_MS,
        drainMs: DRAIN_MS,
        serverPid: server.child.pid as number,
        p99LimitMs: P99_LIMIT_MS,
      });
      result = { steps, warmAcked: warmup?.acked ?? 0 };
    } finally {
      await server.stop();
    }
    // Counted once the server has stopped: it finishes the frames it has received before it exits,
    // so a backlog at the last step is counted rather than mistaken for lost messages.
    return { ...result, stored: messageCount(dbPath) - before };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A peer of ours speaking the relay's protocol (bench/scale-relay.ts, bench/scale-floor.ts), in its own process. */
async function peer(script: string, env: Record<string, string> = {}): Promise<{ steps: StepResult[]; sent: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, script)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const { port } = await new Promise<{ port: number }>((r) =>
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (l) => r(JSON.parse(l) as { port: number })),
  );
  try {
    const { steps, warmup } = await load({
      kind: 'relay',
      url: `ws://127.0.0.1:${port}`,
      connections: 2 * CONSULTATIONS,
      steps: STEPS,
      stepMs: STEP_MS,
      drainMs: DRAIN_MS,
      serverPid: child.pid as number,
      p99LimitMs: P99_LIMIT_MS,
    });
    return { steps, sent: (warmup?.sent ?? 0) + steps.reduce((n, r) => n + r.sent, 0) };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

/** The floor stores into a file of its own, counted once it has stopped (as ours is). */
async function floor(): Promise<{ steps: StepResult[]; sent: number; stored: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'medchat-floor-'));
  const dbPath = join(dir, 'floor.sqlite');
  try {
    const run = await peer('scale-floor.ts', { FLOOR_DB: dbPath });
    return { ...run, stored: messageCount(dbPath) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const held = (r: StepResult) => r.errors === 0 && r.delivery[1] < P99_LIMIT_MS;
const highest = (steps: StepResult[]) => steps.filter(held).reduce((m, r) => Math.max(m, r.rate), 0);
const ms = (n: number) => (Number.isNaN(n) ? '–' : n < 10 ? n.toFixed(1) : Math.round(n).toString());
const stepLine = (r: StepResult) =>
  `${r.rate.toLocaleString('en')}/s: ${Math.round(r.acked / r.seconds).toLocaleString('en')} acked/s, ack p50/p99/p99.9 ${ms(r.ack[0])}/${ms(r.ack[1])}/${ms(r.ack[2])} ms, ` +
  `delivery ${ms(r.delivery[0])}/${ms(r.delivery[1])}/${ms(r.delivery[2])} ms, errors ${r.errors}, RSS ${Math.round(r.rssMiB)} MiB, server CPU ${Math.round(r.cpuMsPerK)} ms per 1,000 msgs, sender lag ≤ ${ms(r.clientLagMs)} ms${held(r) ? '' : ' (missed)'}`;

const storedLine = (who: string, stored: number, sent: number) =>
  `  ${who} stored ${stored.toLocaleString('en')} of ${sent.toLocaleString('en')} messages sent (warm-up included)${stored === sent ? ': every message stored' : ''}`;

/** SCALE_ONLY=ours,floor (any of ours, floor, relay) runs only those; the ratios need the relay. */
export async function benchScale(): Promise<string[]> {
  const only = process.env.SCALE_ONLY?.split(',');
  const runs = (who: string) => !only || only.includes(who);
  const relay = runs('relay') ? await peer('scale-relay.ts') : undefined;
  const base = runs('floor') ? await floor() : undefined;
  const our = runs('ours') ? await ours() : undefined;
  const last = (xs: StepResult[]) => (xs.length && held(xs[xs.length - 1]) && xs[xs.length - 1].rate === STEPS.at(-1) ? ' (the highest step offered)' : '');
  const top = (who: string, steps: StepResult[] | undefined) => (steps ? [`${who} ${highest(steps).toLocaleString('en')}/s${last(steps)}`] : []);
  const hr = relay && highest(relay.steps);
  const ratio = (who: string, steps: StepResult[] | undefined) => (steps && hr ? [`${who} ${(highest(steps) / hr).toFixed(2)}`] : []);
  const lines = [
    `scale (${2 * CONSULTATIONS} connections in ${CONSULTATIONS} two-person consultations, open loop, ${STEP_MS / 1000} s a step after an unmeasured warm-up of one message per connection; the relay, the floor (the relay storing each message, sealed and audited, with no checks), ours and the load generator each in its own process, on the same cores):`,
  ];
  if (our) {
    const acked = our.warmAcked + our.steps.reduce((n, r) => n + r.acked, 0);
    const sent = 2 * CONSULTATIONS + our.steps.reduce((n, r) => n + r.sent, 0);
    lines.push(
      ...our.steps.map((r) => `  ours ${stepLine(r)}`),
      `${storedLine('ours', our.stored, sent)}; ${acked.toLocaleString('en')} acked within ${DRAIN_MS / 1000} s of their step's end (a later ack counts as an error above)`,
    );
  }
  if (base) lines.push(...base.steps.map((r) => `  floor ${stepLine(r)}`), storedLine('floor', base.stored, base.sent));
  if (relay) lines.push(...relay.steps.map((r) => `  relay ${stepLine(r)}`));
  lines.push(
    `  highest step held at p99 delivery < ${P99_LIMIT_MS} ms with no errors: ${[...top('ours', our?.steps), ...top('floor', base?.steps), ...top('relay', relay?.steps)].join(', ')}`,
    `  against the relay's: ${[...ratio('ours', our?.steps), ...ratio('floor', base?.steps)].join(', ') || '–'}`,
  );
  return lines;
}

if (process.argv[1]?.endsWith('scale.ts')) {
  benchScale().then(
    (rows) => rows.forEach((r) => console.log(r)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
