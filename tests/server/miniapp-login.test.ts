/**
 * Mini-program sign-in on a real server against a local stub of WeChat's server API that checks every
 * parameter (tests/helpers/wechat-stub.ts): binding once through the hospital's link, silent sign-in
 * with a fresh code after that, an unbound launch, an expired token replaced without SMS, unbinding,
 * WeChat refusing and timing out; the SMS's URL Link and the access token every process shares.
 */
import Database from 'better-sqlite3';
import pino from 'pino';
import { startServer } from '../../server/app';
import { FAILED_SIGNINS } from '../../server/limits';
import type { ServerConfig } from '../../server/config';
import { MINIAPP_LOGIN_PATH, MINIAPP_UNBIND_PATH } from '../../types/miniapp';
import { doctor, patient, SESSION, startConsultationServer, stranger, TEAM } from '../helpers/consultation';
import { postJson } from '../helpers/post-json';
import { ADMIN_API_KEY, liveClaims, testConfig, type TestServer } from '../helpers/server';
import { startWechatStub, WX_APPID, WX_SECRET, type WechatStub } from '../helpers/wechat-stub';

let server: TestServer;
let wx: WechatStub;

const weapp = (over: Partial<ServerConfig> = {}): Partial<ServerConfig> => ({
  platforms: { timeoutMs: 400, weapp: { appid: WX_APPID, secret: WX_SECRET, apiUrl: wx.url } },
  ...over,
});

beforeEach(async () => {
  wx = await startWechatStub();
});
afterEach(async () => {
  await server?.dispose();
  await wx.close();
});

const signIn = (body: object) => postJson(`${server.url}${MINIAPP_LOGIN_PATH}`, { platform: 'weapp', ...body });
const admin = (path: string, body: object) => postJson(`${server.url}${path}`, body, { authorization: `Bearer ${ADMIN_API_KEY}` });
const auditActions = async () => (await server.storage.auditRecords(0, 1000)).map((r) => r.action);

test('the first launch binds through the link; later launches sign in silently; an unbound launch is told so', async () => {
  server = await startConsultationServer(weapp());
  expect((await signIn({ code: wx.codes.of('openid-li') })).body.error.code).toBe('notBound');

  const bound = await signIn({ code: wx.codes.of('openid-li'), link: await server.auth.issueLink(patient) });
  expect(bound.status).toBe(200);
  expect(bound.body).toEqual({ token: expect.any(String), expiresAt: expect.any(Number), me: patient });
  expect((await liveClaims(server, bound.body.token)).account).toBe(patient.account);
  // WeChat was asked exactly as documented: the secret goes to WeChat and nowhere else.
  const call = wx.calls.find((c) => c.path === '/sns/jscode2session');
  expect([...(call?.query.keys() ?? [])].sort()).toEqual(['appid', 'grant_type', 'js_code', 'secret']);
  expect(JSON.stringify(bound.body)).not.toContain(WX_SECRET);

  const silent = await signIn({ code: wx.codes.of('openid-li') });
  expect(silent.status).toBe(200);
  expect(silent.body.me).toEqual(patient);
  // The same kind of token as every other sign-in: a new session each time.
  const [a, b] = [await liveClaims(server, bound.body.token), await liveClaims(server, silent.body.token)];
  expect(a.sid).not.toBe(b.sid);

  // Another WeChat user with no link stays unbound, and the answer says what to do.
  const other = await signIn({ code: wx.codes.of('openid-wang') });
  expect(other.status).toBe(404);
  expect(other.body.error).toEqual({ code: 'notBound', message: expect.stringContaining('链接') });
  expect(await auditActions()).toEqual(expect.arrayContaining(['miniapp.bind', 'login.miniapp']));
});

