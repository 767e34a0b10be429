/**
 * The chat kit's frames with hostile values: every one is answered with a reply or a client error
 * (never `internal`), and the connection keeps working.
 */
import { doctor, patient, SESSION, startConsultationServer, TEAM } from '../helpers/consultation';
import type { TestServer } from '../helpers/server';
import { WsClient } from '../helpers/ws-client';

let server: TestServer;

beforeAll(async () => {
  server = await startConsultationServer();
});

afterAll(() => server.dispose());

const NASTY: unknown[] = [
  null,
  true,
  -1,
  0,
  1.5,
  1e308,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  ' ',
  'x'.repeat(300),
  '\u0000',
  '\ud800',
  "'; DROP TABLE messages; --",
  [],
  ['text', 'text'],
  ['nope'],
  {},
  { __proto__: { admin: true } },
  SESSION,
  'team-c2',
  `p2p-${patient.account}`,
  Buffer.from(JSON.stringify([1, 'team-c1', 1])).toString('base64url'),
  Buffer.from(JSON.stringify([1e20, 'team-c1', -5])).toString('base64url'),
];

test('delivered, search, presence and replyTo with hostile values get replies or client errors, never internal ones', async () => {
  const [d, p] = await Promise.all([WsClient.login(server, doctor), WsClient.login(server, patient)]);
  await p.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body: '第一条', idClient: 'frames-first-1' } });
  const frames: Array<Record<string, unknown>> = [];
  for (const x of NASTY) {
    frames.push({ type: 'delivered', sessionId: x, seq: 1 }, { type: 'delivered', sessionId: SESSION, seq: x });
    frames.push({ type: 'search', text: x, limit: 10 }, { type: 'search', text: '一', limit: x }, { type: 'search', types: x, limit: 10 });
    frames.push({ type: 'search', text: '一', before: x, limit: 10 }, { type: 'search', sessionId: x, text: '一', limit: 10 });
    frames.push({ type: 'presence', visible: x });
    frames.push({ type: 'send', msg: { scene: 'team', to: TEAM, type: 'text', body: '回复', idClient: 'frames-reply-1', replyTo: x } });
    frames.push({ type: 'send', msg: { scene: 'team', to: TEAM, type: 'text', body: '回复', idClient: 'frames-reply-2', replyTo: { idClient: x, seq: 1 } } });
    frames.push({ type: 'send', msg: { scene: 'team', to: TEAM, type: 'text', body: '回复', idClient: 'frames-reply-3', replyTo: { idClient: 'frames-first-1', seq: x } } });
  }
  const codes = new Set<string>();
  for (const [i, f] of frames.entries()) {
    const id = `nasty-${i}`;
    const c = i % 2 ? d : p;
    c.sendRaw(JSON.stringify({ v: 1, id, ...f }));
    const answer = await c.waitFor((x) => (x.type === 'reply' || x.type === 'error') && x.id === id);
    if (answer.type === 'error') codes.add(answer.code);
  }
  expect(codes.has('internal')).toBe(false);
  expect([...codes].sort()).toEqual(expect.arrayContaining(['badFrame', 'forbidden', 'invalidMessage']));
  // Still usable afterwards.
  expect((await p.request('search', { text: '第一条', limit: 10 })).hits.map((m) => m.idClient)).toEqual(['frames-first-1']);
  d.close();
  p.close();
});
