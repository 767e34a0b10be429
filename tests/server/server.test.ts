import { SignJWT } from 'jose';
import type { Account, Message } from '../../types/message';
import { sessionIdOf, TEXT_MAX_CHARS } from '../../types/message';
import type { PushFrame, ServerFrame } from '../../types/protocol';
import { MAX_FRAME_BYTES, SYNC_FRESH } from '../../types/protocol';
import { CONSENTED, doctor, patient, SESSION, startConsultationServer, stranger, TEAM } from '../helpers/consultation';
import { expectError, testConfig, WsClient, type TestServer } from '../helpers/server';


let server: TestServer;
const clients: WsClient[] = [];

async function login(account: Account): Promise<WsClient> {
  const c = await WsClient.login(server, account);
  clients.push(c);
  return c;
}

async function open(): Promise<WsClient> {
  const c = await WsClient.open(server);
  clients.push(c);
  return c;
}

let idn = 0;
const text = (body: string, idClient = `idc-${++idn}-${Date.now()}`) => ({
  msg: { scene: 'team' as const, to: TEAM, type: 'text' as const, body, idClient },
});


beforeEach(async () => {
  server = await startConsultationServer();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.dispose();
});

describe('authentication', () => {
  test('a forged token is refused with authFailed and the connection can still sign in', async () => {
    const c = await open();
    const forged = await new SignJWT({ role: 'doctor' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(doctor.account)
      .setIssuer('medchat')
      .setAudience('medchat-im')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('not-the-server-secret-not-the-server-secret'));
    await expectError(c.request('auth', { token: forged }), 'authFailed');
    await expectError(c.request('auth', { token: 'garbage' }), 'authFailed');
    const ok = await c.request('auth', { token: await server.auth.issue(patient) });
    expect(ok.me).toEqual(patient);
  });

  test('an expired token is refused with tokenExpired, distinct from a bad one', async () => {
    const c = await open();
    const expired = await server.auth.issue(patient, -10);
    await expectError(c.request('auth', { token: expired }), 'tokenExpired');
  });

  test('requests before auth are refused with unauthenticated', async () => {
    const c = await open();
    await expectError(c.request('send', text('hi')), 'unauthenticated');
    await expectError(c.request('sync', { cursors: {} }), 'unauthenticated');
  });

  test('a token for an account that does not exist is refused', async () => {
    const c = await open();
    const token = await server.auth.issue({ account: 'ghost', role: 'patient' });
    await expectError(c.request('auth', { token }), 'authFailed');
  });
});

describe('sending', () => {
  test('a message is acked with seq 1, stored, and pushed to the other member once', async () => {
    const p = await login(patient);
    const d = await login(doctor);
    const ack = await p.request('send', text('医生您好，我头痛三天了'));
    expect(ack).toMatchObject({ sessionId: SESSION, seq: 1 });
    const push = await d.waitFor((f): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg');
    expect(push.msg).toMatchObject({ body: '医生您好，我头痛三天了', from: patient.account, fromNick: '李女士', seq: 1 });
    expect(p.pushes.filter((f) => f.type === 'msg')).toHaveLength(0);
    const page = await d.request('history', { sessionId: SESSION, limit: 10 });
    expect(page.msgs.map((m) => m.body)).toEqual(['医生您好，我头痛三天了']);
  });

  test('a retried send with the same idClient returns the original ack and stores nothing new', async () => {
    const p = await login(patient);
    const d = await login(doctor);
    const first = await p.request('send', text('retry me', 'same-id-123'));
    const again = await p.request('send', text('retry me', 'same-id-123'));
    const p2 = await login(patient);
    const third = await p2.request('send', text('retry me', 'same-id-123'));
    expect(again).toEqual(first);
    expect(third).toEqual(first);
    const page = await d.request('history', { sessionId: SESSION, limit: 10 });
    expect(page.msgs).toHaveLength(1);
    await d.request('ping', {});
    expect(d.pushes.filter((f) => f.type === 'msg')).toHaveLength(1);
  });

  test('seq stays gap-free and unique under concurrent senders on several connections', async () => {
    const senders = await Promise.all([patient, patient, patient, doctor, doctor, doctor].map(login));
    const perSender = 40;
    const acks = await Promise.all(
      senders.flatMap((c, i) =>
        Array.from({ length: perSender }, (_, k) => c.request('send', text(`s${i}-${k}`, `c${i}-k${k}-concurrent`))),
      ),
    );
    const seqs = acks.map((a) => a.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: senders.length * perSender }, (_, i) => i + 1));
    // Each connection's own messages keep the order in which it sent them.
    for (let i = 0; i < senders.length; i++) {
      const mine = acks.slice(i * perSender, (i + 1) * perSender).map((a) => a.seq);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
  });

  test('another patient cannot write to, read, or mark a consultation they are not in', async () => {
    const w = await login(stranger);
    await expectError(w.request('send', text('let me in')), 'forbidden');
    await expectError(w.request('history', { sessionId: SESSION, limit: 10 }), 'forbidden');
    await expectError(w.request('markRead', { sessionId: SESSION, seq: 1 }), 'forbidden');
    await expectError(
      w.request('send', { msg: { scene: 'p2p', to: patient.account, type: 'text', body: 'hi', idClient: 'p2p-attempt-1' } }),
      'forbidden',
    );
    const sync = await w.request('sync', { cursors: { [SESSION]: 0 } });
    expect(sync.sessions).toEqual([]);
    expect(sync.msgs).toEqual([]);
  });

  test('p2p between members of a shared consultation uses viewer-relative session ids', async () => {
    const p = await login(patient);
    const d = await login(doctor);
    const ack = await p.request('send', {
      msg: { scene: 'p2p', to: doctor.account, type: 'text', body: '私聊', idClient: 'p2p-message-1' },
    });
    expect(ack.sessionId).toBe(`p2p-${doctor.account}`);
    const push = await d.waitFor((f) => f.type === 'msg');
    expect((push as { msg: Message }).msg.sessionId).toBe(`p2p-${patient.account}`);
  });
});

describe('bad input', () => {
  test('every malformed frame gets an error frame and the connection keeps working', async () => {
    const p = await login(patient);
    const cases: Array<[string, string]> = [
      ['not json', 'badFrame'],
      ['[1,2,3]', 'badFrame'],
      ['null', 'badFrame'],
      [JSON.stringify({ v: 2, id: 'x1', type: 'ping' }), 'unsupportedVersion'],
      [JSON.stringify({ v: 1, id: 'x2', type: 'explode' }), 'badFrame'],
      [JSON.stringify({ v: 1, id: 'x3', type: 'send' }), 'invalidMessage'],
      [JSON.stringify({ v: 1, id: 'x4', type: 'send', msg: { ...text('').msg } }), 'invalidMessage'],
      [JSON.stringify({ v: 1, id: 'x5', type: 'send', msg: { ...text('a').msg, type: 'tip' } }), 'invalidMessage'],
      [JSON.stringify({ v: 1, id: 'x6', type: 'send', msg: { ...text('a').msg, idClient: '../../x' } }), 'invalidMessage'],
      [JSON.stringify({ v: 1, id: 'x7', type: 'history', sessionId: SESSION, limit: 100000 }), 'badFrame'],
      [JSON.stringify({ v: 1, id: 'x8', type: 'ping', extra: true }), 'badFrame'],
      [JSON.stringify({ v: 1, id: 'x9', type: 'send', msg: text('x'.repeat(TEXT_MAX_CHARS + 1)).msg }), 'messageTooLarge'],
      [JSON.stringify({ v: 1, id: 'x10', type: 'ping', pad: 'x'.repeat(MAX_FRAME_BYTES) }), 'frameTooLarge'],
    ];
    for (const [raw, code] of cases) {
      const before = p.frames.length;
      p.sendRaw(raw);
      const frame = await p.waitFor((f: ServerFrame) => p.frames.indexOf(f) >= before && f.type === 'error');
      expect({ raw: raw.slice(0, 60), code: (frame as { code: string }).code }).toEqual({ raw: raw.slice(0, 60), code });
    }
    p.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await p.waitFor((f) => f.type === 'error' && f.message.includes('binary'));
    const ack = await p.request('send', text('still here'));
    expect(ack.seq).toBe(1);
  });

  test('the error frame echoes the request id when it could be read', async () => {
    const p = await login(patient);
    p.sendRaw(JSON.stringify({ v: 1, id: 'echo-me', type: 'history', sessionId: 'nonsense', limit: 1 }));
    const frame = await p.waitFor((f) => f.type === 'error');
    expect(frame).toMatchObject({ id: 'echo-me', code: 'badFrame' });
  });
});

describe('history, sync and unread', () => {
  test('history pages backwards by cursor without overlap', async () => {
    const p = await login(patient);
    for (let i = 1; i <= 25; i++) await p.request('send', text(`n${i}`));
    const first = await p.request('history', { sessionId: SESSION, limit: 10 });
    expect(first.msgs.map((m) => m.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(first.hasMore).toBe(true);
    const second = await p.request('history', { sessionId: SESSION, beforeSeq: 16, limit: 10 });
    expect(second.msgs.map((m) => m.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const last = await p.request('history', { sessionId: SESSION, beforeSeq: 6, limit: 10 });
    expect(last.msgs.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(last.hasMore).toBe(false);
  });

  test('a sync without cursors brings the newest page of the most recent sessions only; history and cursors bring the rest', async () => {
    const d = await login(doctor);
    // The consultation of the setup, then more, each written to after the one before: newest last.
    const teams = [TEAM];
    for (let k = 0; k <= SYNC_FRESH.sessions; k++) {
      const id = `more-${k}`;
      await server.storage.createConsultation({ id, patient: patient.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
      teams.push(id);
    }
    for (const team of teams) {
      for (let i = 0; i < SYNC_FRESH.messages + 5; i++) await d.request('send', { msg: { ...text(`${team} ${i}`).msg, to: team } });
    }
    const lastSeq = SYNC_FRESH.messages + 5;
    const seqsOf = (msgs: Message[], team: string) => msgs.filter((m) => m.sessionId === sessionIdOf('team', team)).map((m) => m.seq);
    const newest = Array.from({ length: SYNC_FRESH.messages }, (_, i) => lastSeq - SYNC_FRESH.messages + 1 + i);

    const fresh = await login(doctor);
    const sync = await fresh.request('sync', { cursors: {} });
    expect(sync.complete).toBe(true);
    expect(sync.sessions).toHaveLength(teams.length);
    const [oldest, second, ...recent] = teams;
    expect(recent).toHaveLength(SYNC_FRESH.sessions);
    for (const team of recent) expect(seqsOf(sync.msgs, team)).toEqual(newest);
    expect([seqsOf(sync.msgs, oldest), seqsOf(sync.msgs, second)]).toEqual([[], []]);
    expect(sync.sessions.find((s) => s.id === sessionIdOf('team', oldest))).toMatchObject({ lastSeq, lastMsg: { seq: lastSeq } });

    // Holding cursors for the recent ones does not pull older sessions in: reconnects do not add up.
    const again = await fresh.request('sync', { cursors: Object.fromEntries(recent.map((t) => [sessionIdOf('team', t), lastSeq])) });
    expect(again.msgs).toEqual([]);

    const opened = await fresh.request('history', { sessionId: sessionIdOf('team', oldest), limit: 10 });
    expect(opened.msgs.map((m) => m.seq)).toEqual(newest.slice(-10));
    const caughtUp = await fresh.request('sync', { cursors: { [sessionIdOf('team', oldest)]: 3 } });
    expect(seqsOf(caughtUp.msgs, oldest)).toEqual(Array.from({ length: lastSeq - 3 }, (_, i) => 4 + i));
  });

  test('sync returns what came after the cursor, unread counts, and markRead clears them everywhere', async () => {
    const p = await login(patient);
    for (let i = 1; i <= 3; i++) await p.request('send', text(`n${i}`));
    const d = await login(doctor);
    const d2 = await login(doctor);
    const sync = await d.request('sync', { cursors: { [SESSION]: 1 } });
    expect(sync.complete).toBe(true);
    expect(sync.msgs.map((m) => m.seq)).toEqual([2, 3]);
    expect(sync.sessions).toHaveLength(1);
    expect(sync.sessions[0]).toMatchObject({ id: SESSION, name: '李女士', unread: 3, lastSeq: 3, readSeq: 0 });
    expect(sync.sessions[0].consultation).toMatchObject({ patient: patient.account, doctor: doctor.account });

    const read = await d.request('markRead', { sessionId: SESSION, seq: 999 });
    expect(read.readSeq).toBe(3);
    await p.waitFor((f) => f.type === 'read' && f.readSeq === 3 && f.account === doctor.account);
    await d2.waitFor((f) => f.type === 'unread' && f.unread === 0);
    const after = await d2.request('sync', { cursors: {} });
    expect(after.sessions[0]).toMatchObject({ unread: 0, readSeq: 3 });
    const patientView = await p.request('sync', { cursors: { [SESSION]: 3 } });
    expect(patientView.sessions[0]).toMatchObject({ name: '张医生', peerReadSeq: 3, unread: 0 });
  });

  test('messages survive a server restart on the same SQLite file', async () => {
    const p = await login(patient);
    await p.request('send', text('persist me'));
    const { dbPath, dir } = server;
    await server.close();
    const { startServer } = await import('../../server/app');
    const pino = (await import('pino')).default;
    const restarted = await startServer(
      testConfig(dir, { jwtSecret: new TextEncoder().encode('x'.repeat(40)), tokenTtlSec: 60 }),
      pino({ level: 'silent' }),
    );
    server = { ...restarted, dir, dbPath, dispose: async () => restarted.close() };
    const d = await login(doctor);
    const page = await d.request('history', { sessionId: SESSION, limit: 5 });
    expect(page.msgs.map((m) => m.body)).toEqual(['persist me']);
    const ack = await d.request('send', text('next'));
    expect(ack.seq).toBe(2);
  });
});
