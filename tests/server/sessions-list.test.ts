/**
 * A doctor's sessions list at a hospital's scale, on a real server and SQLite file: a sync lists what the
 * workbench shows (waiting, in progress, closed since yesterday, a 追问 unanswered), an older
 * consultation comes by `sessions {ids}` when it is opened or found, and a consultation the hospital
 * opens reaches a workbench already on screen. A fetch by id reads only what it names, and a device
 * drops a session it holds that the person may no longer open.
 */
import Database from 'better-sqlite3';
import type { Audit } from '../../server/audit';
import { ChatService } from '../../server/chat';
import type { FileService } from '../../server/files/service';
import { DEFAULT_WORDS, Moderator } from '../../server/moderation';
import type { Storage } from '../../server/storage/types';
import { p2pConvId } from '../../server/storage/types';
import type { Account } from '../../types/message';
import { SESSIONS_BY_ID_MAX } from '../../types/protocol';
import { ChatClient, until } from '../helpers/chat-client';
import { CONSENTED, serverPerTest } from '../helpers/consultation';
import { postJson } from '../helpers/post-json';
import { ADMIN_API_KEY, outcome, startTestServer } from '../helpers/server';

const doctor: Account = { account: 'doc-list', name: '钱医生', role: 'doctor' };
const other: Account = { account: 'doc-else', name: '郑医生', role: 'doctor' };
const patient: Account = { account: 'pat-list', name: '冯女士', role: 'patient' };
const DAY = 86_400_000;

let clock = Date.now();
const pharmacist: Account = { account: 'rx-list', name: '吴药师', role: 'pharmacist' };
const ctx = serverPerTest(async () => {
  clock = Date.now();
  const server = await startTestServer({ now: () => clock });
  for (const a of [doctor, other, patient, pharmacist]) await server.storage.upsertAccount(a);
  return server;
});
const running: ChatClient[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.stop();
});

const create = (id: string, who: Account = doctor) =>
  postJson(
    `${ctx.server.url}/api/consultations`,
    { id, patient: { account: patient.account, name: patient.name }, doctor: { account: who.account, name: who.name }, consent: { version: 'paper', acceptedAt: 1 } },
    { authorization: `Bearer ${ADMIN_API_KEY}` },
  );

let n = 0;
const text = (id: string, body = '请问') => ({ msg: { scene: 'team' as const, to: id, type: 'text' as const, body, idClient: `list-msg-${++n}` } });

/** waiting, in progress, closed today, closed three days ago, and one closed then with a 追问 since. */
async function workload() {
  for (const id of ['old', 'asked', 'today', 'going', 'waits']) expect((await create(id)).status).toBe(201);
  expect((await create('theirs', other)).status).toBe(201);
  const d = await ctx.login(doctor);
  const p = await ctx.login(patient);
  for (const id of ['old', 'asked', 'today', 'going']) await d.request('consultation', { sessionId: `team-${id}`, action: 'accept' });
  await d.request('send', text('old', '血压记录'));
  for (const id of ['old', 'asked', 'today']) await d.request('consultation', { sessionId: `team-${id}`, action: 'close' });
  // Closed three days ago: the server's clock moves on (the stored times are the database's).
  clock += 3 * DAY;
  const db = new Database(ctx.server.dbPath);
  db.prepare("UPDATE consultations SET closed_at = ? WHERE id = 'today'").run(clock - 60_000);
  db.close();
  await p.request('send', text('asked'));
  return { d, p };
}

const ids = (sessions: Array<{ id: string }>) => sessions.map((s) => s.id).sort();

test('a doctor’s sync lists what the workbench shows; an older consultation comes by id, and only one of theirs', async () => {
  const { d, p } = await workload();
  const fresh = await d.request('sync', { cursors: {} });
  expect(ids(fresh.sessions)).toEqual(['team-asked', 'team-going', 'team-today', 'team-waits']);
  // A device that holds the old one keeps getting it.
  const holding = await d.request('sync', { cursors: { 'team-old': 0 } });
  expect(ids(holding.sessions)).toContain('team-old');
  // A patient's list is all of theirs.
  expect(ids((await p.request('sync', { cursors: {} })).sessions)).toEqual(['team-asked', 'team-going', 'team-old', 'team-theirs', 'team-today', 'team-waits']);

  const byId = await d.request('sessions', { ids: ['team-old', 'team-theirs', 'team-nothing', 'p2p-pat-list'] });
  expect(ids(byId.sessions)).toEqual(['team-old']);
  // Someone else's consultation and one that does not exist are told apart by nothing.
  expect(byId.gone.sort()).toEqual(['p2p-pat-list', 'team-nothing', 'team-theirs']);
  expect(byId.sessions[0]).toMatchObject({ name: patient.name, consultation: { status: 'closed' } });
});

