/**
 * Message search on our server: authorization before anything is opened (a patient never searches
 * another patient's consultation; the doctor of both searches both), matching over the opened bodies,
 * card titles and file names, newest first, paging by an opaque cursor, the page and scan limits, clear
 * errors for bad requests, and a log that holds ids and counts but never the text.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { ChatService } from '../../server/chat';
import type { Audit } from '../../server/audit';
import type { FileService } from '../../server/files/service';
import { DEFAULT_WORDS, Moderator } from '../../server/moderation';
import { SEARCH_SCAN_MAX } from '../../server/search';
import { teamConvId } from '../../server/storage/types';
import type { Account, OutgoingMessage, Role } from '../../types/message';
import { SEARCH_PAGE_MAX, SEARCH_TEXT_MAX } from '../../types/protocol';
import { CONSENTED, doctor, patient, SESSION, stranger, TEAM } from '../helpers/consultation';
import { pdf } from '../helpers/fixtures';
import { startTestServer, type TestServer } from '../helpers/server';
import { uploadAs } from '../helpers/upload';
import { expectError, WsClient } from '../helpers/ws-client';

let server: TestServer;
let logged: string[];
const open: WsClient[] = [];

beforeEach(async () => {
  logged = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push(chunk.toString());
      done();
    },
  });
  server = await startTestServer({}, pino({ level: 'debug' }, sink));
  for (const a of [doctor, patient, stranger]) await server.storage.upsertAccount(a);
  await server.storage.createConsultation({ id: TEAM, patient: patient.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
  await server.storage.createConsultation({ id: 'c2', patient: stranger.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
});

afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await server.dispose();
});

async function login(...accounts: Account[]) {
  const cs = await Promise.all(accounts.map((a) => WsClient.login(server, a)));
  open.push(...cs);
  return cs;
}

let n = 0;
const say = (c: WsClient, to: string, body: string, over: Partial<OutgoingMessage> = {}) =>
  c.request('send', { msg: { scene: 'team', to, type: 'text', body, idClient: `search-msg-${++n}`, ...over } });

test('a patient finds only their own consultation’s messages; the doctor of both finds both; nobody searches a consultation they are not in', async () => {
  const [d, p, s] = await login(doctor, patient, stranger);
  await say(p, TEAM, '最近总是头痛');
  await say(s, 'c2', '我也头痛，还发烧');
  await say(d, TEAM, '头痛多久了？');
  const mine = await p.request('search', { text: '头痛', limit: 10 });
  expect(mine.hits.map((m) => m.body)).toEqual(['头痛多久了？', '最近总是头痛']);
  expect(mine.hits.every((m) => m.sessionId === SESSION)).toBe(true);
  expect(mine.next).toBeUndefined();
  expect((await s.request('search', { text: '头痛', limit: 10 })).hits.map((m) => m.body)).toEqual(['我也头痛，还发烧']);
  const both = await d.request('search', { text: '头痛', limit: 10 });
  expect(both.hits.map((m) => m.body).sort()).toEqual(['头痛多久了？', '我也头痛，还发烧', '最近总是头痛'].sort());
  for (let i = 1; i < both.hits.length; i++) expect(both.hits[i - 1].time).toBeGreaterThanOrEqual(both.hits[i].time);
  // Naming the other consultation is refused before anything is read.
  await expectError(p.request('search', { sessionId: 'team-c2', text: '头痛', limit: 10 }), 'forbidden');
  await expectError(p.request('search', { sessionId: `p2p-${stranger.account}`, text: '头痛', limit: 10 }), 'forbidden');
  // Nor does a cursor of the other patient's search open it.
  const theirs = await s.request('search', { text: '头痛', limit: 1 });
  expect(theirs.next).toEqual(expect.any(String));
  await expectError(p.request('search', { text: '头痛', before: theirs.next as string, limit: 10 }), 'badFrame');
});

test('matches: text case-insensitively, card titles, file names; by type; never recalled messages nor the words of a quote', async () => {
  const [d, p] = await login(doctor, patient);
  const up = await uploadAs(server, patient, 'file', 'Blood-Report.pdf', pdf());
  const file = await say(p, TEAM, '', { type: 'file', attach: { fileId: up.body.fileId } });
  await say(d, TEAM, '', { type: 'custom', attach: { card: 'summary', complaint: '咳嗽', diagnosis: '上呼吸道感染', advice: '多喝水' } });
  const gone = await say(p, TEAM, '撤回的 report 一条');
  await p.request('recall', { sessionId: SESSION, idClient: gone.idClient });
  await say(d, TEAM, '看到你的 REPORT 了', { replyTo: { idClient: file.idClient, seq: file.seq } });
  expect((await p.request('search', { text: 'report', limit: 10 })).hits.map((m) => m.type)).toEqual(['text', 'file']);
  expect((await p.request('search', { text: '小结', limit: 10 })).hits.map((m) => m.type)).toEqual(['custom']);
  expect((await p.request('search', { sessionId: SESSION, types: ['file', 'custom'], limit: 10 })).hits.map((m) => m.type)).toEqual(['custom', 'file']);
  expect((await p.request('search', { text: 'report', types: ['file'], limit: 10 })).hits.map((m) => m.idClient)).toEqual([file.idClient]);
  // The reply's quote says [文件]; searching for it finds nothing, the quote is not the reply's text.
  expect((await p.request('search', { text: '[文件]', limit: 10 })).hits).toEqual([]);
});

test('pages go newest first with an opaque cursor until nothing is left', async () => {
  const [d, p] = await login(doctor, patient);
  for (let i = 1; i <= 7; i++) await say(i % 2 ? p : d, TEAM, `复查第${i}次`);
  await say(p, TEAM, '无关的一条');
  const seen: string[] = [];
  let before: string | undefined;
  const pages: number[] = [];
  do {
    const page = await p.request('search', { sessionId: SESSION, text: '复查', limit: 3, ...(before ? { before } : {}) });
    pages.push(page.hits.length);
    seen.push(...page.hits.map((m) => m.body));
    before = page.next;
  } while (before);
  expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1].map((i) => `复查第${i}次`));
  expect(pages).toEqual([3, 3, 1]);
});

test('a search opens at most SEARCH_SCAN_MAX rows per request and says where to go on', async () => {
  const [p] = await login(patient);
  await say(p, TEAM, '最早的那条关键字');
  const conv = { id: teamConvId(TEAM), scene: 'team' as const, teamId: TEAM };
  await Promise.all(
    Array.from({ length: SEARCH_SCAN_MAX + 10 }, (_, i) =>
      server.storage.appendMessage({ conv, idClient: `filler-${i}`, from: patient.account, scene: 'team', to: TEAM, type: 'text', body: `填充 ${i}`, members: [] }),
    ),
  );
  const first = await p.request('search', { text: '关键字', limit: 5 });
  expect(first.hits).toEqual([]);
  expect(first.next).toEqual(expect.any(String));
  const second = await p.request('search', { text: '关键字', before: first.next, limit: 5 });
  expect(second.hits.map((m) => m.body)).toEqual(['最早的那条关键字']);
  expect(second.next).toBeUndefined();
  const line = logged.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'search');
  expect(line.map((l) => l.scanned)).toEqual([SEARCH_SCAN_MAX, 11]);
});

test('bad searches get clear errors: page size, text length, blank text, nothing to search by, a made-up cursor', async () => {
  const [p] = await login(patient);
  expect(await expectError(p.request('search', { text: '头痛', limit: SEARCH_PAGE_MAX + 1 }), 'badFrame')).toContain('limit');
  expect(await expectError(p.request('search', { text: '痛'.repeat(SEARCH_TEXT_MAX + 1), limit: 10 }), 'badFrame')).toContain(`at most ${SEARCH_TEXT_MAX}`);
  expect(await expectError(p.request('search', { text: '   ', limit: 10 }), 'badFrame')).toContain('at least');
  expect(await expectError(p.request('search', { limit: 10 }), 'badFrame')).toContain('by text, by types');
  expect(await expectError(p.request('search', { types: ['notification'], limit: 10 }), 'badFrame')).toContain('types');
  expect(await expectError(p.request('search', { text: '头痛', before: 'not-a-cursor', limit: 10 }), 'badFrame')).toContain('cursor');
  // Exactly SEARCH_TEXT_MAX characters (emoji count as one) is fine.
  expect((await p.request('search', { text: '🙂'.repeat(SEARCH_TEXT_MAX), limit: SEARCH_PAGE_MAX })).hits).toEqual([]);
});

test('a search is logged with ids and counts, never its text nor what it found', async () => {
  const [p] = await login(patient);
  await say(p, TEAM, '我的隐私病情甲状腺结节');
  const { hits } = await p.request('search', { text: '甲状腺结节', limit: 10 });
  expect(hits).toHaveLength(1);
  const all = logged.join('\n');
  expect(all).not.toContain('甲状腺');
  const line = logged.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'search');
  expect(line).toMatchObject({ account: patient.account, conversations: 1, scanned: 1, hits: 1 });
});

test('search reads only for patients and doctors: any other role is refused in the one place that says who reads what', async () => {
  const chat = new ChatService(server.storage, {} as FileService, {} as Audit, new Moderator(DEFAULT_WORDS, 'mask'));
  const pharmacist = { account: 'pharm-1', name: '药师', role: 'pharmacist' as Role };
  await expect(chat.search(pharmacist, { text: '处方', limit: 10 })).rejects.toMatchObject({ code: 'forbidden' });
  await expect(chat.history(pharmacist, SESSION, undefined, 10)).rejects.toMatchObject({ code: 'forbidden' });
  expect((await chat.search(patient, { text: '处方', limit: 10 })).hits).toEqual([]);
});
