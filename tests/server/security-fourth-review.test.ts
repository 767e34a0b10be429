/**
 * Findings a review left open, each as it could be reproduced against a running server (real server on
 * 127.0.0.1, real SQLite file), and what must happen instead.
 */
import Database from 'better-sqlite3';
import type { IdentityRecord } from '../../types/encounter';
import { type ImageAttach, IMAGE_MAX_PIXELS } from '../../types/media';
import type { Account, Message } from '../../types/message';
import { FAILED_SIGNINS } from '../../server/limits';
import type { RequestMap, RequestType } from '../../types/protocol';
import { NOTIFY_SETTINGS_PATH, RECORD_PATH } from '../../types/protocol';
import { CONSENTED, doctor, patient, serverPerTest, SESSION, startConsultationServer, stranger } from '../helpers/consultation';
import { bilevelPng, oleCompoundFile, png, wordDocument } from '../helpers/fixtures';
import { pharmacistSignsIn, rxClientId } from '../helpers/rx';
import { uploadAs } from '../helpers/upload';
import { ADMIN_API_KEY, expectError, outcome, WsClient } from '../helpers/server';

const next: Account = { account: 'doctor-zhou', name: '周医生', role: 'doctor' };
const self: IdentityRecord = { name: '李秀英', idNumber: '110101198001011234', sex: 'female', birthDate: '1980-01-01', relation: 'self' };

const ctx = serverPerTest(async () => {
  const server = await startConsultationServer({ sendsPerSecond: 10 });
  await server.storage.upsertAccount(next);
  return server;
});
const { login } = ctx;

const say = (to: string, body: string) => ({ msg: { scene: 'team' as const, to, type: 'text' as const, body, idClient: rxClientId() } });

describe('finding F1: a doctor a consultation was transferred away from keeps only what they had then', () => {
  test('their list shows the consultation as it was at the transfer: not its later status, quota or the identity confirmed after', async () => {
    // A consultation whose patient confirms who it is for only after the transfer.
    await ctx.server.storage.createConsultation({ id: 'k1', patient: patient.account, doctor: doctor.account, teamName: '问诊', maxPatientMessages: 5, candidates: [self], ...CONSENTED });
    const session = 'team-k1';
    const d = await login(doctor);
    const p = await login(patient);
    await p.request('send', say('k1', '医生您好'));
    const { consultation: atTransfer, notice } = await d.request('transfer', { sessionId: session, to: next.account });

    // After the transfer: the patient confirms their identity and writes on; the new doctor closes it.
    await p.request('identity', { sessionId: session, candidate: 0 });
    await p.request('send', say('k1', '转诊后说的病情'));
    const n = await login(next);
    await n.request('consultation', { sessionId: session, action: 'close' });

    const listed = (await d.request('sync', { cursors: {} })).sessions.find((s) => s.id === session);
    expect(listed?.readOnlyUpTo).toBe((notice.seq as number) - 1);
    expect(listed?.consultation).toEqual(atTransfer);
    expect(listed?.consultation).toMatchObject({ status: 'inProgress', patientMessages: 1, identified: false });
    expect(listed?.consultation).not.toHaveProperty('subject');
    expect(listed?.consultation).not.toHaveProperty('closedAt');
    // The encounter panel, where the identity is shown, is not theirs any more either.
    await expectError(d.request('encounter', { sessionId: session }), 'forbidden');
    // The new doctor and the patient see the consultation as it is.
    expect((await n.request('sync', { cursors: {} })).sessions.find((s) => s.id === session)?.consultation).toMatchObject({
      status: 'closed',
      patientMessages: 2,
      identified: true,
      subject: { name: self.name },
    });
  });

  test('a transfer stored before the copy was kept lists the session without any consultation state', async () => {
    const d = await login(doctor);
    await d.request('transfer', { sessionId: SESSION, to: next.account });
    // As a database upgraded from the version before leaves such a transfer.
    const db = new Database(ctx.server.dbPath);
    db.prepare('UPDATE consultation_transfers SET left_state = NULL').run();
    db.close();
    const listed = (await d.request('sync', { cursors: {} })).sessions.find((s) => s.id === SESSION);
    expect(listed).toMatchObject({ readOnlyUpTo: 0, name: patient.name });
    expect(listed).not.toHaveProperty('consultation');
  });
});

