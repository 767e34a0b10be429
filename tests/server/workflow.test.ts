/**
 * The medical workflow's rules against a real server and SQLite file: who sees what, SMS links,
 * the consultation lifecycle, sensitive words, the audit chain, encryption at rest, retention and the
 * rate limit. Each rule has a test that fails if the rule goes.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { startServer } from '../../server/app';
import { verifyAudit } from '../../server/audit';
import type { Account, Message, OutgoingMessage } from '../../types/message';
import type { PushFrame } from '../../types/protocol';
import { CONSENTED, doctor, patient, SESSION, startConsultationServer, stranger, TEAM } from '../helpers/consultation';
import { pdf } from '../helpers/fixtures';
import { uploadAs } from '../helpers/upload';
import { ADMIN_API_KEY, expectError, testConfig, WsClient, type TestServer } from '../helpers/server';

const ROOT = resolve(__dirname, '../..');
let server: TestServer;
const clients: WsClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.dispose();
});

async function start(over: Parameters<typeof startConsultationServer>[0] = {}): Promise<void> {
  server = await startConsultationServer(over);
}

async function login(account: Account): Promise<WsClient> {
  const c = await WsClient.login(server, account);
  clients.push(c);
  return c;
}

let idn = 0;
const text = (body: string, to = TEAM): { msg: OutgoingMessage } => ({
  msg: { scene: 'team', to, type: 'text', body, idClient: `wf-${++idn}-${Date.now()}` },
});

const isMsg = (f: unknown): f is Extract<PushFrame, { type: 'msg' }> => (f as PushFrame).type === 'msg';

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(server.url + path, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

describe('who sees what', () => {
  test("a patient can neither read nor write another patient's consultation, by any frame", async () => {
    await start();
    const p = await login(patient);
    await p.request('send', text('我的病情'));
    const s = await login(stranger);
    await expectError(s.request('history', { sessionId: SESSION, limit: 10 }), 'forbidden');
    await expectError(s.request('send', text('偷看')), 'forbidden');
    await expectError(s.request('markRead', { sessionId: SESSION, seq: 1 }), 'forbidden');
    await expectError(s.request('typing', { sessionId: SESSION }), 'forbidden');
    await expectError(s.request('recall', { sessionId: SESSION, idClient: 'whatever-123' }), 'forbidden');
    await expectError(s.request('consultation', { sessionId: SESSION, action: 'cancel' }), 'forbidden');
    await expectError(s.request('history', { sessionId: `p2p-${patient.account}`, limit: 10 }), 'forbidden');
    const sync = await s.request('sync', { cursors: { [SESSION]: 0 } });
    expect(sync.msgs).toEqual([]);
    expect(sync.sessions).toEqual([]);
  });

  test('a doctor sees only assigned consultations', async () => {
    await start();
    const other: Account = { account: 'doctor-wu', name: '吴医生', role: 'doctor' };
    await server.storage.upsertAccount(other);
    const d = await login(other);
    await expectError(d.request('history', { sessionId: SESSION, limit: 10 }), 'forbidden');
    expect((await d.request('sync', { cursors: {} })).sessions).toEqual([]);
  });

  test('the consultation API needs the hospital key', async () => {
    await start();
    const body = { id: 'c2', patient: { account: 'p2', name: '赵先生' }, doctor: { account: doctor.account, name: doctor.name } };
    expect((await post('/api/consultations', body)).status).toBe(401);
    expect((await post('/api/consultations', body, { authorization: 'Bearer wrong-key-wrong-key-wrong' })).status).toBe(401);
    const bad = await post('/api/consultations', { ...body, id: '../x' }, { authorization: `Bearer ${ADMIN_API_KEY}` });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toContain('id');
  });
});

describe('SMS link login', () => {
  test('the hospital opens a consultation; each link signs in once; reuse and expiry are refused clearly', async () => {
    await start({ linkTtlSec: 2 });
    const created = await post(
      '/api/consultations',
      { id: 'c2', patient: { account: 'p2', name: '赵先生' }, doctor: { account: doctor.account, name: doctor.name }, maxPatientMessages: 5 },
      { authorization: `Bearer ${ADMIN_API_KEY}` },
    );
    expect(created.status).toBe(201);
    expect(created.body.consultation).toMatchObject({ id: 'c2', status: 'waiting', maxPatientMessages: 5, patientMessages: 0 });
    const links = created.body.links as { patient: string; doctor: string };
    const link = decodeURIComponent(/link=([^&]+)/.exec(links.patient)?.[1] ?? '');
    expect(links.patient).toContain('session=team-c2');

    // A link is not a session token, and a session token is not a link.
    const c = await WsClient.open(server);
    clients.push(c);
    await expectError(c.request('auth', { token: link }), 'authFailed');
    expect((await post('/api/login/link', { link: await server.auth.issue(patient) })).body.error?.code).toBe('authFailed');

    const first = await post('/api/login/link', { link });
    expect(first.status).toBe(200);
    expect(first.body.me).toMatchObject({ account: 'p2', role: 'patient' });
    const me = await c.request('auth', { token: first.body.token as string });
    expect(me.me.account).toBe('p2');

    const again = await post('/api/login/link', { link });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'linkUsed', message: expect.stringContaining('已使用') });

    const doctorLink = decodeURIComponent(/link=([^&]+)/.exec(links.doctor)?.[1] ?? '');
    await new Promise((r) => setTimeout(r, 3_100));
    const late = await post('/api/login/link', { link: doctorLink });
    expect(late.status).toBe(410);
    expect(late.body.error).toMatchObject({ code: 'linkExpired', message: expect.stringContaining('过期') });
  });

  test('malformed link requests get a clear error', async () => {
    await start();
    expect((await post('/api/login/link', '{not json')).body.error?.code).toBe('badFrame');
    expect((await post('/api/login/link', { token: 'x' })).body.error?.code).toBe('badFrame');
    expect((await post('/api/login/link', { link: 'garbage' })).body.error?.code).toBe('authFailed');
    expect((await fetch(`${server.url}/api/login/link`)).status).toBe(400);
  });
});

describe('consultation lifecycle', () => {
  async function waitingConsultation(over: { maxPatientMessages?: number; endsAt?: number } = {}) {
    await server.storage.createConsultation({ id: 'w1', patient: patient.account, doctor: doctor.account, teamName: '问诊', status: 'waiting', ...over, ...CONSENTED });
    return 'team-w1';
  }

  test('waiting → the doctor accepts → the doctor closes; a closed consultation takes no messages', async () => {
    await start();
    const session = await waitingConsultation();
    const p = await login(patient);
    const d = await login(doctor);
    await p.request('send', text('医生您好，孩子发烧', 'w1'));
    await expectError(d.request('send', text('您好', 'w1')), 'invalidTransition');
    await expectError(p.request('consultation', { sessionId: session, action: 'accept' }), 'forbidden');
    const accepted = await d.request('consultation', { sessionId: session, action: 'accept' });
    expect(accepted.consultation.status).toBe('inProgress');
    const notice = await p.waitFor((f): f is Extract<PushFrame, { type: 'msg' }> => isMsg(f) && f.msg.type === 'notification');
    expect(notice.msg).toMatchObject({ body: '张医生已接诊', attach: { consultation: { status: 'inProgress', by: doctor.account } } });
    await d.request('send', text('您好，体温多少？', 'w1'));
    await expectError(d.request('consultation', { sessionId: session, action: 'accept' }), 'invalidTransition');
    await expectError(p.request('consultation', { sessionId: session, action: 'cancel' }), 'invalidTransition');
    await d.request('consultation', { sessionId: session, action: 'close' });
    const closedMsg = await expectError(p.request('send', text('还有一个问题', 'w1')), 'consultationClosed');
    expect(closedMsg).toContain('已结束');
    await expectError(d.request('send', text('补充', 'w1')), 'consultationClosed');
    const sessions = (await p.request('sync', { cursors: {} })).sessions;
    expect(sessions.find((s) => s.id === session)?.consultation).toMatchObject({ status: 'closed', patientMessages: 1 });
  });

  test('the patient may cancel while waiting; quota and time limit close the input', async () => {
    await start();
    const session = await waitingConsultation({ maxPatientMessages: 2 });
    const p = await login(patient);
    await p.request('send', text('一', 'w1'));
    await p.request('send', text('二', 'w1'));
    const quota = await expectError(p.request('send', text('三', 'w1')), 'quotaExceeded');
    expect(quota).toContain('2 条');
    await p.request('consultation', { sessionId: session, action: 'cancel' });
    await expectError(p.request('send', text('四', 'w1')), 'consultationClosed');

    await server.storage.createConsultation({ id: 't1', patient: patient.account, doctor: doctor.account, teamName: '问诊', endsAt: Date.now() - 1, ...CONSENTED });
    expect(await expectError(p.request('send', text('过时', 't1')), 'consultationClosed')).toContain('时限');
  });
});

describe('sensitive words', () => {
  test('mask: stored and delivered masked, the sender learns the stored text', async () => {
    await start();
    const p = await login(patient);
    const d = await login(doctor);
    const ack = await p.request('send', text('可以帮我代开发票吗？加微信ABC'));
    expect(ack.body).toBe('可以帮我＊＊＊＊吗？＊＊＊ABC');
    const push = await d.waitFor(isMsg);
    expect(push.msg.body).toBe('可以帮我＊＊＊＊吗？＊＊＊ABC');
    const clean = await p.request('send', text('正常的话'));
    expect(clean.body).toBeUndefined();
  });

  test('block: refused with a reason, nothing stored', async () => {
    await start({ sensitiveMode: 'block', sensitiveWords: ['违禁词', 'BadWord'] });
    const p = await login(patient);
    const msg = await expectError(p.request('send', text('这里有违禁词')), 'contentBlocked');
    expect(msg).toContain('未发送');
    await expectError(p.request('send', text('case: badword')), 'contentBlocked');
    expect((await p.request('history', { sessionId: SESSION, limit: 10 })).msgs).toEqual([]);
  });
});

describe('audit trail', () => {
  test('records logins, sends, reads, recalls, uploads, file reads and consultation changes, chained; any edit or removal is detected', async () => {
    await start();
    const p = await login(patient);
    const d = await login(doctor);
    const ack = await p.request('send', text('第一条'));
    await p.request('recall', { sessionId: SESSION, idClient: (await p.request('send', text('撤回我'))).idClient });
    await d.request('markRead', { sessionId: SESSION, seq: ack.seq });
    const up = (await uploadAs(server, patient, 'file', 'a.pdf', pdf())).body;
    await fetch(server.url + up.url);
    await d.request('consultation', { sessionId: SESSION, action: 'close' });

    const records = await server.storage.auditRecords(0, 100);
    expect(records.map((r) => r.action)).toEqual([
      'login',
      'login',
      'message.send',
      'message.send',
      'message.recall',
      'message.read',
      'file.upload',
      'file.read',
      'consultation.close',
    ]);
    expect(records.every((r) => !r.detail.includes('第一条') && !r.detail.includes('撤回我'))).toBe(true);
    const { auditKey, auditAnchorFile } = testConfig(server.dir);
    const verify = () => verifyAudit(server.storage, auditKey, [auditAnchorFile]);
    await expect(verify()).resolves.toMatchObject({ ok: true, records: 9 });

    // The table refuses edits through SQL…
    const db = new Database(server.dbPath);
    expect(() => db.prepare("UPDATE audit_log SET actor = 'x' WHERE seq = 3").run()).toThrow('append-only');
    // …and someone who drops the guard is still caught by the chain.
    db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
    db.prepare("UPDATE audit_log SET detail = '{}' WHERE seq = 3").run();
    await expect(verify()).resolves.toMatchObject({ ok: false, brokenAt: { seq: 3, reason: expect.stringContaining('edited') } });
    db.prepare("UPDATE audit_log SET detail = ? WHERE seq = 3").run(records[2].detail);
    await expect(verify()).resolves.toMatchObject({ ok: true });
    db.prepare('DELETE FROM audit_log WHERE seq = 5').run();
    await expect(verify()).resolves.toMatchObject({ ok: false, brokenAt: { seq: 5, reason: expect.stringContaining('missing') } });
    db.prepare('DELETE FROM audit_log WHERE seq = 9').run();
    db.close();

    // The same check from the command line, as an auditor runs it.
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/audit-verify.ts')], {
      cwd: ROOT,
      env: { ...process.env, DB_PATH: server.dbPath, AUDIT_KEY: new TextDecoder().decode(auditKey), AUDIT_ANCHOR_FILE: auditAnchorFile },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('audit chain BROKEN at record 5');
  });
});

describe('encryption at rest', () => {
  test('message text and attachments are unreadable in the SQLite file; uploaded files are unreadable on disk', async () => {
    await start();
    const p = await login(patient);
    const secret = '我对青霉素过敏，最近血压偏高';
    await p.request('send', text(secret));
    await p.request('send', { msg: { scene: 'team', to: TEAM, type: 'geo', body: '', attach: { lat: 30.1, lng: 120.2, title: '杭州市西湖区某小区' }, idClient: `geo-${Date.now()}` } });
    await uploadAs(server, patient, 'file', 'report.pdf', pdf());

    const raw = readdirSync(server.dir)
      .filter((f) => f.startsWith('chat.sqlite'))
      .map((f) => readFileSync(join(server.dir, f)));
    const all = Buffer.concat(raw);
    expect(all.length).toBeGreaterThan(0);
    for (const plain of [secret, '青霉素', '杭州市西湖区']) expect(all.includes(Buffer.from(plain))).toBe(false);
    const stored = readdirSync(join(server.dir, 'files')).filter((f) => f !== 'tmp');
    expect(stored).toHaveLength(1);
    expect(readFileSync(join(server.dir, 'files', stored[0])).includes(Buffer.from('%PDF'))).toBe(false);
    // And the server reads it back.
    const page = await p.request('history', { sessionId: SESSION, limit: 10 });
    expect(page.msgs.map((m: Message) => m.body)).toContain(secret);
  });
});

test('server logs never contain message text or file names', async () => {
  const lines: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'medchat-log-'));
  const logged = await startServer(
    testConfig(dir),
    pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) }),
  );
  try {
    await logged.storage.upsertAccount(patient);
    await logged.storage.upsertAccount(doctor);
    await logged.storage.createConsultation({ id: TEAM, patient: patient.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
    const p = await WsClient.login(logged, patient);
    clients.push(p);
    await p.request('send', text('我的身份证号是110101199003071234'));
    p.sendRaw('{"v":1,"id":"x","type":"send","msg":{"body":"坏帧里的病情描述"}}');
    await uploadAs(logged, patient, 'file', '张三的病历.pdf', pdf());
    await p.request('ping', {});
    expect(lines.length).toBeGreaterThan(0);
    const all = lines.join('');
    for (const secret of ['110101199003071234', '坏帧里的病情描述', '张三的病历']) expect(all).not.toContain(secret);
  } finally {
    await logged.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('retention', () => {
  test('the purge removes only what is past retention: chat after 3 years, cards after 15', async () => {
    let now = Date.now();
    await start({ now: () => now });
    const p = await login(patient);
    const d = await login(doctor);
    await p.request('send', text('三年前的消息'));
    await d.request('send', {
      msg: { scene: 'team', to: TEAM, type: 'custom', body: '', attach: { card: 'labRequest', items: ['血常规'], reason: '复查' }, idClient: `card-${Date.now()}` },
    });
    // Stored times come from the database clock; move the server's clock instead.
    now += 3 * 365 * 86_400_000 - 86_400_000;
    await server.purge();
    expect((await p.request('history', { sessionId: SESSION, limit: 10 })).msgs).toHaveLength(2);
    now += 2 * 86_400_000;
    await server.purge();
    const left = (await p.request('history', { sessionId: SESSION, limit: 10 })).msgs;
    expect(left.map((m: Message) => m.type)).toEqual(['custom']);
    now += 12 * 365 * 86_400_000 + 5 * 86_400_000;
    await server.purge();
    expect((await p.request('history', { sessionId: SESSION, limit: 10 })).msgs).toEqual([]);
    const purges = (await server.storage.auditRecords(0, 100)).filter((r) => r.action === 'retention.purge');
    expect(purges.map((r) => JSON.parse(r.detail).messages)).toEqual([0, 1, 1]);
  });
});

describe('rate limit', () => {
  test('over 10 messages a second: a clear error, the connection stays, later sends pass', async () => {
    await start({ sendsPerSecond: 10 });
    const p = await login(patient);
    const results = await Promise.allSettled(Array.from({ length: 15 }, (_, i) => p.request('send', text(`快速 ${i}`))));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    expect(refused).toHaveLength(5);
    expect((refused[0] as PromiseRejectedResult).reason.frame).toMatchObject({ code: 'rateLimited', message: expect.stringContaining('10') });
    expect(p.ws.readyState).toBe(p.ws.OPEN);
    await new Promise((r) => setTimeout(r, 1_100));
    await expect(p.request('send', text('稍后再发'))).resolves.toMatchObject({ seq: 11 });
    // Reading is not limited.
    await expect(p.request('history', { sessionId: SESSION, limit: 50 })).resolves.toMatchObject({ hasMore: false });
  });
});
