/**
 * The findings of the outside security review that concern chat frames, each against a real server and
 * SQLite file: what the reviewer did, and what must happen instead.
 */
import Database from 'better-sqlite3';
import { SignJWT } from 'jose';
import { readFileSync, rmSync } from 'node:fs';
import { WebSocket } from 'ws';
import { originAllowed } from '../../server/gateway';
import { ADMIN_CALLS, FAILED_SIGNINS } from '../../server/limits';
import type { Account, OutgoingMessage } from '../../types/message';
import { UPLOAD_PATH } from '../../types/media';
import { CLOSE_REVOKED, NOTIFY_SETTINGS_PATH } from '../../types/protocol';
import { jpeg, pdf } from '../helpers/fixtures';
import { CONSENTED } from '../helpers/consultation';
import { uploadAs } from '../helpers/upload';
import { ADMIN_API_KEY, expectError, startTestServer, TEST_JWT_SECRET, WsClient, type TestServer } from '../helpers/server';

const doctor: Account = { account: 'doc-sec', name: '赵医生', role: 'doctor' };
const patientA: Account = { account: 'pat-a', name: '甲', role: 'patient' };
const patientB: Account = { account: 'pat-b', name: '乙', role: 'patient' };

let server: TestServer;
const clients: WsClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.dispose();
});