test('openids are stored sealed and found by MAC; the audit holds ids only', async () => {
  server = await startConsultationServer(weapp());
  await signIn({ code: wx.codes.of('openid-li-sealed'), link: await server.auth.issueLink(patient) });
  const raw = new Database(server.dbPath, { readonly: true });
  try {
    const dump = JSON.stringify(raw.prepare('SELECT * FROM miniapp_bindings').all()) + JSON.stringify(raw.prepare('SELECT * FROM audit_log').all());
    expect(dump).not.toContain('openid-li-sealed');
    expect(dump).not.toContain('union-openid-li-sealed');
  } finally {
    raw.close();
  }
  expect(await server.storage.miniappBindingsOf(patient.account)).toEqual([
    { platform: 'weapp', appid: WX_APPID, openid: 'openid-li-sealed', unionid: 'union-openid-li-sealed', account: patient.account, boundAt: expect.any(Number) },
  ]);
});

test('an expired session token is replaced by signing in with a fresh code, no SMS needed', async () => {
  server = await startConsultationServer(weapp({ tokenTtlSec: 1 }));
  const first = await signIn({ code: wx.codes.of('openid-li'), link: await server.auth.issueLink(patient) });
  await new Promise((r) => setTimeout(r, first.body.expiresAt - Date.now() + 50));
  await expect(liveClaims(server, first.body.token)).rejects.toMatchObject({ code: 'tokenExpired' });
  const again = await signIn({ code: wx.codes.of('openid-li') });
  expect(again.status).toBe(200);
  expect((await liveClaims(server, again.body.token)).account).toBe(patient.account);
});

test('a link binds once; binding a user again with another link moves it; a forged link binds nothing', async () => {
  server = await startConsultationServer(weapp());
  const link = await server.auth.issueLink(patient);
  expect((await signIn({ code: wx.codes.of('openid-li'), link })).status).toBe(200);
  const reused = await signIn({ code: wx.codes.of('openid-other'), link });
  expect(reused.body.error.code).toBe('linkUsed');
  expect((await signIn({ code: wx.codes.of('openid-other') })).body.error.code).toBe('notBound');

  // The same WeChat user opening another person's link (a family member's phone) now signs in as them.
  expect((await signIn({ code: wx.codes.of('openid-li'), link: await server.auth.issueLink(stranger) })).body.me).toEqual(stranger);
  expect((await signIn({ code: wx.codes.of('openid-li') })).body.me).toEqual(stranger);
  const bind = (await server.storage.auditRecords(0, 1000)).filter((r) => r.action === 'miniapp.bind').map((r) => JSON.parse(r.detail));
  expect(bind[1]).toMatchObject({ platform: 'weapp', replaced: patient.account });

  const forged = await signIn({ code: wx.codes.of('openid-x'), link: 'eyJhbGciOiJIUzI1NiJ9.e30.forged' });
  expect(forged.body.error.code).toBe('authFailed');
});

test('WeChat refusing: an invalid code, a used code, its rate limit; failed exchanges throttle the address', async () => {
  server = await startConsultationServer(weapp());
  const link = await server.auth.issueLink(patient);
  const invalid = await signIn({ code: 'never-issued', link });
  expect(invalid.status).toBe(401);
  expect(invalid.body.error).toEqual({ code: 'codeInvalid', message: expect.stringContaining('40029') });
  // The link survives a refused code: the app retries with a fresh one.
  const code = wx.codes.of('openid-li');
  expect((await signIn({ code, link })).status).toBe(200);
  const used = await signIn({ code });
  expect(used.body.error).toEqual({ code: 'codeInvalid', message: expect.stringContaining('40163') });

  wx.rateLimited = true;
  const limited = await signIn({ code: wx.codes.of('openid-li') });
  expect(limited.status).toBe(429);
  expect(limited.body.error.message).toContain('45011');
  wx.rateLimited = false;

  for (let i = 2; i < FAILED_SIGNINS.points; i++) await signIn({ code: `bad-${i}` });
  const throttled = await signIn({ code: wx.codes.of('openid-li') });
  expect(throttled.status).toBe(429);
  expect(throttled.body.error.code).toBe('rateLimited');
});