test('a doctor’s search across consultations names those of the patient it names, the older ones too; never another doctor’s', async () => {
  const { d, p } = await workload();
  const found = await d.request('search', { text: '冯', limit: 20 });
  expect(ids(found.sessions ?? [])).toEqual(['team-asked', 'team-going', 'team-old', 'team-today', 'team-waits']);
  expect(found.sessions?.find((s) => s.id === 'team-old')).toMatchObject({ name: patient.name, consultation: { status: 'closed' } });
  // Newest first: the 追问 came last.
  expect(found.sessions?.[0].id).toBe('team-asked');
  expect((await d.request('search', { text: '李', limit: 20 })).sessions).toEqual([]);
  // Only on a first page across consultations, and only for a doctor.
  expect((await d.request('search', { text: '冯', limit: 20, sessionId: 'team-old' })).sessions).toBeUndefined();
  expect((await p.request('search', { text: '钱', limit: 20 })).sessions).toBeUndefined();
  const more = await d.request('search', { text: '血压', limit: 20 });
  expect(more.hits.map((m) => m.sessionId)).toEqual(['team-old']);
  expect(more.sessions).toEqual([]);
});

test('sessions refuses a malformed list and a pharmacist', async () => {
  const d = await ctx.login(doctor);
  expect(await outcome(d.request('sessions', { ids: [] }))).toMatch(/^badFrame/);
  expect(await outcome(d.request('sessions', { ids: Array.from({ length: SESSIONS_BY_ID_MAX + 1 }, (_, i) => `team-c${i}`) }))).toMatch(/^badFrame/);
  expect(await outcome(d.request('sessions', { ids: ['not a session'] }))).toMatch(/^badFrame/);
  const rx = await ctx.login(pharmacist);
  expect(await outcome(rx.request('sessions', { ids: ['team-old'] }))).toMatch(/^forbidden/);
});

async function client(account: Account): Promise<ChatClient> {
  const c = new ChatClient({ url: ctx.server.url, token: await ctx.server.auth.issue(account) });
  running.push(c);
  return c.startSynced();
}

test('a consultation the hospital opens reaches the doctor’s and the patient’s lists already on screen, waiting', async () => {
  const d = await client(doctor);
  const p = await client(patient);
  expect((await create('new')).status).toBe(201);
  for (const c of [d, p]) {
    await until(() => c.store.getState().sessions.get('team-new')?.consultation?.status === 'waiting', `${c.opts.token.slice(-6)} lists it`);
  }
  expect(d.store.getState().sessions.get('team-new')?.name).toBe(patient.name);
});

test('the doctor’s client fetches an older consultation when a search finds it or it is opened', async () => {
  await workload();
  const d = await client(doctor);
  expect(d.store.getState().sessions.has('team-old')).toBe(false);
  const page = await d.controller.search({ text: '血压', limit: 10 });
  expect(page.hits.map((m) => m.sessionId)).toEqual(['team-old']);
  await until(() => d.store.getState().sessions.get('team-old')?.name === patient.name, 'the hit’s consultation fetched');

  const opened = await client(doctor);
  await opened.controller.enterSession('team-old');
  await until(() => opened.store.getState().sessions.get('team-old')?.consultation?.status === 'closed', 'the old one fetched when opened');
  expect(opened.store.getState().sessions.get('team-old')?.name).toBe(patient.name);
});

test('a summary held without messages that a later sync leaves out is fetched again: closed while the device was away', async () => {
  // The 21st most recent session arrives as its summary only (SYNC_FRESH), so the device holds no cursor for it.
  const d = await ctx.login(doctor);
  for (const id of ['stale', ...Array.from({ length: 20 }, (_, i) => `busy${i}`)]) {
    expect((await create(id)).status).toBe(201);
    await d.request('consultation', { sessionId: `team-${id}`, action: 'accept' });
  }
  const c = await client(doctor);
  expect(c.store.getState().sessions.get('team-stale')?.consultation?.status).toBe('inProgress');
  expect(c.store.getState().messages.get('team-stale')?.syncedSeq ?? 0).toBe(0);
  c.setOnline(false);
  await until(() => c.store.getState().connection === 'disconnected', 'away');
  await d.request('consultation', { sessionId: 'team-stale', action: 'close' });
  clock += 3 * DAY;
  c.setOnline(true);
  await until(() => c.store.getState().sessions.get('team-stale')?.consultation?.status === 'closed', 'the closed one refreshed');
});

test('a consultation transferred away and back is the doctor’s own again, also once closed and left out of the sync', async () => {
  expect((await create('back')).status).toBe(201);
  const d = await ctx.login(doctor);
  const o = await ctx.login(other);
  await d.request('consultation', { sessionId: 'team-back', action: 'accept' });
  await d.request('transfer', { sessionId: 'team-back', to: other.account });
  await o.request('transfer', { sessionId: 'team-back', to: doctor.account });
  await d.request('consultation', { sessionId: 'team-back', action: 'close' });
  clock += 3 * DAY;
  expect(ids((await d.request('sync', { cursors: {} })).sessions)).toEqual([]);
  const [back] = (await d.request('sessions', { ids: ['team-back'] })).sessions;
  expect(back).toMatchObject({ id: 'team-back', consultation: { status: 'closed', doctor: doctor.account } });
  expect(back.readOnlyUpTo).toBeUndefined();
});