describe('finding F2: every frame that costs the server work is charged by the account’s rate limit', () => {
  /** `n` frames of one kind sent at once on one socket, by outcome (the code of a refusal). */
  const burst = async <T extends RequestType>(c: WsClient, n: number, type: T, payload: RequestMap[T]['req']) => {
    const outcomes = await Promise.all(Array.from({ length: n }, () => outcome(c.request(type, payload))));
    const counts: Record<string, number> = {};
    for (const o of outcomes) counts[o.split(':')[0]] = (counts[o.split(':')[0]] ?? 0) + 1;
    return counts;
  };

  test('a loop of renew, encounter or prescriptions frames is refused as rateLimited, and the connection stays', async () => {
    const d = await login(doctor);
    const ph = ctx.track(await pharmacistSignsIn(ctx.server));
    // Ten a second each: thirty at once cannot all pass, in however many seconds they arrive.
    for (const [c, type, payload] of [
      [d, 'renew', {}],
      [d, 'encounter', { sessionId: SESSION }],
      [ph, 'prescriptions', { limit: 10 }],
    ] as const) {
      const counts = await burst(c, 30, type, payload as never);
      expect({ type, refused: (counts.rateLimited ?? 0) > 0, other: Object.keys(counts).filter((k) => k !== 'resolved' && k !== 'rateLimited') }).toEqual({ type, refused: true, other: [] });
      // Refused, not cut off: the same socket goes on.
      expect(c.ws.readyState).toBe(c.ws.OPEN);
      await c.request('ping', {});
    }
  });

  test('a read that finds nothing, or is refused, still spends the read budget', async () => {
    await ctx.server.dispose();
    // One frame a second, so 500 messages read a second.
    ctx.server = await startConsultationServer({ sendsPerSecond: 1 });
    const p = await login(patient);
    // Nothing before seq 1: before, each of these cost nothing and none was ever refused.
    const empty = await burst(p, 1500, 'history', { sessionId: SESSION, beforeSeq: 1, limit: 10 });
    expect(empty.rateLimited ?? 0).toBeGreaterThan(0);
    expect(Object.keys(empty).sort()).toEqual(['rateLimited', 'resolved']);
    expect(p.ws.readyState).toBe(p.ws.OPEN);
    // Someone else's consultation: refused each time, after the look-ups that refused it.
    const s = await login(stranger);
    const refused = await burst(s, 1500, 'history', { sessionId: SESSION, limit: 10 });
    expect(refused.rateLimited ?? 0).toBeGreaterThan(0);
    expect(Object.keys(refused).sort()).toEqual(['forbidden', 'rateLimited']);
  });
});