test('each kind of failed credential throttles only its own kind: forged tokens lock neither mini-program sign-in nor the hospital API out; refused codes hold up unbind before WeChat is asked', async () => {
  server = await startConsultationServer(weapp());
  const bound = await signIn({ code: wx.codes.of('openid-li'), link: await server.auth.issueLink(patient) });
  expect(bound.status).toBe(200);
  for (let i = 0; i < FAILED_SIGNINS.points; i++) {
    expect((await fetch(`${server.url}/api/logout`, { method: 'POST', headers: { authorization: `Bearer forged.${i}.token` } })).status).toBe(401);
  }
  expect((await signIn({ code: wx.codes.of('openid-li') })).status).toBe(200);
  expect((await admin('/api/sessions/revoke', { account: stranger.account })).status).toBe(200);

  for (let i = 0; i < FAILED_SIGNINS.points; i++) expect((await signIn({ code: `bad-${i}` })).body.error.code).toBe('codeInvalid');
  const asked = wx.calls.length;
  const unbind = await postJson(`${server.url}${MINIAPP_UNBIND_PATH}`, { platform: 'weapp', code: wx.codes.of('openid-li') }, { authorization: `Bearer ${bound.body.token}` });
  expect([unbind.status, unbind.body.error.code]).toEqual([429, 'rateLimited']);
  expect(wx.calls.length).toBe(asked);
  // The session itself is not a code: it still works from this address.
  expect((await fetch(`${server.url}/api/logout`, { method: 'POST', headers: { authorization: `Bearer ${bound.body.token}` } })).status).toBe(200);
});

test('WeChat not answering in time: a clear error, and the link is still good', async () => {
  server = await startConsultationServer(weapp());
  const link = await server.auth.issueLink(patient);
  wx.delayMs = 2000;
  const started = Date.now();
  const slow = await signIn({ code: wx.codes.of('openid-li'), link });
  expect(Date.now() - started).toBeLessThan(1500);
  expect(slow.status).toBe(502);
  expect(slow.body.error).toEqual({ code: 'platformError', message: expect.stringContaining('秒内没有应答') });
  wx.delayMs = 0;
  expect((await signIn({ code: wx.codes.of('openid-li'), link })).status).toBe(200);
});

test('a platform that is not configured answers notFound naming its variables; bad bodies are refused', async () => {
  server = await startConsultationServer(weapp());
  const tt = await postJson(`${server.url}${MINIAPP_LOGIN_PATH}`, { platform: 'tt', code: 'x' });
  expect(tt.status).toBe(404);
  expect(tt.body.error.message).toContain('TT_APPID');
  expect((await postJson(`${server.url}${MINIAPP_LOGIN_PATH}`, { platform: 'qq', code: 'x' })).body.error.code).toBe('badFrame');
  expect((await signIn({ code: '' })).body.error.code).toBe('badFrame');
  expect((await signIn({ code: 'x', token: 'chosen-by-someone' })).body.error.code).toBe('badFrame');
  await server.dispose();
  server = await startConsultationServer();
  expect((await signIn({ code: 'x' })).body.error.message).toContain('WECHAT_APPID');
});

test('unbinding: the user is unbound and this session ends; the hospital revoking an account unbinds it too', async () => {
  server = await startConsultationServer(weapp());
  const { body } = await signIn({ code: wx.codes.of('openid-li'), link: await server.auth.issueLink(patient) });
  const unbind = (token: string, code: string) => postJson(`${server.url}${MINIAPP_UNBIND_PATH}`, { platform: 'weapp', code }, { authorization: `Bearer ${token}` });

  expect((await unbind(body.token, wx.codes.of('openid-someone-else'))).body.error.code).toBe('notBound');
  expect((await unbind('forged', wx.codes.of('openid-li'))).status).toBe(401);
  expect((await unbind(body.token, wx.codes.of('openid-li'))).status).toBe(200);
  await expect(liveClaims(server, body.token)).rejects.toMatchObject({ code: 'authFailed' });
  expect((await signIn({ code: wx.codes.of('openid-li') })).body.error.code).toBe('notBound');
  expect(await auditActions()).toContain('miniapp.unbind');

  await signIn({ code: wx.codes.of('openid-li'), link: await server.auth.issueLink(patient) });
  expect((await admin('/api/sessions/revoke', { account: patient.account })).status).toBe(200);
  expect((await signIn({ code: wx.codes.of('openid-li') })).body.error.code).toBe('notBound');
});

