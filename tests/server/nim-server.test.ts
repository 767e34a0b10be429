/**
 * The backend a NIM deployment needs: tokens through NetEase's server API, against a local stub of
 * that API that checks every call's CheckSum = SHA1(AppSecret + Nonce + CurTime) as NetEase does.
 */
import { NIM_TOKENS } from '../../server/limits';
import { nimCheckSum } from '../../server/nim';
import { doctor, patient, startConsultationServer } from '../helpers/consultation';
import { APP_KEY, APP_SECRET, startNimStub } from '../helpers/nim-stub';
import { pharmacist } from '../helpers/rx';
import { ADMIN_API_KEY, type TestServer } from '../helpers/server';

let server: TestServer;
let stub: Awaited<ReturnType<typeof startNimStub>>;

afterEach(async () => {
  await server?.dispose();
  await stub?.close();
});

const tokenRequest = async (bearer?: string) => {
  const res = await fetch(`${server.url}/api/nim/token`, { method: 'POST', headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  return { status: res.status, body: (await res.json()) as { appKey?: string; account?: string; token?: string; error?: { code: string; message: string } } };
};

test('CheckSum is SHA1 over AppSecret, Nonce and CurTime, lower-case hex', () => {
  // Fixed inputs, a fixed digest: a change of order, case or encoding fails here.
  expect(nimCheckSum('secret', 'nonce', '1700000000')).toBe('c0b87c883bf8a70941d7e81c14cc7c7e7ccd3ba2');
  expect(nimCheckSum('secret', 'nonce', '1700000001')).not.toBe('c0b87c883bf8a70941d7e81c14cc7c7e7ccd3ba2');
});

test('a signed-in person gets their own NIM token: created the first time, refreshed after; the secret never leaves', async () => {
  stub = await startNimStub();
  server = await startConsultationServer({ nim: { appKey: APP_KEY, appSecret: APP_SECRET, apiUrl: stub.url } });
  const token = await server.auth.issue(patient);

  const first = await tokenRequest(token);
  expect(first.status).toBe(200);
  expect(first.body).toEqual({ appKey: APP_KEY, account: patient.account, token: `tok-${patient.account}-created`, me: patient });
  expect(stub.calls.map((c) => c.action)).toEqual(['user/refreshToken.action', 'user/create.action']);
  expect(stub.calls[1].params.get('name')).toBe(patient.name);

  const second = await tokenRequest(token);
  expect(second.body.token).toMatch(new RegExp(`^tok-${patient.account}-\\d+$`));
  expect(stub.rejected).toBe(0);
  // Every call had its own nonce.
  expect(new Set(stub.calls.map((c) => c.headers.nonce)).size).toBe(stub.calls.length);
  expect(JSON.stringify([first.body, second.body])).not.toContain(APP_SECRET);

  const d = await tokenRequest(await server.auth.issue(doctor));
  expect(d.body.account).toBe(doctor.account);
});

test('a pharmacist, who takes part in no conversation, gets no NetEase account: refused, NetEase never asked', async () => {
  stub = await startNimStub();
  server = await startConsultationServer({ nim: { appKey: APP_KEY, appSecret: APP_SECRET, apiUrl: stub.url } });
  await server.storage.upsertAccount(pharmacist);
  const refused = await tokenRequest(await server.auth.issue(pharmacist));
  expect(refused.status).toBe(403);
  expect(refused.body.error).toEqual({ code: 'forbidden', message: 'a pharmacist cannot nimToken' });
  expect(stub.calls).toEqual([]);
});

test('without our session token, with a wrong secret, or without NIM configured: clear errors', async () => {
  stub = await startNimStub();
  server = await startConsultationServer({ nim: { appKey: APP_KEY, appSecret: 'wrong-secret', apiUrl: stub.url } });
  expect((await tokenRequest()).status).toBe(401);
  expect((await tokenRequest('forged')).body.error?.code).toBe('authFailed');
  const refused = await tokenRequest(await server.auth.issue(patient));
  expect(refused.status).toBe(500);
  expect(refused.body.error?.message).toContain('code 403');
  expect(stub.rejected).toBe(1);
  await server.dispose();

  server = await startConsultationServer();
  const off = await tokenRequest(await server.auth.issue(patient));
  expect(off.status).toBe(404);
  expect(off.body.error?.message).toContain('NIM_APP_KEY');
});

test("the hospital's revocation of an account's sign-ins also makes its NIM token worthless", async () => {
  stub = await startNimStub();
  server = await startConsultationServer({ nim: { appKey: APP_KEY, appSecret: APP_SECRET, apiUrl: stub.url } });
  const held = (await tokenRequest(await server.auth.issue(patient))).body.token;
  const res = await fetch(`${server.url}/api/sessions/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ account: patient.account }),
  });
  expect(res.status).toBe(200);
  const last = stub.calls.at(-1);
  expect(last?.action).toBe('user/refreshToken.action');
  expect(last?.params.get('accid')).toBe(patient.account);
  // What the device held is no longer NetEase's token for the account.
  const now = (await tokenRequest(await server.auth.issue(patient))).body.token;
  expect(now).not.toBe(held);
  expect(stub.rejected).toBe(0);
});

test('NIM token requests are limited per account (each is a call to NetEase and an audit record)', async () => {
  stub = await startNimStub();
  server = await startConsultationServer({ nim: { appKey: APP_KEY, appSecret: APP_SECRET, apiUrl: stub.url } });
  const token = await server.auth.issue(patient);
  const statuses: number[] = [];
  for (let i = 0; i < NIM_TOKENS.points + 1; i++) statuses.push((await tokenRequest(token)).status);
  expect(statuses.slice(0, NIM_TOKENS.points).every((s) => s === 200)).toBe(true);
  expect(statuses[NIM_TOKENS.points]).toBe(429);
  // Another account is not held back.
  expect((await tokenRequest(await server.auth.issue(doctor))).status).toBe(200);
});
