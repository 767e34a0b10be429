/**
 * Douyin's and Alipay's sign-in on a real server against local stubs of their server APIs. Alipay's
 * uses real RSA key pairs (node:crypto): the stub verifies our request signature with the app's public
 * key and signs its answers with "Alipay's" private key, which our server checks against the public one.
 */
import { generateKeyPairSync } from 'node:crypto';
import { gatewayTimestamp, memberText, signContent } from '../../server/platforms/alipay';
import { platformsFromEnv } from '../../server/platforms/config';
import type { ServerConfig } from '../../server/config';
import { MINIAPP_LOGIN_PATH } from '../../types/miniapp';
import { ALIPAY_APPID, type AlipayStub, startAlipayStub } from '../helpers/alipay-stub';
import { patient, startConsultationServer, TEAM } from '../helpers/consultation';
import { startDouyinStub, TT_APPID, TT_SECRET, type DouyinStub } from '../helpers/douyin-stub';
import { postJson } from '../helpers/post-json';
import { ADMIN_API_KEY, type TestServer } from '../helpers/server';

let server: TestServer;
let tt: DouyinStub | undefined;
let ali: AlipayStub | undefined;

afterEach(async () => {
  await server?.dispose();
  await tt?.close();
  await ali?.close();
  tt = ali = undefined;
});

const signIn = (platform: string, body: object) => postJson(`${server.url}${MINIAPP_LOGIN_PATH}`, { platform, ...body });

describe('Douyin', () => {
  const start = async (secret = TT_SECRET) => {
    tt = await startDouyinStub();
    const platforms: ServerConfig['platforms'] = { timeoutMs: 400, tt: { appid: TT_APPID, secret, apiUrl: tt.url } };
    server = await startConsultationServer({ platforms });
    return tt;
  };

  test('binds through the link, then signs in silently; the request is the documented JSON body', async () => {
    const stub = await start();
    const first = await signIn('tt', { code: stub.codes.of('dy-li'), link: await server.auth.issueLink(patient) });
    expect(first.status).toBe(200);
    expect(first.body.me).toEqual(patient);
    expect(stub.calls[0].headers['content-type']).toBe('application/json');
    expect(Object.keys(JSON.parse(stub.calls[0].body)).sort()).toEqual(['anonymous_code', 'appid', 'code', 'secret']);
    expect((await signIn('tt', { code: stub.codes.of('dy-li') })).body.me).toEqual(patient);
    expect((await signIn('tt', { code: stub.codes.of('dy-other') })).body.error.code).toBe('notBound');
  });

  test('a bad or used code and a wrong secret are refused as Douyin says; a slow Douyin times out', async () => {
    const stub = await start();
    const code = stub.codes.of('dy-li');
    await signIn('tt', { code, link: await server.auth.issueLink(patient) });
    expect((await signIn('tt', { code })).body.error).toEqual({ code: 'codeInvalid', message: expect.stringContaining('40018') });
    expect((await signIn('tt', { code: 'never-issued' })).status).toBe(401);
    stub.delayMs = 2000;
    expect((await signIn('tt', { code: stub.codes.of('dy-li') })).body.error.code).toBe('platformError');
    await server.dispose();
    await stub.close();

    const wrong = await start('not-the-secret');
    const refused = await signIn('tt', { code: wrong.codes.of('dy-li') });
    expect(refused.status).toBe(502);
    expect(refused.body.error.message).toContain('40017');
  });
});