async function start(consultations: Array<{ id: string; patient: Account; status?: 'waiting' | 'inProgress'; maxPatientMessages?: number }>) {
  server = await startTestServer();
  for (const a of [doctor, patientA, patientB]) await server.storage.upsertAccount(a);
  for (const { patient, ...c } of consultations) {
    await server.storage.createConsultation({ ...c, patient: patient.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
  }
}

async function login(a: Account): Promise<WsClient> {
  const c = await WsClient.login(server, a);
  clients.push(c);
  return c;
}

let n = 0;
const msg = (to: string, over: Partial<OutgoingMessage> = {}, scene: 'team' | 'p2p' = 'team'): { msg: OutgoingMessage } => ({
  msg: { scene, to, type: 'text', body: '你好', idClient: `sec-${++n}-${Date.now()}`, ...over } as OutgoingMessage,
});

describe('finding 1: a file is read only through the media message it was sent in', () => {
  test("a text message naming another patient's file id is refused, and nothing signs a URL for it", async () => {
    await start([
      { id: 'ca', patient: patientA },
      { id: 'cb', patient: patientB },
    ]);
    const up = await uploadAs(server, patientA, 'image', 'a.jpg', await jpeg());
    expect(up.status).toBe(200);
    const b = await login(patientB);
    await expectError(b.request('send', msg('cb', { attach: { fileId: up.body.fileId } })), 'invalidMessage');
    // A geo attach with a file id is refused by its strict schema, a card's likewise.
    await expectError(
      b.request('send', msg('cb', { type: 'geo', body: '', attach: { lat: 1, lng: 2, title: 'x', fileId: up.body.fileId } })),
      'invalidMessage',
    );
    const history = await b.request('history', { sessionId: 'team-cb', limit: 10 });
    expect(JSON.stringify(history)).not.toContain(up.body.fileId);
  });

  test('a non-media message stored with a file id (before this fix) is shown without a signed URL', async () => {
    await start([{ id: 'cb', patient: patientB }]);
    const up = await uploadAs(server, patientA, 'image', 'a.jpg', await jpeg());
    await server.storage.appendMessage({
      conv: { id: 'team-cb', scene: 'team', teamId: 'cb' },
      idClient: 'legacy-text-1',
      from: patientB.account,
      scene: 'team',
      to: 'cb',
      type: 'text',
      body: '旧消息',
      attach: { fileId: up.body.fileId },
      members: [],
    });
    const b = await login(patientB);
    const { msgs } = await b.request('history', { sessionId: 'team-cb', limit: 10 });
    const legacy = msgs.find((m) => m.idClient === 'legacy-text-1');
    expect(legacy?.attach).toEqual({ fileId: up.body.fileId });
    expect(JSON.stringify(msgs)).not.toContain('/api/files/');
  });
});

describe('finding 2: p2p between a patient and a doctor follows their consultation', () => {
  test('the quota counts p2p messages and refuses them once used up', async () => {
    await start([{ id: 'q1', patient: patientA, maxPatientMessages: 1 }]);
    const a = await login(patientA);
    await a.request('send', msg('q1'));
    await expectError(a.request('send', msg('q1')), 'quotaExceeded');
    await expectError(a.request('send', msg(doctor.account, {}, 'p2p')), 'quotaExceeded');
  });

  test('a p2p message uses up the consultation quota like a team message', async () => {
    await start([{ id: 'q2', patient: patientA, maxPatientMessages: 1 }]);
    const a = await login(patientA);
    await a.request('send', msg(doctor.account, {}, 'p2p'));
    await expectError(a.request('send', msg('q2')), 'quotaExceeded');
  });

  test('before accepting, the doctor cannot write, type or forward to the patient over p2p', async () => {
    await start([{ id: 'w1', patient: patientA, status: 'waiting' }]);
    const d = await login(doctor);
    await expectError(d.request('send', msg(patientA.account, {}, 'p2p')), 'invalidTransition');
    await expectError(d.request('typing', { sessionId: `p2p-${patientA.account}` }), 'invalidTransition');
  });

  test('after the doctor closes, p2p takes no message, typing or recall from either side', async () => {
    await start([{ id: 'c1', patient: patientA }]);
    const a = await login(patientA);
    const d = await login(doctor);
    const sent = msg(doctor.account, {}, 'p2p');
    await a.request('send', sent);
    await d.request('consultation', { sessionId: 'team-c1', action: 'close' });
    await expectError(a.request('send', msg(doctor.account, {}, 'p2p')), 'consultationClosed');
    await expectError(d.request('send', msg(patientA.account, {}, 'p2p')), 'consultationClosed');
    await expectError(a.request('typing', { sessionId: `p2p-${doctor.account}` }), 'consultationClosed');
    await expectError(d.request('typing', { sessionId: 'team-c1' }), 'consultationClosed');
    await expectError(a.request('recall', { sessionId: `p2p-${doctor.account}`, idClient: sent.msg.idClient }), 'consultationClosed');
  });

  test('an open consultation between the two keeps p2p open even when an older one is closed', async () => {
    await start([{ id: 'old', patient: patientA }]);
    const d = await login(doctor);
    await d.request('consultation', { sessionId: 'team-old', action: 'close' });
    await server.storage.createConsultation({ id: 'new', patient: patientA.account, doctor: doctor.account, teamName: '复诊', ...CONSENTED });
    await d.request('send', msg(patientA.account, {}, 'p2p'));
  });
});

describe('finding 10: account ids cannot be enumerated', () => {
  test('typing and history on p2p-<id> answer the same for a missing and an unrelated account', async () => {
    await start([{ id: 'ca', patient: patientA }]);
    const a = await login(patientA);
    for (const type of ['typing', 'history'] as const) {
      const payload = (id: string) => (type === 'typing' ? { sessionId: `p2p-${id}` } : { sessionId: `p2p-${id}`, limit: 5 });
      const missing = await expectError(a.request(type, payload('nobody-here') as never), 'forbidden');
      const existing = await expectError(a.request(type, payload(patientB.account) as never), 'forbidden');
      expect(existing).toBe(missing);
    }
  });
});

const auditCount = async (action: string) => (await server.storage.auditRecords(0, 10_000)).filter((r) => r.action === action).length;

describe('finding 5: audit records and writes are bounded', () => {
  test('500 identical read marks write one audit record and push once; 100 reads of a file URL write one', async () => {
    await start([{ id: 'r1', patient: patientA }]);
    const a = await login(patientA);
    const d = await login(doctor);
    const { seq } = await a.request('send', msg('r1'));
    await Promise.all(Array.from({ length: 500 }, () => d.request('markRead', { sessionId: 'team-r1', seq })));
    expect(await auditCount('message.read')).toBe(1);
    expect(a.pushes.filter((f) => f.type === 'read')).toHaveLength(1);

    const up = await uploadAs(server, patientA, 'image', 'x.jpg', await jpeg());
    for (let i = 0; i < 100; i++) expect((await fetch(server.url + up.body.url)).status).toBe(200);
    expect(await auditCount('file.read')).toBe(1);
  });

  test('every frame that writes is rate-limited, per account across its connections', async () => {
    await server?.dispose();
    server = await startTestServer({ sendsPerSecond: 10 });
    for (const a of [doctor, patientA]) await server.storage.upsertAccount(a);
    await server.storage.createConsultation({ id: 'rl', patient: patientA.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
    const phone = await login(patientA);
    const tab = await login(patientA);
    const results = await Promise.allSettled([
      ...Array.from({ length: 8 }, () => phone.request('send', msg('rl'))),
      ...Array.from({ length: 8 }, () => tab.request('typing', { sessionId: 'team-rl' })),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.map((r) => r.reason.frame.code)).toEqual(Array(6).fill('rateLimited'));
  });
});

describe('sessions, sign-in throttling and origins', () => {
  test('renewing never extends a sign-in past its absolute lifetime', async () => {
    await server?.dispose();
    server = await startTestServer({ sessionMaxAgeSec: 2 });
    await server.storage.upsertAccount(patientA);
    const a = await login(patientA);
    const renewed = await a.request('renew', {});
    expect(renewed.expiresAt).toBeLessThanOrEqual(Date.now() + 2_000);
    await new Promise((r) => setTimeout(r, 2_100));
    await expectError(a.request('renew', {}), 'tokenExpired');
    await expectError(WsClient.loginWithToken(server, renewed.token), 'tokenExpired');
  });

  test('logout revokes that sign-in only; the hospital revokes every sign-in of an account and its connections close', async () => {
    await start([{ id: 'ca', patient: patientA }]);
    const first = await server.auth.issue(patientA);
    const second = await server.auth.issue(patientA);
    const out = await fetch(`${server.url}/api/logout`, { method: 'POST', headers: { authorization: `Bearer ${first}` } });
    expect(out.status).toBe(200);
    await expectError(WsClient.loginWithToken(server, first), 'authFailed');
    const live = await WsClient.loginWithToken(server, second);
    clients.push(live);

    const closed = new Promise<number>((r) => live.ws.once('close', (code) => r(code)));
    const revoke = await fetch(`${server.url}/api/sessions/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ account: patientA.account }),
    });
    expect(revoke.status).toBe(200);
    expect(await closed).toBe(CLOSE_REVOKED);
    await expectError(WsClient.loginWithToken(server, second), 'authFailed');
    // A new sign-in after the revocation works.
    clients.push(await WsClient.login(server, patientA));
    expect((await server.storage.auditRecords(0, 100)).filter((r) => r.action === 'session.revoke')).toHaveLength(2);
  });

  test('logging out a renewed token of a sign-in from before sessions had ids ends the original too', async () => {
    await start([{ id: 'ca', patient: patientA }]);
    const legacy = await new SignJWT({ role: patientA.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(patientA.account)
      .setIssuer('medchat')
      .setAudience('medchat-im')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(TEST_JWT_SECRET);
    const a = await WsClient.loginWithToken(server, legacy);
    clients.push(a);
    const { token: renewed } = await a.request('renew', {});
    const out = await fetch(`${server.url}/api/logout`, { method: 'POST', headers: { authorization: `Bearer ${renewed}` } });
    expect(out.status).toBe(200);
    await expectError(WsClient.loginWithToken(server, renewed), 'authFailed');
    await expectError(WsClient.loginWithToken(server, legacy), 'authFailed');
  });

  test('failed sign-ins are throttled per address: after 10 a forged token or link is refused as too many, and a good one still signs in', async () => {
    await start([]);
    for (let i = 0; i < 10; i++) await expectError(WsClient.loginWithToken(server, `forged.${i}.token`), 'authFailed');
    expect(await expectError(WsClient.loginWithToken(server, 'forged.10.token'), 'rateLimited')).toContain('分钟');
    const forgedLink = await fetch(`${server.url}/api/login/link`, { method: 'POST', body: JSON.stringify({ link: 'forged' }) });
    expect(forgedLink.status).toBe(429);
    // Someone else behind the same address (a hospital's Wi-Fi) is not locked out by the guesses.
    clients.push(await WsClient.loginWithToken(server, await server.auth.issue(patientA)));
    const link = await fetch(`${server.url}/api/login/link`, { method: 'POST', body: JSON.stringify({ link: await server.auth.issueLink(patientB) }) });
    expect([link.status, (await link.json()).me?.account]).toEqual([200, patientB.account]);
  });

  test('a forged bearer token on the HTTP paths counts as a failed sign-in: after 10, forged ones get 429 there and on the socket, good ones pass', async () => {
    await start([]);
    const calls = [
      (token: string) => fetch(`${server.url}${UPLOAD_PATH}?kind=image`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: 'x' }),
      (token: string) => fetch(`${server.url}/api/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }),
      (token: string) => fetch(`${server.url}${NOTIFY_SETTINGS_PATH}`, { headers: { authorization: `Bearer ${token}` } }),
    ];
    // An expired token is an ordinary return to the app: it does not count.
    const expired = await server.auth.issue(patientA, -10);
    for (let i = 0; i < 3; i++) expect((await (await calls[i](expired)).json()).error.code).toBe('tokenExpired');
    for (let i = 0; i < FAILED_SIGNINS.points; i++) {
      const res = await calls[i % calls.length](`forged.${i}.token`);
      expect([res.status, (await res.json()).error.code]).toEqual([401, 'authFailed']);
    }
    for (const call of calls) {
      const forged = await call('forged.again.token');
      expect([forged.status, (await forged.json()).error.code]).toEqual([429, 'rateLimited']);
      const good = await call(await server.auth.issue(patientA));
      expect([401, 429]).not.toContain(good.status);
      await good.arrayBuffer();
    }
    expect(await expectError(WsClient.loginWithToken(server, 'forged.again.token'), 'rateLimited')).toContain('分钟');
    clients.push(await WsClient.loginWithToken(server, await server.auth.issue(patientA)));
  });

  test('a wrong admin key counts as a failed sign-in; the admin API is throttled per address', async () => {
    await start([]);
    const call = (key: string) =>
      fetch(`${server.url}/api/sessions/revoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ account: 'nobody' }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < ADMIN_CALLS.points + 1; i++) statuses.push((await call(ADMIN_API_KEY)).status);
    expect(statuses.slice(0, ADMIN_CALLS.points).every((s) => s === 200)).toBe(true);
    expect(statuses[ADMIN_CALLS.points]).toBe(429);

    await server.dispose();
    await start([]);
    for (let i = 0; i < FAILED_SIGNINS.points; i++) expect((await call('wrong-key-wrong-key-wrong-key')).status).toBe(401);
    expect((await call(ADMIN_API_KEY)).status).toBe(429);
  });

  test('the WebSocket refuses pages of other origins; the app’s own page and clients without Origin connect', async () => {
    await start([]);
    const url = `${server.url.replace('http', 'ws')}/ws`;
    const handshake = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, { headers });
        ws.once('open', () => {
          ws.close();
          resolve(101);
        });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      });
    expect(await handshake({ origin: 'https://evil.example' })).toBe(403);
    expect(await handshake({ origin: 'null' })).toBe(403);
    expect(await handshake({ origin: server.url })).toBe(101);
    expect(await handshake({})).toBe(101);
    expect(originAllowed('https://servicewechat.com', 'chat.hospital.cn', [])).toBe(true);
    expect(originAllowed('https://portal.hospital.cn', 'chat.hospital.cn', ['https://portal.hospital.cn'])).toBe(true);
  });
});

describe('finding 6: names of people, consultations and files are sealed at rest', () => {
  const NAMES = ['病理报告-甲状腺.pdf', '甲', '赵医生', '甲状腺复诊'];

  // Databases of earlier versions are sealed in place on upgrade: tests/contract/storage-upgrade.ts.
  test('no name is readable in the SQLite file', async () => {
    server = await startTestServer();
    for (const a of [doctor, patientA]) await server.storage.upsertAccount(a);
    await server.storage.createConsultation({ id: 'n1', patient: patientA.account, doctor: doctor.account, teamName: '甲状腺复诊', ...CONSENTED });
    const a = await login(patientA);
    const up = await uploadAs(server, patientA, 'file', '病理报告-甲状腺.pdf', pdf());
    await a.request('send', msg('n1', { type: 'file', body: '', attach: { fileId: up.body.fileId } }));
    await server.close();

    const db = new Database(server.dbPath);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const raw = readFileSync(server.dbPath);
    for (const name of NAMES) expect(raw.includes(Buffer.from(name))).toBe(false);
    rmSync(server.dir, { recursive: true, force: true });
    server = undefined as unknown as TestServer; // closed above
  });
});

describe('finding 12: display names and card text carry no direction or invisible characters', () => {
  test('account names and titles from the hospital API, geo titles and card fields are stored as they show', async () => {
    await start([]);
    const res = await fetch(`${server.url}/api/consultations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'bidi1',
        patient: { account: 'pat-bidi', name: '李\u202Eexe.四' },
        doctor: { account: doctor.account, name: '赵\u200B医生' },
        title: '复诊\u2066咨询',
      }),
    });
    expect(res.status).toBe(201);
    expect(await server.storage.getAccount('pat-bidi')).toMatchObject({ name: '李exe.四' });
    expect(await server.storage.getAccount(doctor.account)).toMatchObject({ name: '赵医生' });
    expect(await server.storage.consultation('bidi1')).toMatchObject({ teamName: '复诊咨询' });
    const d = await login(doctor);
    await d.request('consultation', { sessionId: 'team-bidi1', action: 'accept' });
    await d.request('send', msg('bidi1', { type: 'geo', body: '', attach: { lat: 30, lng: 120, title: '医院\u202E门诊楼' } }));
    await d.request('send', msg('bidi1', { type: 'custom', body: '', attach: { card: 'followUp', at: Date.now() + 86_400_000, note: '一周后\u202E复查' } }));
    const { msgs } = await d.request('history', { sessionId: 'team-bidi1', limit: 10 });
    expect(JSON.stringify(msgs)).not.toMatch(/[\u202E\u200B\u2066]/);
    expect(msgs.map((m) => m.attach?.title ?? m.attach?.note).filter(Boolean)).toEqual(['医院门诊楼', '一周后复查']);
  });
});