/** The storage, counting the calls made through it (the real one answers them). */
function counting(storage: Storage): { storage: Storage; calls: Record<string, unknown[][]> } {
  const calls: Record<string, unknown[][]> = {};
  const counted = new Proxy(storage, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        (calls[prop] ??= []).push(args);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { storage: counted, calls };
}

test('a fetch by id reads only the named conversations and transfers, however many the doctor has', async () => {
  const st = ctx.server.storage;
  for (let i = 0; i < 40; i++) await st.createConsultation({ id: `many${i}`, patient: patient.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
  for (const id of ['moved', 'theirs']) expect((await create(id, id === 'theirs' ? other : doctor)).status).toBe(201);
  const d = await ctx.login(doctor);
  const p = await ctx.login(patient);
  await d.request('consultation', { sessionId: 'team-moved', action: 'accept' });
  await d.request('transfer', { sessionId: 'team-moved', to: other.account });
  // The list's own path reads the p2p chat's consultations; a fetch that does not name it must not.
  await p.request('send', { msg: { scene: 'p2p', to: doctor.account, type: 'text', body: '私信', idClient: 'list-p2p-1' } });

  const { storage, calls } = counting(st);
  const chat = new ChatService(storage, {} as FileService, {} as Audit, new Moderator(DEFAULT_WORDS, 'mask'), () => clock);
  const found = await chat.sessionsById(doctor.account, ['team-many3', 'team-many7', 'team-moved', 'team-theirs', 'p2p-stranger']);
  expect(ids(found.sessions)).toEqual(['team-many3', 'team-many7', 'team-moved']);
  expect(found.sessions.find((s) => s.id === 'team-moved')?.readOnlyUpTo).toEqual(expect.any(Number));
  expect(found.gone.sort()).toEqual(['p2p-stranger', 'team-theirs']);
  // One read of the named conversations, one of their transfers; a name per session built, and the
  // transferred one's consultation and last message before the transfer. Nothing of the other forty.
  expect(calls.conversationsOf).toBeUndefined();
  expect(calls.consultationsBetween).toBeUndefined();
  expect(calls.conversationsNamed).toEqual([[doctor.account, ['team-many3', 'team-many7', 'team-moved', 'team-theirs', p2pConvId(doctor.account, 'stranger')]]]);
  expect(calls.transfersFrom).toEqual([[doctor.account, ['many3', 'many7', 'moved', 'theirs']]]);
  expect(Object.fromEntries(Object.entries(calls).map(([name, made]) => [name, made.length]))).toEqual({
    conversationsNamed: 1,
    transfersFrom: 1,
    getAccount: 3,
    consultation: 1,
    history: 1,
  });
  // The patient's named p2p chat is checked, as the list checks it: a shared consultation opens it.
  const p2p = await chat.sessionsById(doctor.account, [`p2p-${patient.account}`]);
  expect(p2p).toEqual({ sessions: [expect.objectContaining({ id: `p2p-${patient.account}`, name: patient.name })], gone: [] });
});

test('a session the device holds that the person may no longer open leaves it, messages and draft too', async () => {
  expect((await create('solo')).status).toBe(201);
  const d = await ctx.login(doctor);
  await d.request('consultation', { sessionId: 'team-solo', action: 'accept' });
  const c = await client(doctor);
  const p = await ctx.login(patient);
  const chat = `p2p-${patient.account}`;
  await p.request('send', { msg: { scene: 'p2p', to: doctor.account, type: 'text', body: '私信', idClient: 'list-p2p-2' } });
  await until(() => c.store.getState().sessions.get(chat)?.name === patient.name, 'the p2p chat held');
  c.controller.setDraft(chat, '回复草稿');
  const saved = () => c.storage.get<Record<string, string>>(`medchat.drafts.${doctor.account}`) ?? {};
  await until(() => saved()[chat] === '回复草稿', 'the draft saved');
  c.setOnline(false);
  await until(() => c.store.getState().connection === 'disconnected', 'away');
  // Their one shared consultation goes to another doctor: the p2p chat no longer opens for this one.
  await d.request('transfer', { sessionId: 'team-solo', to: other.account });
  await expect(outcome(d.request('history', { sessionId: chat, limit: 10 }))).resolves.toMatch(/^forbidden/);
  c.setOnline(true);
  await until(() => !c.store.getState().sessions.has(chat), 'the p2p chat dropped');
  expect(c.store.getState().messages.has(chat)).toBe(false);
  expect(c.store.getState().drafts[chat]).toBeUndefined();
  expect(saved()[chat]).toBeUndefined();
  // The consultation itself stays, read-only up to the transfer.
  expect(c.store.getState().sessions.get('team-solo')?.readOnlyUpTo).toEqual(expect.any(Number));
});