describe('Alipay', () => {
  const start = async (privateKey?: AlipayStub['app']['privateKey']) => {
    ali = await startAlipayStub();
    const platforms: ServerConfig['platforms'] = {
      timeoutMs: 400,
      alipay: { appid: ALIPAY_APPID, privateKey: privateKey ?? ali.app.privateKey, publicKey: ali.alipay.publicKey, gatewayUrl: `${ali.url}/gateway.do` },
    };
    server = await startConsultationServer({ platforms });
    return ali;
  };

  test('the signing string: sorted, key=value joined by &, sign and empty values left out', () => {
    expect(signContent({ method: 'm', app_id: '1', sign: 'x', code: '', charset: 'utf-8', timestamp: '2024-01-02 03:04:05' })).toBe(
      'app_id=1&charset=utf-8&method=m&timestamp=2024-01-02 03:04:05',
    );
    // Beijing time whatever the server's zone: 2024-01-01T20:30:00Z is 04:30 the next day there.
    expect(gatewayTimestamp(Date.UTC(2024, 0, 1, 20, 30, 0))).toBe('2024-01-02 04:30:00');
    // The signed text is the member as written: escapes, spacing and non-ASCII untouched.
    const text = '{"x_response": {"a":"b\\"}","c":{"d":"授权\\/"}} ,"sign":"s"}';
    expect(memberText(text, 'x_response')).toBe('{"a":"b\\"}","c":{"d":"授权\\/"}}');
    expect(memberText(text, 'missing')).toBeUndefined();
  });

  test('a signed request the gateway accepts, an answer verified against Alipay’s key: bind, then silent sign-in', async () => {
    const stub = await start();
    const first = await signIn('alipay', { code: stub.codes.of('2088-li'), link: await server.auth.issueLink(patient) });
    expect(first.status).toBe(200);
    expect(first.body.me).toEqual(patient);
    expect(stub.signed[0]).toMatch(
      /^app_id=2021000000000001&charset=utf-8&code=[0-9a-f]+&format=JSON&grant_type=authorization_code&method=alipay\.system\.oauth\.token&sign_type=RSA2&timestamp=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d&version=1\.0$/,
    );
    expect(String(stub.calls[0].headers['content-type'])).toContain('application/x-www-form-urlencoded');
    expect((await signIn('alipay', { code: stub.codes.of('2088-li') })).body.me).toEqual(patient);
    expect((await signIn('alipay', { code: stub.codes.of('2088-other') })).body.error.code).toBe('notBound');
  });

  test('refusals: a used code (isv.code-invalid), a request signed with another key (isv.invalid-signature)', async () => {
    const stub = await start();
    const code = stub.codes.of('2088-li');
    await signIn('alipay', { code, link: await server.auth.issueLink(patient) });
    const used = await signIn('alipay', { code });
    expect(used.status).toBe(401);
    expect(used.body.error).toEqual({ code: 'codeInvalid', message: expect.stringContaining('isv.code-invalid') });
    await server.dispose();
    await stub.close();

    const other = await startAlipayStub();
    const wrongKey = await start(other.alipay.privateKey);
    await other.close();
    const refused = await signIn('alipay', { code: wrongKey.codes.of('2088-li') });
    expect(refused.status).toBe(502);
    expect(refused.body.error.message).toContain('isv.invalid-signature');
  });

  test('an answer not signed by Alipay is not believed; a slow gateway times out', async () => {
    const stub = await start();
    stub.forgeSignatures = true;
    const forged = await signIn('alipay', { code: stub.codes.of('2088-li'), link: await server.auth.issueLink(patient) });
    expect(forged.status).toBe(502);
    expect(forged.body.error.message).toContain('签名无效');
    expect(await server.storage.miniappBindingsOf(patient.account)).toEqual([]);
    stub.forgeSignatures = false;
    stub.delayMs = 2000;
    expect((await signIn('alipay', { code: stub.codes.of('2088-li') })).body.error.code).toBe('platformError');
  });

  test('SMS links include the alipays:// link to the entry page', async () => {
    await start();
    const { body } = await postJson(`${server.url}/api/links`, { consultationId: TEAM }, { authorization: `Bearer ${ADMIN_API_KEY}` });
    const url = new URL(body.appLinks.patient.alipay);
    expect(url.protocol).toBe('alipays:');
    expect(url.searchParams.get('appId')).toBe(ALIPAY_APPID);
    expect(url.searchParams.get('page')).toBe('pages/entry/index');
    expect(body.links.patient).toContain(url.searchParams.get('query'));
    expect(body.appLinks.patient.weapp).toBeUndefined();
  });

  test('keys from the environment: PEM with \\n escapes or bare base64; half a configuration is refused', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().replace(/\n/g, '\\n');
    const b64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const cfg = platformsFromEnv({ ALIPAY_APPID, ALIPAY_PRIVATE_KEY: pem, ALIPAY_PUBLIC_KEY: b64 });
    expect(cfg.platforms?.alipay?.gatewayUrl).toBe('https://openapi.alipay.com/gateway.do');
    expect(platformsFromEnv({ WECHAT_APPID: 'wx1', WECHAT_APP_SECRET: 's' }).platforms?.weapp?.apiUrl).toBe('https://api.weixin.qq.com');
    expect(() => platformsFromEnv({ WECHAT_APPID: 'wx1' })).toThrow('WECHAT_APPID, WECHAT_APP_SECRET go together');
    expect(() => platformsFromEnv({ ALIPAY_APPID, ALIPAY_PRIVATE_KEY: 'nope', ALIPAY_PUBLIC_KEY: b64 })).toThrow('ALIPAY_PRIVATE_KEY');
    expect(platformsFromEnv({})).toEqual({});
  });
});
