/**
 * Fuzz: thousands of malformed, mutated and hostile WebSocket frames and HTTP requests at a real
 * server, while a patient and a doctor keep chatting. Every frame gets exactly one answer (an error
 * for the bad ones), no request gets a 5xx, nothing of it is stored, and the chat loses nothing.
 * The generator is seeded and prints its seed, so a failure can be replayed (FUZZ_SEED=…).
 */
import { WebSocket } from 'ws';
import type { PushFrame, ServerFrame } from '../../types/protocol';
import { doctor, patient, SESSION, startConsultationServer, stranger, TEAM } from '../helpers/consultation';
import { png } from '../helpers/fixtures';
import { WsClient, type TestServer } from '../helpers/server';

jest.setTimeout(120_000);

const FRAMES = 3_000;
const REQUESTS = 600;

/** mulberry32: small, fast, good enough to fuzz with, and replayable. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const rand = rng(SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];

const NASTY_STRINGS = [
  '',
  ' ',
  '../../etc/passwd',
  '..\\..\\windows',
  'team-c1',
  'p2p-patient-li',
  `team-${TEAM}`,
  'team-../../x',
  '<script>alert(1)</script>',
  "'; DROP TABLE messages; --",
  '\u0000\u0001\u001f',
  '\ud800',
  '𝕏'.repeat(50),
  '头'.repeat(20_000),
  'a'.repeat(70_000),
  '__proto__',
  'constructor',
  'enc1:local:AAAA',
];
const NASTY_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  -0,
  Number.MAX_SAFE_INTEGER + 2,
  [],
  {},
  [1, [2, [3]]],
  { __proto__: { admin: true } },
  JSON.parse('{"__proto__": {"polluted": 1}}'),
  ...NASTY_STRINGS,
];

/** encodeURIComponent refuses lone surrogates; send their UTF-8 bytes raw, as a hostile client would. */
function encodeAny(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
}

const TYPES = ['auth', 'renew', 'send', 'history', 'sync', 'markRead', 'recall', 'typing', 'ping', 'consultation', 'nope', ''];

function validish(): Record<string, unknown> {
  const id = `f${int(1e9)}`;
  switch (pick(TYPES)) {
    case 'send':
      return {
        v: 1,
        id,
        type: 'send',
        msg: {
          scene: pick(['team', 'p2p', 'x']),
          to: pick([TEAM, patient.account, 'nobody']),
          type: pick(['text', 'image', 'audio', 'video', 'file', 'geo', 'custom', 'tip', 'notification']),
          body: pick(NASTY_STRINGS),
          attach: pick([undefined, { fileId: pick(NASTY_STRINGS) }, { card: 'prescription', drugs: pick(NASTY_VALUES) }, { lat: pick(NASTY_VALUES), lng: 1, title: 'x' }, pick(NASTY_VALUES)]),
          idClient: pick([`fz-${int(1e9)}-abcdef`, ...NASTY_STRINGS]),
        },
      };
    case 'history':
      return { v: 1, id, type: 'history', sessionId: pick([SESSION, ...NASTY_STRINGS]), limit: pick(NASTY_VALUES), beforeSeq: pick(NASTY_VALUES) };
    case 'sync':
      return { v: 1, id, type: 'sync', cursors: pick([{ [SESSION]: pick(NASTY_VALUES) }, pick(NASTY_VALUES)]) };
    case 'auth':
      return { v: 1, id, type: 'auth', token: pick(NASTY_STRINGS) };
    case 'consultation':
      return { v: 1, id, type: 'consultation', sessionId: SESSION, action: pick(['close', 'accept', 'cancel', 'delete', ...NASTY_STRINGS]) };
    default:
      return { v: pick([1, 1, 1, 2, '1', null]), id, type: pick(TYPES), sessionId: pick(NASTY_STRINGS), seq: pick(NASTY_VALUES) };
  }
}

/** A frame as text: mutated valid-looking frames, broken JSON, non-objects, random bytes. */
function fuzzFrame(): string | Buffer {
  switch (int(8)) {
    case 0:
      return Buffer.from(Array.from({ length: int(200) }, () => int(256)));
    case 1:
      return JSON.stringify(validish()).slice(0, int(80));
    case 2:
      return JSON.stringify(pick(NASTY_VALUES));
    case 3: {
      const f = validish();
      delete f[pick(Object.keys(f))];
      return JSON.stringify(f);
    }
    case 4: {
      const f = validish();
      f[pick([...Object.keys(f), 'extra', '__proto__'])] = pick(NASTY_VALUES);
      return JSON.stringify(f);
    }
    case 5: {
      let nested: unknown = 1;
      for (let i = 0; i < 2_000; i++) nested = [nested];
      return `{"v":1,"id":"deep","type":"ping","x":${JSON.stringify(nested)}}`;
    }
    default:
      return JSON.stringify(validish());
  }
}

let server: TestServer;

beforeAll(async () => {
  server = await startConsultationServer({ sendsPerSecond: 10_000 });
});

afterAll(async () => {
  await server?.dispose();
});

