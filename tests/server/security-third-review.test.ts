/**
 * The third outside review, done by trying against a running server: each finding as the reviewer
 * reproduced it (real server on 127.0.0.1, real SQLite file), and what must happen instead.
 */
import { DEMO } from '../../server/demo';
import { MAX_PENDING_PER_ADDRESS } from '../../server/gateway';
import { STRICT_TRANSPORT_SECURITY } from '../../server/headers';
import { LOGINS } from '../../server/limits';
import type { Account } from '../../types/message';
import { doctor, patient, serverPerTest, SESSION, startConsultationServer, TEAM } from '../helpers/consultation';
import { png, wav } from '../helpers/fixtures';
import { draft, pharmacistSignsIn, rxClientId } from '../helpers/rx';
import { uploadAs } from '../helpers/upload';
import { seedLongChat } from '../helpers/long-chat';
import { expectError, outcome, startTestServer, WsClient } from '../helpers/server';

const next: Account = { account: 'doctor-zhou', name: '周医生', role: 'doctor' };

const ctx = serverPerTest(async () => {
  const server = await startConsultationServer({ sendsPerSecond: 10 });
  await server.storage.upsertAccount(next);
  return server;
});
const { login } = ctx;

const text = (body: string, scene: 'team' | 'p2p' = 'team', to = TEAM) => ({ msg: { scene, to, type: 'text' as const, body, idClient: rxClientId() } });
const auditCount = async (action: string) => (await ctx.server.storage.auditRecords(0, 100_000)).filter((r) => r.action === action).length;

describe('finding T1: a transfer leaves a p2p chat nobody may open, and sync must not fail on it', () => {
  test('after a transfer the patient and the old doctor sync; the p2p chat the transfer closed is not listed or searched', async () => {
    const d = await login(doctor);
    const p = await login(patient);
    await p.request('send', text('私聊里说的病情', 'p2p', doctor.account));
    await d.request('transfer', { sessionId: SESSION, to: next.account });
    // The reviewer's case: a fresh device of either person (no cursors) could not sync at all.
    for (const [who, c, p2p] of [
      ['patient', p, `p2p-${doctor.account}`],
      ['old doctor', d, `p2p-${patient.account}`],
    ] as const) {
      const synced = await c.request('sync', { cursors: {} });
      expect({ who, listed: synced.sessions.map((s) => s.id) }).toEqual({ who, listed: [SESSION] });
      // What the list shows is what history opens: the closed p2p chat is neither.
      await expectError(c.request('history', { sessionId: p2p, limit: 10 }), 'forbidden');
      expect((await c.request('search', { text: '病情', limit: 10 })).hits).toEqual([]);
    }
  });
});

describe('finding T2: a socket whose token expired gets nothing more', () => {
  test('a connection past its token’s expiry is closed instead of receiving the next message', async () => {
    const p = await login(patient);
    const short = ctx.track(await WsClient.open(ctx.server));
    const { tokenExpiresAt } = await short.request('auth', { token: await ctx.server.auth.issue(doctor, 1) });
    const closed = new Promise<string>((resolve) => short.ws.once('close', (code) => resolve(`closed ${code}`)));
    // Waits for the token to run out; nothing below depends on how long that took.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, tokenExpiresAt - Date.now()) + 50));
    await p.request('send', text('过期后发出的病情'));
    const pushed = short.waitFor((f) => f.type === 'msg').then(() => 'received the message');
    expect(await Promise.race([closed, pushed])).toBe('closed 4001');
    expect(short.pushes.filter((f) => f.type === 'msg')).toEqual([]);
  });
});

describe('finding T3: new connections cannot write login records without bound', () => {
  test('logins of one account beyond the limit per minute are refused and write no record', async () => {
    const token = await ctx.server.auth.issue(patient);
    const outcomes: string[] = [];
    for (let i = 0; i < LOGINS.points + 10; i++) {
      const c = await WsClient.open(ctx.server);
      outcomes.push(
        await c.request('auth', { token }).then(
          () => 'ok',
          (e: Error) => e.message.split(':')[0],
        ),
      );
      c.close();
    }
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(LOGINS.points);
    expect(outcomes.filter((o) => o === 'rateLimited')).toHaveLength(10);
    expect(await auditCount('login')).toBe(LOGINS.points);
    // Another account is not held up by this one.
    await login(doctor);
  });
});

describe('finding T4: a pharmacist’s rejection reason is shown text like every other', () => {
  test('direction overrides and zero-width characters are dropped from the reason the doctor and patient read', async () => {
    const d = await login(doctor);
    const p = await login(patient);
    const { prescription } = await d.request('prescribe', { sessionId: SESSION, idClient: rxClientId(), rx: draft() });
    const ph = ctx.track(await pharmacistSignsIn(ctx.server));
    // Read with the override, it says the dose is 5 mg where it was 500.
    const reason = '剂量\u202e005\u202c mg\u200b 过大';
    const reviewed = await ph.request('review', { prescriptionId: prescription.rx.id, decision: 'reject', reason });
    expect(reviewed.prescription.reason).toBe('剂量005 mg 过大');
    const last = (await p.request('history', { sessionId: SESSION, limit: 1 })).msgs[0];
    expect(last.attach).toMatchObject({ prescription: { state: 'rejected', reason: '剂量005 mg 过大' } });
  });
});