describe('finding F3: a revoked token is told to sign in again even from an address throttled for forged ones', () => {
  test('after 10 forged tokens from the address, a logged-out token still gets authFailed (socket and HTTP), forged ones 429', async () => {
    const token = await ctx.server.auth.issue(patient);
    const out = await fetch(`${ctx.server.url}/api/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(out.status).toBe(200);
    await out.arrayBuffer();
    for (let i = 0; i < FAILED_SIGNINS.points; i++) await expectError(WsClient.loginWithToken(ctx.server, `forged.${i}.token`), 'authFailed');
    await expectError(WsClient.loginWithToken(ctx.server, 'forged.again.token'), 'rateLimited');
    // The reviewer's case: rateLimited kept the client retrying for 15 minutes before it was told.
    await expectError(WsClient.loginWithToken(ctx.server, token), 'authFailed');
    const http = await fetch(`${ctx.server.url}${NOTIFY_SETTINGS_PATH}`, { headers: { authorization: `Bearer ${token}` } });
    expect([http.status, (await http.json()).error.code]).toEqual([401, 'authFailed']);
    // The throttle of forged tokens holds, and a good token still signs in.
    await expectError(WsClient.loginWithToken(ctx.server, 'forged.later.token'), 'rateLimited');
    ctx.track(await WsClient.loginWithToken(ctx.server, await ctx.server.auth.issue(patient)));
  });
});

describe('finding F4: Office files that may carry macros are not passed on', () => {
  test('.doc/.xls/.ppt (OLE compound files) and .docm are refused with what to send instead; .docx is taken', async () => {
    for (const name of ['病历.doc', '化验.xls', '说明.ppt']) {
      const up = await uploadAs(ctx.server, patient, 'file', name, oleCompoundFile());
      expect({ name, status: up.status, code: up.body.error?.code }).toEqual({ name, status: 415, code: 'invalidUpload' });
      expect(up.body.error?.message).toContain('请另存为 PDF 或 .docx');
    }
    // Named .docx or .docm, the package says it holds macros.
    for (const name of ['报告.docm', '报告.docx']) {
      const up = await uploadAs(ctx.server, patient, 'file', name, wordDocument(true));
      expect({ name, status: up.status, message: up.body.error?.message }).toEqual({ name, status: 415, message: expect.stringContaining('带有宏') });
    }
    const docx = await uploadAs(ctx.server, patient, 'file', '报告.docx', wordDocument());
    expect(docx.status).toBe(200);
    expect(docx.body).toMatchObject({ ext: 'docx', mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' });
  });
});

describe('finding F5: a photo is measured from its header before it is decoded', () => {
  test('an image of more than IMAGE_MAX_PIXELS is refused as too large, as a photo and as a file; a normal photo is taken', async () => {
    // 8,000 × 6,000 = 48 MP in a few kilobytes: decoded, it took tens of megabytes and seconds.
    const bomb = bilevelPng(8000, 6000);
    expect(8000 * 6000).toBeGreaterThan(IMAGE_MAX_PIXELS);
    expect(bomb.length).toBeLessThan(64 * 1024);
    for (const kind of ['image', 'file']) {
      const up = await uploadAs(ctx.server, patient, kind, '扫描.png', bomb);
      expect({ kind, status: up.status, code: up.body.error?.code }).toEqual({ kind, status: 413, code: 'fileTooLarge' });
      expect(up.body.error?.message).toContain('图片尺寸过大');
    }
    expect((await uploadAs(ctx.server, patient, 'image', 'x.png', await png(64, 48))).body).toMatchObject({ w: 64, h: 48 });
  });
});

describe('finding F7: a signed file URL opens only while its message is there and its viewer may read it', () => {
  const photo = async (scene: 'team' | 'p2p', to: string) => {
    const up = await uploadAs(ctx.server, patient, 'image', 'rash.png', await png(32, 24));
    return { scene, to, type: 'image' as const, body: '', idClient: rxClientId(), attach: { fileId: up.body.fileId } };
  };
  const status = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${ctx.server.url}${path}`, { headers });
    await res.arrayBuffer();
    return res.status;
  };
  const attachOf = (m: Message) => m.attach as unknown as ImageAttach;

  test('after a recall the URLs the others were given stop opening the photo', async () => {
    const p = await login(patient);
    const d = await login(doctor);
    const sent = await photo('team', 'c1');
    await p.request('send', { msg: sent });
    const [seen] = (await d.request('history', { sessionId: SESSION, limit: 1 })).msgs;
    const { url, thumbUrl } = attachOf(seen);
    expect([await status(url), await status(thumbUrl)]).toEqual([200, 200]);
    // Named for the doctor, the URL does not pass for anyone else, nor without its name.
    expect(await status(url.replace(`a=${doctor.account}`, `a=${patient.account}`))).toBe(403);
    expect(await status(url.replace(/&c=.*$/, ''))).toBe(403);
    await p.request('recall', { sessionId: SESSION, idClient: sent.idClient });
    expect([await status(url), await status(thumbUrl)]).toEqual([403, 403]);
    // The hospital's record keeps the recalled photo, and its URLs open for the API client that asked.
    const admin = { authorization: `Bearer ${ADMIN_API_KEY}` };
    const record = await fetch(`${ctx.server.url}${RECORD_PATH}?id=c1`, { headers: admin });
    const kept = ((await record.json()) as { messages: Array<Message & { recalled?: true }> }).messages.find((m) => m.idClient === sent.idClient);
    expect(kept?.recalled).toBe(true);
    expect(await status(attachOf(kept as Message).url, admin)).toBe(200);
  });

  test('after a transfer the doctor it left opens the photos up to it, and none of the private chat the transfer closed', async () => {
    const p = await login(patient);
    const d = await login(doctor);
    await p.request('send', { msg: await photo('team', 'c1') });
    await p.request('send', { msg: await photo('p2p', doctor.account) });
    const [inTeam] = (await d.request('history', { sessionId: SESSION, limit: 1 })).msgs;
    const [inPrivate] = (await d.request('history', { sessionId: `p2p-${patient.account}`, limit: 1 })).msgs;
    expect([await status(attachOf(inTeam).url), await status(attachOf(inPrivate).url)]).toEqual([200, 200]);
    await d.request('transfer', { sessionId: SESSION, to: next.account });
    // The consultation up to the transfer is still theirs to read (history gives it too); the private chat is not.
    expect([await status(attachOf(inTeam).url), await status(attachOf(inPrivate).url)]).toEqual([200, 403]);
  });
});