describe('finding 11: the sensitive-word filter sees through evasions, in text and in cards', () => {
  test('zero-width and spaced-out words are masked in text and card fields; block mode refuses a card', async () => {
    await start([{ id: 'sw', patient: patientA }]);
    const a = await login(patientA);
    const d = await login(doctor);
    const ack = await a.request('send', msg('sw', { body: '可以加\u200B微\u00AD信吗' }));
    expect(ack.body).toBe('可以＊＊＊＊＊吗');
    await d.request('send', msg('sw', { type: 'custom', body: '', attach: { card: 'summary', complaint: '咳嗽', diagnosis: '上呼吸道感染', advice: '多喝水，加 微 信 复诊' } }));
    const { msgs } = await a.request('history', { sessionId: 'team-sw', limit: 10 });
    expect(msgs[1].attach).toMatchObject({ card: 'summary', complaint: '咳嗽', advice: '多喝水，＊＊＊＊＊ 复诊' });

    await server.dispose();
    server = await startTestServer({ sensitiveMode: 'block' });
    for (const x of [doctor, patientA]) await server.storage.upsertAccount(x);
    await server.storage.createConsultation({ id: 'sb', patient: patientA.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
    const d2 = await login(doctor);
    const card = { card: 'followUp', at: Date.now() + 86_400_000, note: '私下\u2060转账后复诊' };
    await expectError(d2.request('send', msg('sb', { type: 'custom', body: '', attach: card })), 'contentBlocked');
    expect((await d2.request('history', { sessionId: 'team-sb', limit: 10 })).msgs).toEqual([]);
  });
});

describe('second review: revocation reaches live connections, repeated sign-ins are bounded', () => {
  test('a session revoked by another process cannot renew, and its connection closes within a heartbeat check', async () => {
    await start([]);
    const a = await login(patientA);
    // As another process records it: stored, but no bus event reaches this one.
    await server.storage.revokeSessions(patientA.account, '*', Date.now() + 1);
    await expectError(a.request('renew', {}), 'authFailed');
  });

  test('auth frames on a live connection write one login record and count against the rate limit', async () => {
    await server?.dispose();
    server = await startTestServer({ sendsPerSecond: 5 });
    await server.storage.upsertAccount(patientA);
    const token = await server.auth.issue(patientA);
    const a = await WsClient.loginWithToken(server, token);
    clients.push(a);
    const again = await Promise.allSettled(Array.from({ length: 20 }, () => a.request('auth', { token })));
    expect(again.filter((r) => r.status === 'rejected').length).toBeGreaterThanOrEqual(15);
    expect(await auditCount('login')).toBe(1);
  });
});

describe('second review: the rest of a message goes through the same filters', () => {
  test('a location title and a fallback text are masked; a patient cannot forward a doctor’s card; forward names an account', async () => {
    await start([
      { id: 'g1', patient: patientA },
      { id: 'g2', patient: patientA },
    ]);
    const a = await login(patientA);
    const d = await login(doctor);
    await a.request('send', msg('g1', { type: 'geo', body: '私下转账', attach: { lat: 30, lng: 120, title: '加微信 门诊楼' } }));
    const { msgs } = await d.request('history', { sessionId: 'team-g1', limit: 5 });
    expect(msgs[0]).toMatchObject({ body: '＊＊＊＊', attach: { title: '＊＊＊ 门诊楼' } });

    const card = msg('g1', { type: 'custom', body: '', attach: { card: 'labRequest', items: ['血常规'], reason: '感冒复查' } });
    await d.request('send', card);
    const forward = { sessionId: 'team-g1', from: doctor.account, idClient: card.msg.idClient, toSessionId: 'team-g2', newIdClient: 'fwd-card-0001' };
    await expectError(a.request('forward', forward), 'forbidden');
    await expectError(a.request('forward', { ...forward, from: 'a\u0000b' }), 'badFrame');
  });
});

test('second review: equal consultation titles and file names do not seal to equal ciphertexts', async () => {
  await start([
    { id: 'h1', patient: patientA },
    { id: 'h2', patient: patientB },
  ]);
  await server.storage.putFile({ id: 'f1', owner: patientA.account, kind: 'file', name: 'HIV检测报告.pdf', ext: 'pdf', mime: 'application/pdf', size: 1, thumb: false, createdAt: 1 });
  await server.storage.putFile({ id: 'f2', owner: patientB.account, kind: 'file', name: 'HIV检测报告.pdf', ext: 'pdf', mime: 'application/pdf', size: 1, thumb: false, createdAt: 1 });
  const db = new Database(server.dbPath, { readonly: true });
  try {
    const titles = db.prepare("SELECT team_name FROM conversations WHERE id IN ('team-h1', 'team-h2')").all() as Array<{ team_name: string }>;
    const names = db.prepare("SELECT name FROM files WHERE id IN ('f1', 'f2')").all() as Array<{ name: string }>;
    expect(new Set(titles.map((t) => t.team_name)).size).toBe(2);
    expect(new Set(names.map((n) => n.name)).size).toBe(2);
  } finally {
    db.close();
  }
});