/** A raw socket that counts the replies and errors it gets. */
async function rawSocket(): Promise<{ ws: WebSocket; answers: () => number; pushes: PushFrame[] }> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws`);
  let answers = 0;
  const pushes: PushFrame[] = [];
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as ServerFrame;
    if (f.type === 'reply' || f.type === 'error') answers++;
    else pushes.push(f);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return { ws, answers: () => answers, pushes };
}

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test(`${FRAMES} malformed frames and ${REQUESTS} hostile requests: every one answered, the chat goes on`, async () => {
  console.log(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
  const p = await WsClient.login(server, patient);
  const d = await WsClient.login(server, doctor);
  const anonymous = await rawSocket();
  const outsider = await rawSocket();
  outsider.ws.send(JSON.stringify({ v: 1, id: 'login', type: 'auth', token: await server.auth.issue(stranger) }));
  await until(() => outsider.answers() === 1, 'outsider login');

  // The chat that must not notice: the patient sends while the fuzz runs.
  const chat = (async () => {
    for (let i = 0; i < 60; i++) {
      await p.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body: `第${i}条`, idClient: `chat-${i}-abcdefgh` } });
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  // Awaited below; if the test fails before that, its rejection must not surface in another suite.
  chat.catch(() => undefined);

  const sent = { anonymous: 0, outsider: 0 };
  for (let i = 0; i < FRAMES; i++) {
    const target = i % 2 ? outsider : anonymous;
    target.ws.send(fuzzFrame());
    sent[i % 2 ? 'outsider' : 'anonymous']++;
    if (i % 200 === 0) await new Promise((r) => setImmediate(r));
  }

  const imageBytes = await png(8, 8);
  const statuses: number[] = [];
  const outsiderToken = await server.auth.issue(stranger);
  for (let i = 0; i < REQUESTS; i++) {
    const kind = int(6);
    const headers: Record<string, string> = {};
    let path = pick(['/api/upload', '/api/files/', '/api/login/link', '/api/consultations', '/api/nope', '/api/files/../../chat.sqlite']);
    let body: BodyInit | undefined;
    let method = pick(['GET', 'POST', 'PUT', 'DELETE', 'HEAD']);
    if (kind === 0) {
      method = 'POST';
      path = `/api/upload?kind=${pick(['image', 'file', 'audio', 'exe', ''])}&dur=${pick(['1', '-1', 'x', ''])}&name=${encodeAny(pick(NASTY_STRINGS).slice(0, 300))}`;
      headers.authorization = `Bearer ${pick([outsiderToken, 'x', ''])}`;
      const form = new FormData();
      form.append(pick(['file', 'other']), new Blob([pick([new Uint8Array(imageBytes.subarray(0, int(imageBytes.length))), new Uint8Array(int(500))])]), pick(NASTY_STRINGS).slice(0, 100));
      body = form;
    } else if (kind === 1) {
      path = `/api/files/${pick(['0', '00000000-0000-0000-0000-000000000000', '%2e%2e%2fchat.sqlite', 'x'.repeat(300)])}?v=${pick(['orig', 'thumb', 'x'])}&exp=${pick(['0', '99999999999999', 'x'])}&sig=${pick(['', 'AAAA', 'x'.repeat(43)])}`;
      headers.range = pick(['bytes=0-1', 'bytes=-5', 'bytes=9-1', 'junk']);
    } else if (kind === 2) {
      method = 'POST';
      path = pick(['/api/login/link', '/api/consultations']);
      body = pick([JSON.stringify(validish()), '{', JSON.stringify({ link: pick(NASTY_STRINGS) }), 'x'.repeat(20_000)]);
      headers['content-type'] = pick(['application/json', 'text/plain', 'multipart/form-data; boundary=zz']);
      headers.authorization = pick(['Bearer x', '', 'Basic YTpi']);
    } else if (kind === 3) {
      method = 'POST';
      path = '/api/upload?kind=image';
      headers['content-type'] = pick(['multipart/form-data', 'multipart/form-data; boundary=', 'application/json']);
      headers.authorization = `Bearer ${outsiderToken}`;
      body = pick(['--x\r\n\r\n', '', '{"a":1}']);
    }
    if (method === 'GET' || method === 'HEAD') body = undefined;
    const res = await fetch(server.url + path, { method, headers, body }).catch(() => undefined);
    statuses.push(res?.status ?? 0);
    await res?.arrayBuffer().catch(() => undefined);
  }

  await chat;
  await until(() => anonymous.answers() === sent.anonymous && outsider.answers() === sent.outsider + 1, 'an answer to every frame');
  // Nothing the outsider or the anonymous socket sent reached the consultation.
  expect(anonymous.pushes).toEqual([]);
  expect(outsider.pushes.filter((f) => f.type === 'msg')).toEqual([]);

  expect(statuses.filter((s) => s === 0 || s >= 500)).toEqual([]);
  expect((await fetch(`${server.url}/api/health`)).status).toBe(200);

  // The chat lost nothing and holds nothing else.
  await until(() => d.pushes.filter((f) => f.type === 'msg').length === 60, 'the doctor got all 60');
  const page = await d.request('history', { sessionId: SESSION, limit: 100 });
  expect(page.msgs.map((m) => m.body)).toEqual(Array.from({ length: 60 }, (_, i) => `第${i}条`));
  expect(page.msgs.map((m) => m.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  await expect(d.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body: '收到', idClient: 'after-fuzz-1' } })).resolves.toMatchObject({ seq: 61 });

  for (const s of [anonymous, outsider]) s.ws.close();
  p.close();
  d.close();
});