describe('finding T5: a voice clip, video or photo is named as what it is', () => {
  test('a clip carrying a page, named 病历.html, is served under its measured extension', async () => {
    const page = Buffer.from('<html><script>alert(document.domain)</script></html>');
    const up = await uploadAs(ctx.server, patient, 'audio', 'voice.wav', Buffer.concat([wav(), page]), `&dur=1500&name=${encodeURIComponent('病历.html')}`);
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ name: '病历.wav', ext: 'wav' });
    const photo = await uploadAs(ctx.server, patient, 'image', 'x.png', await png(8, 8), `&name=${encodeURIComponent('检查.svg')}`);
    expect(photo.body).toMatchObject({ name: '检查.png', ext: 'png' });
    // Saved from the browser, the download is named by Content-Disposition: never as a page.
    const served = await fetch(`${ctx.server.url}${up.body.url}`);
    expect(served.headers.get('content-disposition')).toBe(`inline; filename*=UTF-8''${encodeURIComponent('病历.wav')}`);
    await served.arrayBuffer();
  });
});

describe('finding T6: reads of stored messages are bounded per account', () => {
  /** A server whose accounts may send one frame a second, so read 500 messages a second; the demo's two accounts. */
  const withReadBudget = async () => {
    await ctx.server.dispose();
    ctx.server = await startTestServer({ sendsPerSecond: 1 });
    for (const a of [DEMO.patient, DEMO.doctor]) await ctx.server.storage.upsertAccount(a);
  };

  test('sync and history stop once an account has opened its second’s worth of messages', async () => {
    await withReadBudget();
    const session = await seedLongChat(ctx.server.storage, 'long', 200);
    const p = ctx.track(await WsClient.login(ctx.server, DEMO.patient));
    // The reviewer's loop: syncs pipelined on one socket took every other person's time. From cursor 0
    // each reads the whole chat (without a cursor a sync brings only its newest page: SYNC_FRESH).
    const syncs = await Promise.all(Array.from({ length: 6 }, () => outcome(p.request('sync', { cursors: { [session]: 0 } }))));
    // 200 messages a sync: the third passes the budget of 500, and the reads after it wait.
    expect(syncs.map((o) => o.split(':')[0])).toEqual(['resolved', 'resolved', 'resolved', 'rateLimited', 'rateLimited', 'rateLimited']);
    await expectError(p.request('history', { sessionId: session, limit: 10 }), 'rateLimited');
  });

  test('a sync that finds nothing new is charged by the sessions it listed', async () => {
    await withReadBudget();
    // 600 consultations and no message: each sync lists them all and returns no message.
    for (let k = 0; k < 600; k++) {
      const p = { account: `p-${k}`, name: `患者${k}`, role: 'patient' as const };
      await ctx.server.storage.upsertAccount(p);
      await ctx.server.storage.createConsultation({ id: `budget-${k}`, patient: p.account, doctor: DEMO.doctor.account, teamName: '问诊' });
    }
    const d = ctx.track(await WsClient.login(ctx.server, DEMO.doctor));
    const syncs: string[] = [];
    for (let i = 0; i < 2; i++) syncs.push((await outcome(d.request('sync', { cursors: {} }))).split(':')[0]);
    // 600 against a budget of 500 a second: the next sync, asked at once, finds it spent.
    expect(syncs).toEqual(['resolved', 'rateLimited']);
  });

  test('a search is charged by the messages it opened, matching or not', async () => {
    await withReadBudget();
    const session = await seedLongChat(ctx.server.storage, 'long', 600);
    const p = ctx.track(await WsClient.login(ctx.server, DEMO.patient));
    expect((await p.request('search', { sessionId: session, text: '不存在的词', limit: 10 })).hits).toEqual([]);
    await expectError(p.request('history', { sessionId: session, limit: 10 }), 'rateLimited');
  });
});

describe('finding T7: a server published over HTTPS says so', () => {
  test('Strict-Transport-Security on every answer when PUBLIC_URL is https, none on plain http', async () => {
    const plain = await fetch(`${ctx.server.url}/healthz`);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
    await ctx.server.dispose();
    ctx.server = await startTestServer({ publicUrl: 'https://chat.example.org' });
    // The listening address is still plain HTTP (TLS ends at the proxy); the header is for the public one.
    const port = ctx.server.port;
    for (const path of ['/healthz', '/api/no-such-route']) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      expect(res.headers.get('strict-transport-security')).toBe(STRICT_TRANSPORT_SECURITY);
    }
  });
});

describe('finding T8: sockets that never sign in are bounded per address', () => {
  test('beyond MAX_PENDING_PER_ADDRESS unsigned sockets the oldest waiting one is closed, and the newcomer signs in', async () => {
    // One after another, so that the server's oldest is held[0].
    const held: WsClient[] = [];
    for (let i = 0; i < MAX_PENDING_PER_ADDRESS; i++) held.push(ctx.track(await WsClient.open(ctx.server)));
    const closed = (c: WsClient) => new Promise<number>((resolve) => c.ws.once('close', resolve));
    const [first, second] = [closed(held[0]), closed(held[1])];
    // Someone behind the same address as the script still gets in; the script's oldest idle socket goes.
    const newcomer = ctx.track(await WsClient.open(ctx.server));
    expect(await first).toBe(1006);
    await newcomer.request('auth', { token: await ctx.server.auth.issue(patient) });
    // Signed in, it no longer waits: one more fits, and the one after that closes the next oldest.
    const fits = ctx.track(await WsClient.open(ctx.server));
    // A round trip: an eviction it caused would have happened by now.
    await fits.request('ping', {}).catch(() => undefined);
    expect(held[1].ws.readyState).toBe(held[1].ws.OPEN);
    ctx.track(await WsClient.open(ctx.server));
    expect(await second).toBe(1006);
    await fits.request('auth', { token: await ctx.server.auth.issue(doctor) });
    expect(held.slice(2).every((c) => c.ws.readyState === c.ws.OPEN)).toBe(true);
  });
});