test('SMS links: a WeChat URL Link to the entry page with the same one-time link, valid as long as it', async () => {
  server = await startConsultationServer(weapp());
  const created = await admin('/api/consultations', {
    id: 'c-sms',
    patient: { account: patient.account, name: patient.name },
    doctor: { account: doctor.account, name: doctor.name },
  });
  expect(created.status).toBe(201);
  const { links, appLinks } = created.body;
  expect(appLinks.patient.weapp).toMatch(/^https:\/\/wxaurl\.cn\//);
  expect(appLinks.doctor.weapp).toMatch(/^https:\/\/wxaurl\.cn\//);
  const sent = wx.urlLinks[0];
  expect(sent.path).toBe('pages/entry/index');
  // The URL Link and the H5 link carry one token: whichever opens first uses it.
  expect(links.patient).toContain(sent.query);
  const link = decodeURIComponent(/link=([^&]+)/.exec(sent.query)?.[1] ?? '');
  expect(Math.abs(sent.expire_time * 1000 - Date.now() - 900_000)).toBeLessThan(5000);
  expect((await signIn({ code: wx.codes.of('openid-li'), link })).body.me.account).toBe(patient.account);

  // POST /api/links: fresh links for an existing consultation; the access token came from the cache.
  const again = await admin('/api/links', { consultationId: TEAM });
  expect(again.status).toBe(200);
  expect(again.body.links.patient).toContain(encodeURIComponent(SESSION));
  expect(again.body.appLinks.patient.weapp).toMatch(/^https:\/\/wxaurl\.cn\//);
  expect(wx.tokenCalls).toBe(1);
  expect((await admin('/api/links', { consultationId: 'none' })).status).toBe(404);
  expect((await postJson(`${server.url}/api/links`, { consultationId: TEAM })).status).toBe(401);
});

test('access tokens: one renewal in flight, shared by processes through the database, renewed when WeChat says it is stale', async () => {
  server = await startConsultationServer(weapp());
  const links = () => admin('/api/links', { consultationId: TEAM });
  const answers = await Promise.all([links(), links(), links()]);
  expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
  expect(wx.tokenCalls).toBe(1);
  const stableCall = wx.calls.find((c) => c.path === '/cgi-bin/stable_token');
  expect(JSON.parse(stableCall?.body ?? '{}')).toEqual({ grant_type: 'client_credential', appid: WX_APPID, secret: WX_SECRET, force_refresh: false });

  // A second process on the same database uses the stored token.
  const second = await startServer(testConfig(server.dir, weapp()), pino({ level: 'silent' }));
  try {
    const other = await postJson(`${second.url}/api/links`, { consultationId: TEAM }, { authorization: `Bearer ${ADMIN_API_KEY}` });
    expect(other.body.appLinks.patient.weapp).toMatch(/^https:\/\/wxaurl\.cn\//);
    expect(wx.tokenCalls).toBe(1);
  } finally {
    await second.close();
  }
  // The stored token is sealed like other credentials.
  const raw = new Database(server.dbPath, { readonly: true });
  try {
    expect(JSON.stringify(raw.prepare('SELECT * FROM platform_tokens').all())).not.toContain(wx.token);
  } finally {
    raw.close();
  }

  wx.invalidateToken();
  expect((await links()).body.appLinks.patient.weapp).toMatch(/^https:\/\/wxaurl\.cn\//);
  expect(wx.tokenCalls).toBe(2);

  // WeChat down: the consultation's links still come, the H5 one works and the reason is given.
  wx.delayMs = 2000;
  const down = await links();
  expect(down.status).toBe(200);
  expect(down.body.appLinks.patient).toEqual({ weappError: expect.stringContaining('秒内没有应答') });
});
