/**
 * Load generator of the scale row, in its own process (forked by bench/scale.ts): opens the
 * connections, then runs open-loop steps. Each step sends at a fixed rate for a fixed time whatever
 * the acks do (a message is due at start + n / rate; latencies count from when it was due, so a late
 * sender shows as latency, not as a lower offered load), round-robin over the connections, then waits
 * for the step's acks and deliveries (at most DRAIN_MS) before reporting it.
 */
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';

export interface ClientJob {
  kind: 'ours' | 'relay';
  url: string;
  /** ours: one token per connection; connection 2k and 2k+1 are the patient and doctor of consultation k. */
  tokens?: string[];
  connections: number;
  steps: number[];
  stepMs: number;
  drainMs: number;
  /** The server's pid, for its RSS. */
  serverPid: number;
  /** Stop after the first step whose p99 delivery is over 20 times this, or that lost messages. */
  p99LimitMs: number;
}

export interface StepResult {
  rate: number;
  sent: number;
  acked: number;
  errors: number;
  delivered: number;
  seconds: number;
  ack: [number, number, number];
  delivery: [number, number, number];
  rssMiB: number;
  /**
   * The server's CPU time (user and system) from the step's start to the end of its drain, in ms
   * per 1,000 messages sent: what a message costs, which shared cores change far less than latency.
   */
  cpuMsPerK: number;
  clientLagMs: number;
}

const q = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN);
const qs = (xs: number[]): [number, number, number] => {
  const s = xs.sort((a, b) => a - b);
  return [q(s, 0.5), q(s, 0.99), q(s, 0.999)];
};
const rssMiB = (pid: number) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return NaN;
  }
};
/** utime + stime of a process in ms (fields 14 and 15 of /proc/<pid>/stat, in clock ticks of 10 ms). */
const cpuMs = (pid: number) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connect(job: ClientJob, i: number, onFrame: (i: number, text: string) => void): Promise<WebSocket> {
  const url = job.kind === 'relay' ? `${job.url}?c=${i}` : job.url;
  const ws = new WebSocket(url);
  await new Promise<void>((res, rej) => {
    ws.once('error', rej);
    ws.once('open', () => {
      if (job.kind === 'relay') return res();
      ws.send(JSON.stringify({ v: 1, id: 'auth', type: 'auth', token: job.tokens?.[i], deviceId: `scale-${i}` }));
      ws.once('message', (d: Buffer) => {
        const f = JSON.parse(d.toString()) as { type: string };
        if (f.type === 'reply') res();
        else rej(new Error(`auth of connection ${i}: ${d.toString()}`));
      });
    });
  });
  ws.on('message', (d: Buffer) => onFrame(i, d.toString()));
  return ws;
}

