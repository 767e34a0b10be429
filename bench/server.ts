/**
 * Server throughput and latency: N connections (two accounts, N/2 devices each, in one consultation)
 * each send messages one after another (the next after the ack); every message reaches the other
 * N-1 connections. Our server (own process, SQLite, auth, validation, encryption at rest, audit-free
 * send path) against a raw `ws` relay doing only the fan-out (own process, no storage): the ceiling.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';
import { spawnServer } from '../tests/helpers/server-process';

const ROOT = resolve(__dirname, '..');
const CONNECTIONS = 20;
const SENDS_EACH = 400;

interface Result {
  seconds: number;
  delivered: number;
  latencies: number[];
}

/** A wire dialect: how to sign in, send one text and recognise acks and deliveries. */
interface Dialect {
  url: string;
  hello(i: number): string | undefined;
  send(id: string, body: string): string;
  /** The id acked, or the delivered body, or nothing. */
  read(frame: string): { ack?: string; body?: string };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function run(d: Dialect): Promise<Result> {
  const sockets = await Promise.all(
    Array.from({ length: CONNECTIONS }, (_, i) =>
      new Promise<WebSocket>((res, rej) => {
        const ws = new WebSocket(d.url);
        ws.once('open', () => {
          const hello = d.hello(i);
          if (!hello) return res(ws);
          ws.send(hello);
          ws.once('message', () => res(ws));
        });
        ws.once('error', rej);
      }),
    ),
  );
  const latencies: number[] = [];
  let delivered = 0;
  const expected = CONNECTIONS * SENDS_EACH * (CONNECTIONS - 1);
  let allDelivered!: () => void;
  const done = new Promise<void>((r) => (allDelivered = r));
  const started = performance.now();
  await Promise.all(
    sockets.map(
      (ws, i) =>
        new Promise<void>((finish) => {
          let n = 0;
          const next = () => {
            if (n === SENDS_EACH) return finish();
            n++;
            ws.send(d.send(`b${i}-${n}-msg`, `t=${performance.now()}`));
          };
          ws.on('message', (data: Buffer) => {
            const { ack, body } = d.read(data.toString());
            if (ack) next();
            if (body?.startsWith('t=')) {
              latencies.push(performance.now() - Number(body.slice(2)));
              if (++delivered === expected) allDelivered();
            }
          });
          next();
        }),
    ),
  );
  await done;
  const seconds = (performance.now() - started) / 1000;
  for (const ws of sockets) ws.close();
  return { seconds, delivered, latencies: latencies.sort((a, b) => a - b) };
}

async function ours(): Promise<Result> {
  const server = await spawnServer({ MAX_DEVICES_PER_ACCOUNT: String(CONNECTIONS), RATE_LIMIT_PER_SEC: '100000', LOG_LEVEL: 'silent' });
  try {
    return await run({
      url: `${server.url.replace('http', 'ws')}/ws`,
      hello: (i) => JSON.stringify({ v: 1, id: 'auth', type: 'auth', token: i % 2 ? server.tokens.patient : server.tokens.doctor, deviceId: `bench-${i}` }),
      send: (id, body) => JSON.stringify({ v: 1, id, type: 'send', msg: { scene: 'team', to: 'demo-consultation', type: 'text', body, idClient: id } }),
      read: (frame) => {
        const f = JSON.parse(frame) as { type: string; id?: string; msg?: { body: string } };
        return f.type === 'reply' ? { ack: f.id } : f.type === 'msg' ? { body: f.msg?.body } : {};
      },
    });
  } finally {
    await server.stop();
  }
}

async function relay(): Promise<Result> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'relay.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const { port } = await new Promise<{ port: number }>((r) =>
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (l) => r(JSON.parse(l) as { port: number })),
  );
  try {
    return await run({
      url: `ws://127.0.0.1:${port}`,
      hello: () => undefined,
      send: (id, body) => JSON.stringify({ id, body }),
      read: (frame) => {
        const f = JSON.parse(frame) as { ack?: string; body?: string };
        return f.ack ? { ack: f.ack } : { body: f.body };
      },
    });
  } finally {
    child.kill('SIGTERM');
  }
}

export async function benchServer(): Promise<string[]> {
  const relayResult = await relay();
  const ourResult = await ours();
  const rate = (r: Result) => r.delivered / r.seconds;
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const line = (name: string, r: Result) =>
    `${name} ${Math.round(rate(r)).toLocaleString('en')} delivered/s, p50 ${ms(quantile(r.latencies, 0.5))}, p99 ${ms(quantile(r.latencies, 0.99))}`;
  return [
    `server (${CONNECTIONS} connections, ${(CONNECTIONS * SENDS_EACH).toLocaleString('en')} sends, each to ${CONNECTIONS - 1}): ${line('ours', ourResult)}; ${line('raw ws relay', relayResult)}; throughput ratio ${(rate(ourResult) / rate(relayResult)).toFixed(2)}, p99 ratio ${(quantile(ourResult.latencies, 0.99) / quantile(relayResult.latencies, 0.99)).toFixed(2)}`,
  ];
}