async function run(job: ClientJob): Promise<StepResult[]> {
  // Per message: when it was due; acks and deliveries look it up by id.
  const due = new Map<string, number>();
  let step = { acks: [] as number[], deliveries: [] as number[], errors: 0, lastAckAt: 0 };
  let socketErrors = 0;
  const onFrame = (i: number, text: string) => {
    const now = performance.now();
    if (job.kind === 'relay') {
      const f = JSON.parse(text) as { ack?: string; id?: string };
      if (f.ack !== undefined) {
        const t = due.get(f.ack);
        if (t !== undefined) step.acks.push(now - t);
        step.lastAckAt = now;
      } else if (f.id !== undefined) {
        const t = due.get(f.id);
        if (t !== undefined) step.deliveries.push(now - t);
      }
      return;
    }
    const f = JSON.parse(text) as { type: string; id?: string; msg?: { idClient?: string; from?: string } };
    if (f.type === 'reply' && f.id) {
      const t = due.get(f.id);
      if (t !== undefined) step.acks.push(now - t);
      step.lastAckAt = now;
    } else if (f.type === 'error') {
      if (f.id && due.has(f.id)) {
        step.errors++;
        if (process.env.BENCH_VERBOSE && step.errors <= 3) console.error(text);
      }
    } else if (f.type === 'msg' && f.msg?.idClient) {
      // The sender is connection idClient's `s`: count only what reached the other person.
      const t = due.get(f.msg.idClient);
      if (t !== undefined && !f.msg.idClient.endsWith(`-${i}`)) step.deliveries.push(now - t);
    }
  };
  const sockets: WebSocket[] = [];
  for (let from = 0; from < job.connections; from += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, job.connections - from) }, (_, k) => connect(job, from + k, onFrame)),
    );
    for (const ws of batch) {
      ws.on('error', () => socketErrors++);
      ws.on('close', () => socketErrors++);
    }
    sockets.push(...batch);
  }
  const results: StepResult[] = [];
  // Warm-up, not reported: one message from every connection at 1,000/s (first sends of an account
  // pay once for things like sealing its name).
  for (const [s, rate] of [[-1, 1_000], ...job.steps.entries()]) {
    step = { acks: [], deliveries: [], errors: 0, lastAckAt: 0 };
    due.clear();
    const errorsBefore = socketErrors;
    const total = s < 0 ? job.connections : Math.round((rate * job.stepMs) / 1000);
    const start = performance.now();
    const cpuAtStart = cpuMs(job.serverPid);
    let sent = 0;
    let rss = 0;
    let lag = 0;
    let rssAt = start;
    while (sent < total) {
      const now = performance.now();
      const dueNow = Math.min(total, Math.floor(((now - start) * rate) / 1000) + 1);
      // How late the sender is against the schedule: the generator's own limit.
      if (sent < dueNow) lag = Math.max(lag, now - (start + (sent * 1000) / rate));
      for (; sent < dueNow; sent++) {
        const i = sent % job.connections;
        const id = `msg-${s < 0 ? 'w' : s}-${sent}-${i}`;
        due.set(id, start + (sent * 1000) / rate);
        const ws = sockets[i];
        if (job.kind === 'relay') ws.send(JSON.stringify({ id, body: 'bench message' }));
        else
          ws.send(
            JSON.stringify({ v: 1, id, type: 'send', msg: { scene: 'team', to: `scale-${i >> 1}`, type: 'text', body: 'bench message', idClient: id } }),
          );
      }
      if (now - rssAt > 250) {
        rss = Math.max(rss, rssMiB(job.serverPid));
        rssAt = now;
      }
      await sleep(2);
    }
    const sendEnd = performance.now();
    while (performance.now() - sendEnd < job.drainMs && (step.acks.length + step.errors < total || step.deliveries.length < total)) {
      rss = Math.max(rss, rssMiB(job.serverPid));
      await sleep(50);
    }
    const ack = qs(step.acks);
    const delivery = qs(step.deliveries);
    // Refused, or not acked or not delivered within the drain (late, not necessarily lost): counted as
    // errors, as are closed sockets.
    const missing = Math.max(0, total - step.acks.length - step.errors) + Math.max(0, total - step.deliveries.length - step.errors);
    const r: StepResult = {
      rate,
      sent: total,
      acked: step.acks.length,
      errors: step.errors + missing + (socketErrors - errorsBefore),
      delivered: step.deliveries.length,
      // Acked (stored) per second: over the time from the step's start to its last ack.
      seconds: Math.max(job.stepMs, step.lastAckAt - start) / 1000,
      ack,
      delivery,
      rssMiB: rss,
      cpuMsPerK: ((cpuMs(job.serverPid) - cpuAtStart) * 1000) / total,
      clientLagMs: lag,
    };
    if (s < 0) {
      process.send?.({ warmup: r });
      continue;
    }
    results.push(r);
    process.send?.({ progress: r });
    // Far past the limit or losing messages: higher steps would only pile onto this one's backlog.
    if (!(delivery[1] < 20 * job.p99LimitMs) || missing > 0) break;
    await sleep(500);
  }
  for (const ws of sockets) ws.terminate();
  return results;
}

process.once('message', (job: ClientJob) => {
  run(job).then(
    (results) => process.send?.({ results }, () => process.exit(0)),
    (e: unknown) => process.send?.({ error: e instanceof Error ? e.stack : String(e) }, () => process.exit(1)),
  );
});
