/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["node", "node-addons"]}
 *
 * The compiled WeChat build (dist/weapp, built by `npm test` first), rendered by WeChat's own template
 * compiler in miniprogram-simulate, talking to a real server through faked wx sockets.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import type { NotifySettings, PushFrame } from '../../types/protocol';
import { DEMO } from '../../server/demo';
import { spawnServer, type ServerProcess } from '../helpers/server-process';
import { png } from '../helpers/fixtures';
import { startWechatStub, WX_APPID, WX_SECRET, type WechatStub } from '../helpers/wechat-stub';
import { WsClient } from '../helpers/ws-client';
import { createWxFake, TEST_DOMAIN, USER_DATA_PATH, type WxFake } from './wx-fake';
import { until, WeappSimulator } from './simulator';

jest.setTimeout(60_000);

const DIST = resolve(__dirname, '../../dist/weapp');
const SESSION = `team-${DEMO.consultationId}`;
const ADMIN_KEY = 'weapp-test-admin-key-weapp-test-admin-key';
const TOKEN_KEY = 'medchat.token';
const TEMPLATE = 'tmpl-doctor-replied';

let server: ServerProcess;
let wechat: WechatStub;
let fake: WxFake;
let sim: WeappSimulator;
/** The WeChat user of the simulated phone: wx.login gives a fresh one-time code of theirs. */
let openid = 'o-unbound-user';

beforeAll(async () => {
  // WeChat's server API (jscode2session) is a local stub the real server is pointed at.
  wechat = await startWechatStub();
  server = await spawnServer({
    WECHAT_APPID: WX_APPID,
    WECHAT_APP_SECRET: WX_SECRET,
    WECHAT_API_URL: wechat.url,
    ADMIN_API_KEY: ADMIN_KEY,
    // One subscription-message template: the app asks consent for it on a tap.
    NOTIFY_WECHAT_TEMPLATE_ID: TEMPLATE,
  });
  fake = createWxFake(server.url);
  fake.login = () => wechat.codes.of(openid);
  // The privacy guide has its own test; elsewhere it was agreed to on an earlier launch.
  fake.privacy.agreed = true;
  sim = new WeappSimulator(DIST, fake.wx);
});

let afterPrivacy = () => {};
afterEach(() => afterPrivacy());

afterAll(async () => {
  for (const ws of fake.sockets) ws.terminate();
  await server.stop();
  await wechat.close();
});

/** A fresh one-time SMS link of the demo patient, as the hospital's system asks for one (jsdom has no fetch). */
function patientLink(): Promise<string> {
  return new Promise((done, fail) => {
    const body = JSON.stringify({ consultationId: DEMO.consultationId });
    const req = request(`${server.url}/api/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        const { links } = JSON.parse(text) as { links: { patient: string } };
        done(new URL(links.patient.replace('/#/', '/')).searchParams.get('link') as string);
      });
    });
    req.on('error', fail);
    req.end(body);
  });
}

const codesExchanged = () => wechat.calls.filter((c) => c.path.endsWith('/jscode2session')).map((c) => c.query.get('js_code'));

test('an unbound WeChat account gets the page on how to bind; a session token among the launch parameters is ignored', async () => {
  openid = 'o-never-bound';
  const page = sim.open('pages/entry/index', { token: encodeURIComponent(server.tokens.patient), session: SESSION });
  const text = () => page.dom?.textContent ?? '';
  await until(() => text().includes('请先绑定就诊人'), 'the binding page');
  expect(text()).toContain('短信');
  expect(text()).toContain('二维码');
  expect(fake.navigations).toEqual([]);
  expect(fake.storage.get(TOKEN_KEY)).toBeUndefined();
  page.detach();
});

test('the first launch from the SMS link binds this WeChat account and opens the named chat', async () => {
  openid = 'o-patient-li';
  const before = codesExchanged().length;
  const link = await patientLink();
  const page = sim.open('pages/entry/index', { link: encodeURIComponent(link), session: encodeURIComponent(SESSION) });
  await until(() => fake.navigations.length > 0, 'a navigation');
  expect(fake.navigations.splice(0)).toEqual([`/consult/chat/index?id=${encodeURIComponent(SESSION)}`]);
  expect(codesExchanged().length).toBe(before + 1);
  const token = fake.storage.get(TOKEN_KEY) as string;
  const ws = await WsClient.open(server);
  const auth = (await ws.request('auth', { token })) as { me: { account: string } };
  expect(auth.me.account).toBe(DEMO.patient.account);
  ws.close();
  page.detach();
});

test('a sign-in that failed (wx.login, then our server out of reach) offers 重试, which signs in with a fresh code', async () => {
  openid = 'o-patient-retry';
  // A first launch: no session on this phone to fall back on.
  fake.storage.delete(TOKEN_KEY);
  const link = await patientLink();
  fake.loginError = 'login:fail timeout';
  const page = sim.open('pages/entry/index', { link: encodeURIComponent(link), session: encodeURIComponent(SESSION) });
  const text = () => page.dom?.textContent ?? '';
  await until(() => page.querySelector('.entry-retry') !== undefined, 'the retry button').catch((e: Error) => {
    throw new Error(`${e.message}: ${text()} nav ${JSON.stringify(fake.navigations)}`);
  });
  expect(text()).toContain('无法获取登录凭证');
  expect(fake.navigations).toEqual([]);

  // The code comes now, but the request cannot reach our server: the same way out.
  fake.loginError = undefined;
  const before = codesExchanged().length;
  fake.requestError = 'request:fail timeout';
  page.querySelector('.entry-retry')?.dispatchEvent('tap');
  await until(() => text().includes('网络连接失败') && page.querySelector('.entry-retry') !== undefined, 'the network problem');
  expect(codesExchanged().length).toBe(before);

  fake.requestError = undefined;
  page.querySelector('.entry-retry')?.dispatchEvent('tap');
  await until(() => fake.navigations.length > 0, 'the chat');
  expect(fake.navigations.splice(0)).toEqual([`/consult/chat/index?id=${encodeURIComponent(SESSION)}`]);
  expect(codesExchanged().length).toBe(before + 1);
  page.detach();
});

/** How long a patient on a bad network waits at most before the entry page offers 重试. */
const PATIENCE_MS = 15_000;

test('a sign-in whose answer never comes offers 重试 within 15 s, not after WeChat’s default minute', async () => {
  openid = 'o-patient-timeout';
  fake.storage.delete(TOKEN_KEY);
  const link = await patientLink();
  const page = sim.open('pages/entry/index', { link: encodeURIComponent(link), session: encodeURIComponent(SESSION) });
  const text = () => page.dom?.textContent ?? '';
  const timedOut = async (api: 'login' | 'request', problem: string) => {
    fake.unanswered = new Set([api]);
    await until(() => fake.waiting.length === 1, `the ${api} call`);
    const [{ timeout }] = fake.waiting;
    expect(timeout).toBeLessThanOrEqual(PATIENCE_MS);
    fake.elapse(timeout - 1);
    expect(fake.waiting).toHaveLength(1);
    fake.elapse(1);
    await until(() => text().includes(problem) && page.querySelector('.entry-retry') !== undefined, problem);
    expect(fake.navigations).toEqual([]);
  };
  await timedOut('login', '无法获取登录凭证');
  page.querySelector('.entry-retry')?.dispatchEvent('tap');
  await timedOut('request', '网络连接失败');

  fake.unanswered = new Set();
  page.querySelector('.entry-retry')?.dispatchEvent('tap');
  await until(() => fake.navigations.length > 0, 'the chat');
  expect(fake.navigations.splice(0)).toEqual([`/consult/chat/index?id=${encodeURIComponent(SESSION)}`]);
  page.detach();
});

test('a later launch signs in silently with a fresh code (no link, no SMS)', async () => {
  const before = codesExchanged();
  const oldToken = fake.storage.get(TOKEN_KEY);
  const page = sim.open('pages/entry/index');
  await until(() => fake.navigations.length > 0, 'a navigation');
  expect(fake.navigations.splice(0)).toEqual(['/consult/sessions/index']);
  const after = codesExchanged();
  expect(after.length).toBe(before.length + 1);
  expect(before).not.toContain(after[after.length - 1]);
  expect(fake.storage.get(TOKEN_KEY)).not.toBe(oldToken);
  page.detach();
});

test('back in the foreground with an expired session token, a fresh code replaces it and the chat reopens', async () => {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const expired = `${b64({ alg: 'HS256' })}.${b64({ sub: DEMO.patient.account, exp: Math.floor(Date.now() / 1000) - 60 })}.sig`;
  fake.storage.set(TOKEN_KEY, expired);
  const chat = sim.open('consult/chat/index', { id: SESSION });
  sim.show('consult/chat/index', { id: encodeURIComponent(SESSION) });
  await until(() => fake.navigations.length > 0, 'the relaunch into sign-in');
  const relaunch = fake.navigations.splice(0)[0];
  expect(relaunch).toBe(`/pages/entry/index?session=${encodeURIComponent(SESSION)}`);
  chat.detach();

  const before = codesExchanged().length;
  const entry = sim.open('pages/entry/index', { session: encodeURIComponent(SESSION) });
  await until(() => fake.navigations.length > 0, 'back into the chat');
  expect(fake.navigations.splice(0)).toEqual([`/consult/chat/index?id=${encodeURIComponent(SESSION)}`]);
  expect(codesExchanged().length).toBe(before + 1);
  const fresh = fake.storage.get(TOKEN_KEY) as string;
  expect(fresh).not.toBe(expired);
  (await WsClient.loginWithToken(server, fresh)).close();
  entry.detach();
});

test('the fake wx refuses every address but the configured domain, and the app used only that one', async () => {
  const refusedRequest = await new Promise<string>((done) =>
    fake.wx.request?.({ url: `${server.url}/api/login/miniapp`, method: 'POST', data: {}, fail: (e) => done(e.errMsg) }),
  );
  expect(refusedRequest).toBe('request:fail url not in domain list');
  const socketError = await new Promise<string>((done) =>
    fake.wx.connectSocket?.({ url: `${server.url.replace('http', 'ws')}/ws` }).onError((e) => done(e.errMsg)),
  );
  expect(socketError).toBe('connectSocket:fail url not in domain list');
  const plainHttp = await new Promise<string>((done) =>
    fake.wx.request?.({ url: `http://${TEST_DOMAIN}/api/login/miniapp`, fail: (e) => done(e.errMsg) }),
  );
  expect(plainHttp).toContain('url not in domain list');
  // Everything the app itself asked for so far went to https:// / wss:// on the configured domain.
  expect(fake.refused).toEqual([`${server.url}/api/login/miniapp`, `${server.url.replace('http', 'ws')}/ws`, `http://${TEST_DOMAIN}/api/login/miniapp`]);
  fake.refused.length = 0;
});

test('privacy: a photo waits for our privacy guide; 拒绝 explains, 同意 lets the chosen photo go out', async () => {
  // Other tests run as after an earlier agreement, whatever happens here.
  afterPrivacy = () => (fake.privacy.agreed = true);
  const doctor = await WsClient.loginWithToken(server, server.tokens.doctor);
  fake.storage.set(TOKEN_KEY, server.tokens.patient);
  fake.privacy.agreed = false;
  fake.files.clear();
  fake.files.set('wxfile://tmp_private.png', { bytes: await png(200, 100), width: 200, height: 100 });
  const page = sim.open('consult/chat/index', { id: SESSION });
  const text = () => page.dom?.textContent ?? '';
  await until(() => fake.network.size > 0 && !text().includes('正在'), 'connected');
  const pickPhoto = async () => {
    // The composer stays disabled until the chat has synced: tap + again until the panel is there.
    let lastTap = 0;
    await until(() => {
      if (page.querySelector('.more-item-image')) return true;
      if (Date.now() - lastTap > 1_000) {
        lastTap = Date.now();
        page.querySelector('.more-toggle')?.dispatchEvent('tap');
      }
      return false;
    }, 'the + panel', 15_000);
    page.querySelector('.more-item-image')?.dispatchEvent('tap');
    await until(() => fake.navigations.includes('/pages/privacy/index'), 'the privacy guide');
    fake.navigations.splice(0);
    const guide = sim.open('pages/privacy/index');
    await until(() => (guide.dom?.textContent ?? '').includes('隐私保护指引'), 'the popup');
    return guide;
  };

  const first = await pickPhoto();
  expect(fake.privacy.answers).toContain('exposureAuthorization');
  first.querySelector('.privacy-refuse')?.dispatchEvent('tap');
  await until(() => fake.toasts.some((t) => t.includes('隐私保护指引')), 'the explanation').catch((e: Error) => {
    throw new Error(`${e.message}: toasts ${JSON.stringify(fake.toasts)} answers ${JSON.stringify(fake.privacy.answers)} nav ${JSON.stringify(fake.navigations)}`);
  });
  expect(fake.privacy.answers).toContain('disagree');
  expect(fake.navigations).toContain('back');
  expect(fake.uploads.some((u) => u.filePath === 'wxfile://tmp_private.png')).toBe(false);
  first.detach();

  const second = await pickPhoto();
  const agree = second.querySelector('.privacy-agree');
  agree?.dispatchEvent('agreeprivacyauthorization');
  const push = await doctor.waitFor(
    (f): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg' && f.msg.type === 'image' && (f.msg.attach as { name?: string })?.name === 'tmp_private.png',
  );
  expect(push.msg.attach).toMatchObject({ w: 200, h: 100 });
  expect(fake.privacy.answers).toContain('agree:privacy-agree');
  expect(fake.privacy.agreed).toBe(true);
  second.detach();
  doctor.close();
  page.detach();
});

test('privacy: copying a message waits for the guide like a photo; 拒绝 explains it, 同意 copies the text', async () => {
  afterPrivacy = () => (fake.privacy.agreed = true);
  const doctor = await WsClient.loginWithToken(server, server.tokens.doctor);
  await doctor.request('send', { msg: { scene: 'team', to: DEMO.consultationId, type: 'text', body: '复查时带上化验单', idClient: 'weapp-copy-1' } });
  fake.storage.set(TOKEN_KEY, server.tokens.patient);
  fake.privacy.agreed = false;
  fake.clipboard = undefined;
  fake.actionSheet = (items) => items.indexOf('复制');
  const page = sim.open('consult/chat/index', { id: SESSION });
  await until(() => (page.dom?.textContent ?? '').includes('复查时带上化验单'), 'the message');
  const copy = async () => {
    // The message may show (from the store) before the page knows who is signed in and offers actions:
    // press again until the privacy guide opens.
    let lastPress = 0;
    await until(() => {
      if (fake.navigations.includes('/pages/privacy/index')) return true;
      if (Date.now() - lastPress > 1_000) {
        lastPress = Date.now();
        page.querySelectorAll('.msg-bubble').find((b) => (b.dom?.textContent ?? '').includes('复查时带上化验单'))?.dispatchEvent('longpress');
      }
      return false;
    }, 'the privacy guide');
    fake.navigations.splice(0);
    const guide = sim.open('pages/privacy/index');
    await until(() => (guide.dom?.textContent ?? '').includes('复制消息'), 'the popup, saying what it is for');
    return guide;
  };

  const first = await copy();
  first.querySelector('.privacy-refuse')?.dispatchEvent('tap');
  await until(() => fake.toasts.some((t) => t.includes('无法复制消息')), 'the explanation');
  expect(fake.clipboard).toBeUndefined();
  first.detach();

  const second = await copy();
  second.querySelector('.privacy-agree')?.dispatchEvent('agreeprivacyauthorization');
  await until(() => fake.clipboard !== undefined, 'the copy');
  expect(fake.clipboard).toBe('复查时带上化验单');
  second.detach();
  fake.actionSheet = () => undefined;
  doctor.close();
  page.detach();
});

/** Taps the voice button (again, while the composer is still disabled) until `done`. */
async function openVoice(page: ReturnType<WeappSimulator['open']>, done: () => boolean, what: string): Promise<void> {
  let lastTap = 0;
  await until(() => {
    if (done()) return true;
    if (!page.querySelector('.voice-area') && Date.now() - lastTap > 1_000) {
      lastTap = Date.now();
      page.querySelector('.voice-toggle')?.dispatchEvent('tap');
    }
    return false;
  }, what, 15_000);
}

test('a refused microphone is explained and the settings page offered; switched on there, recording is ready', async () => {
  fake.storage.set(TOKEN_KEY, server.tokens.patient);
  fake.auth['scope.record'] = false; // refused on an earlier day: WeChat no longer prompts
  fake.inSettings = (auth) => (auth['scope.record'] = true);
  const page = sim.open('consult/chat/index', { id: SESSION });
  const text = () => page.dom?.textContent ?? '';
  await until(() => fake.network.size > 0 && !text().includes('正在'), 'connected');
  await openVoice(page, () => page.querySelector('.voice-start') !== undefined, 'recording ready');
  expect(fake.modals.at(-1)).toMatchObject({ title: '需要麦克风权限', confirmText: '去设置' });
  expect(fake.openSettingCalls).toBe(1);
  // Opened from the modal's own tap, as WeChat requires.
  expect(fake.openSettingRefused).toBe(0);
  page.detach();

  // Declined in the settings page too: the panel says what is missing instead of failing silently.
  fake.auth['scope.record'] = false;
  fake.inSettings = () => undefined;
  const again = sim.open('consult/chat/index', { id: SESSION });
  await openVoice(again, () => (again.dom?.textContent ?? '').includes('没有麦克风权限'), 'the explanation');
  expect(fake.openSettingCalls).toBe(2);
  again.detach();
});

test('the chat page shows the doctor’s message and a tap on 发送 delivers the patient’s reply', async () => {
  fake.storage.set(TOKEN_KEY, server.tokens.patient);
  const doctor = await WsClient.loginWithToken(server, server.tokens.doctor);
  await doctor.request('send', {
    msg: { scene: 'team', to: DEMO.consultationId, type: 'text', body: '您好，请描述一下症状', idClient: 'weapp-doc-1' },
  });

  const page = sim.open('consult/chat/index', { id: SESSION });
  const text = () => page.dom?.textContent ?? '';
  await until(() => text().includes('您好，请描述一下症状'), 'the doctor’s message');
  expect(fake.titles).toContain(DEMO.doctor.name);
  // The consultation stays out of screenshots and screen recordings.
  expect(fake.captureEffects.at(-1)).toBe('hidden');

  const input = page.querySelector('.input-field');
  const send = page.querySelector('.input-send');
  expect(input).toBeDefined();
  expect(send).toBeDefined();
  input?.dispatchEvent('input', { detail: { value: '嗓子疼，有点发烧' } });
  await simulateTick();
  send?.dispatchEvent('tap');

  const push = await doctor.waitFor(
    (f): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg' && f.msg.body === '嗓子疼，有点发烧',
  );
  expect(push.msg).toMatchObject({ from: DEMO.patient.account, sessionId: SESSION, seq: expect.any(Number) });
  await until(() => text().includes('嗓子疼，有点发烧'), 'the sent message in the list');
  doctor.close();
  page.detach();
});

test('on the weapp a reply shows the quoted message above its bubble', async () => {
  fake.storage.set(TOKEN_KEY, server.tokens.patient);
  const doctor = await WsClient.loginWithToken(server, server.tokens.doctor);
  const to = DEMO.consultationId;
  const original = await doctor.request('send', { msg: { scene: 'team', to, type: 'text', body: '血压药每天早上一片', idClient: 'weapp-quote-1' } });
  await doctor.request('send', {
    msg: { scene: 'team', to, type: 'text', body: '记得量血压', idClient: 'weapp-quote-2', replyTo: { idClient: 'weapp-quote-1', seq: original.seq } },
  });
  const page = sim.open('consult/chat/index', { id: SESSION });
  await until(() => (page.dom?.textContent ?? '').includes('记得量血压'), 'the reply');
  await until(() => page.querySelector('.msg-quote') !== undefined, 'the quote');
  expect(page.querySelector('.msg-quote')?.dom?.textContent).toBe(`${DEMO.doctor.name}：血压药每天早上一片`);
  doctor.close();
  page.detach();
});

/**
 * Whether the page's composer shows `text`. An input's value is a property the simulated DOM does not
 * show: it is in the data Taro rendered for the input's node (under a short property name of the
 * build's choosing).
 */
function inputShows(page: unknown, text: string): boolean {
  const inputProps = (node: unknown): unknown[] | undefined => {
    if (!node || typeof node !== 'object') return undefined;
    const n = node as { cl?: string; cn?: unknown[]; root?: unknown };
    if (n.cl === 'input-field') return Object.values(n);
    for (const child of [n.root, ...(n.cn ?? [])]) {
      const found = inputProps(child);
      if (found) return found;
    }
    return undefined;
  };
  return inputProps((page as { data: unknown }).data)?.includes(text) === true;
}

test('on the weapp a draft is kept in wx storage and back in the input when the chat opens again', async () => {
  fake.storage.set(TOKEN_KEY, server.tokens.patient);
  const first = sim.open('consult/chat/index', { id: SESSION });
  await until(() => first.querySelector('.input-field') !== undefined && !(first.dom?.textContent ?? '').includes('正在'), 'the input');
  first.querySelector('.input-field')?.dispatchEvent('input', { detail: { value: '明天能复诊吗' } });
  const key = `medchat.drafts.${DEMO.patient.account}`;
  await until(() => JSON.stringify(fake.storage.get(key) ?? '').includes('明天能复诊吗'), 'the draft in wx storage');
  first.detach();

  const list = sim.open('consult/sessions/index');
  await until(() => (list.dom?.textContent ?? '').includes('【草稿】明天能复诊吗'), 'the draft in the list');
  list.detach();

  const again = sim.open('consult/chat/index', { id: SESSION });
  await until(() => inputShows(again, '明天能复诊吗'), 'the draft in the input');
  again.detach();
});

/** The chat page opened and connected, and wx's network switched off and on as the platform reports it. */
async function chatWithNetwork() {
  const page = sim.open('consult/chat/index', { id: SESSION });
  const text = () => page.dom?.textContent ?? '';
  await until(() => fake.network.size > 0 && !text().includes('正在'), 'connected with a network listener');
  const setNetwork = (isConnected: boolean) => {
    for (const cb of fake.network) cb({ isConnected, networkType: isConnected ? 'wifi' : 'none' });
  };
  return { page, text, setNetwork };
}

test('on the weapp a message typed while wx reports no network goes out when it is back', async () => {
  const doctor = await WsClient.loginWithToken(server, server.tokens.doctor);
  const { page, text, setNetwork } = await chatWithNetwork();

  setNetwork(false);
  await until(() => text().includes('网络不可用'), 'the offline banner').catch((e: Error) => {
    throw new Error(`${e.message}: ${text()}`);
  });
  // The field holds the draft the last test left; what the person types replaces it.
  await until(() => inputShows(page, '明天能复诊吗'), 'the earlier draft in the input');
  page.querySelector('.input-field')?.dispatchEvent('input', { detail: { value: '小程序离线时写的' } });
  await until(() => inputShows(page, '小程序离线时写的'), 'the typed text in the input');
  page.querySelector('.input-send')?.dispatchEvent('tap');
  await until(() => text().includes('发送中'), 'the pending bubble');
  await new Promise((r) => setTimeout(r, 300));
  expect(doctor.pushes.some((f) => f.type === 'msg' && f.msg.body === '小程序离线时写的')).toBe(false);

  setNetwork(true);
  const push = await doctor.waitFor(
    (f): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg' && f.msg.body === '小程序离线时写的',
  );
  expect(push.msg.from).toBe(DEMO.patient.account);
  doctor.close();
  page.detach();
});

test('on the weapp a photo goes through wx.chooseImage and wx.uploadFile; a lab request card renders', async () => {
  const doctor = await WsClient.loginWithToken(server, server.tokens.doctor);
  const page = sim.open('consult/chat/index', { id: SESSION });
  const text = () => page.dom?.textContent ?? '';
  await until(() => fake.network.size > 0 && !text().includes('正在'), 'connected');
  fake.storage.set(TOKEN_KEY, server.tokens.patient);
  fake.files.clear();
  fake.files.set('wxfile://tmp_photo.png', { bytes: await png(320, 240), width: 320, height: 240 });

  // Under load the page may still be rendering: tap only once the button is there.
  await until(() => page.querySelector('.more-toggle') !== undefined, 'the + button', 15_000);
  page.querySelector('.more-toggle')?.dispatchEvent('tap');
  await until(() => page.querySelector('.more-item-image') !== undefined, 'the + panel', 15_000);
  // No document picker is offered where the platform has none; WeChat has chooseMessageFile.
  expect(page.querySelector('.more-item-file')).toBeDefined();
  expect(page.querySelector('.more-item-prescription')).toBeUndefined();
  page.querySelector('.more-item-image')?.dispatchEvent('tap');

  const push = await doctor.waitFor((f): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg' && f.msg.type === 'image');
  expect(push.msg.attach).toMatchObject({ w: 320, h: 240, ext: 'png', name: 'tmp_photo.png' });
  const upload = fake.uploads.find((u) => u.filePath === 'wxfile://tmp_photo.png');
  expect(upload).toMatchObject({ name: 'file', header: { authorization: `Bearer ${server.tokens.patient}` } });
  expect(upload?.url).toBe(`https://${TEST_DOMAIN}/api/upload?kind=image&name=tmp_photo.png`);

  await doctor.request('send', {
    msg: {
      scene: 'team',
      to: DEMO.consultationId,
      type: 'custom',
      body: '',
      attach: { card: 'labRequest', items: ['血常规', '胸部 X 线'], reason: '排除肺炎' },
      idClient: 'weapp-doc-card',
    },
  });
  await until(() => text().includes('检查申请单'), 'the card');
  expect(text()).toContain('血常规、胸部 X 线');
  expect(text()).toContain(`${DEMO.doctor.name} 申请于`);
  doctor.close();
  page.detach();
});

test('on the weapp a photo picked without a network is copied among the user files (temp files die with the run) and goes out before the text typed after it', async () => {
  fake.storage.set(TOKEN_KEY, server.tokens.patient);
  const doctor = await WsClient.loginWithToken(server, server.tokens.doctor);
  const { page, text, setNetwork } = await chatWithNetwork();
  fake.files.clear();
  fake.files.set('wxfile://tmp_rash.png', { bytes: await png(320, 240), width: 320, height: 240 });

  setNetwork(false);
  fake.uploadError = 'uploadFile:fail network error';
  await until(() => text().includes('网络不可用'), 'the offline banner');
  await until(() => page.querySelector('.more-toggle') !== undefined, 'the + button', 15_000);
  page.querySelector('.more-toggle')?.dispatchEvent('tap');
  await until(() => page.querySelector('.more-item-image') !== undefined, 'the + panel', 15_000);
  page.querySelector('.more-item-image')?.dispatchEvent('tap');
  await until(() => fake.userFiles.size === 1, 'the photo copied among the user files');
  const [kept] = fake.userFiles.keys();
  expect(kept).toMatch(new RegExp(`^${USER_DATA_PATH}/outbox-.+\\.png$`));
  page.querySelector('.input-field')?.dispatchEvent('input', { detail: { value: '照片是昨天拍的' } });
  await until(() => inputShows(page, '照片是昨天拍的'), 'the typed text in the input');
  page.querySelector('.input-send')?.dispatchEvent('tap');
  await new Promise((r) => setTimeout(r, 300));
  expect(doctor.pushes.some((f) => f.type === 'msg' && f.msg.from === DEMO.patient.account)).toBe(false);

  fake.uploadError = undefined;
  setNetwork(true);
  await doctor.waitFor((f): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg' && f.msg.body === '照片是昨天拍的');
  const fromPatient = doctor.pushes.flatMap((f) => (f.type === 'msg' && f.msg.from === DEMO.patient.account ? [f.msg.type] : []));
  expect(fromPatient).toEqual(['image', 'text']);
  // Uploaded, the copy is removed.
  await until(() => fake.userFiles.size === 0, 'the kept copy removed');
  doctor.close();
  page.detach();
});

test('on the weapp the next sign-in removes kept copies no waiting message refers to (its own, another account’s), not other user files', async () => {
  const bytes = { bytes: await png(8, 8), width: 8, height: 8 };
  // A copy whose drop the app's end cut short, and one of an account that left nothing waiting.
  fake.userFiles.set(`${USER_DATA_PATH}/outbox-${DEMO.patient.account}~gone-1.png`, bytes);
  fake.userFiles.set(`${USER_DATA_PATH}/outbox-someone-else~gone-2.jpg`, bytes);
  fake.userFiles.set(`${USER_DATA_PATH}/notes.txt`, bytes);
  // A later launch: a fresh code, a fresh session, a sign-in.
  const page = sim.open('pages/entry/index');
  await until(() => fake.navigations.length > 0, 'a navigation');
  fake.navigations.splice(0);
  await until(() => fake.userFiles.size === 1, 'the orphaned copies removed');
  expect([...fake.userFiles.keys()]).toEqual([`${USER_DATA_PATH}/notes.txt`]);
  fake.userFiles.clear();
  page.detach();
});

function simulateTick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 50));
}

test('the build output holds the pages the app config lists, and what WeChat requires of app.json', () => {
  const app = JSON.parse(readFileSync(join(DIST, 'app.json'), 'utf8')) as Record<string, unknown>;
  expect(app.pages).toEqual(['pages/entry/index', 'pages/settings/index', 'pages/privacy/index']);
  expect(app.subPackages).toEqual([
    {
      root: 'consult',
      pages: ['sessions/index', 'chat/index', 'identity/index', 'consent/index', 'intake/index', 'rate/index', 'prescribe/index', 'replies/index', 'review/index', 'transfer/index'],
    },
  ]);
  // Dark mode: the window's colours come from theme.json, which is in the output.
  expect(app).toMatchObject({ darkmode: true, themeLocation: 'theme.json', window: { navigationBarBackgroundColor: '@navBgColor' } });
  expect(JSON.parse(readFileSync(join(DIST, 'theme.json'), 'utf8'))).toMatchObject({ dark: { navBgColor: expect.any(String) } });
  expect(app.requiredPrivateInfos).toEqual(['chooseLocation']);
  expect(app.__usePrivacyCheck__).toBe(true);
  expect(app.sitemapLocation).toBe('sitemap.json');
  expect(JSON.parse(readFileSync(join(DIST, 'sitemap.json'), 'utf8'))).toMatchObject({ rules: [{ action: 'disallow', page: '*' }] });
  expect(app.preloadRule).toEqual({ 'pages/entry/index': { network: 'all', packages: ['consult'] } });
  expect(app.lazyCodeLoading).toBe('requiredComponents');
});

test('a long chat on the weapp sends each new message to the render thread as a small setData', async () => {
  const doctor = await WsClient.loginWithToken(server, server.tokens.doctor);
  // Signed in as the entry page leaves it (this test may run alone).
  fake.storage.set('medchat.token', server.tokens.patient);
  const page = sim.open('consult/chat/index', { id: SESSION });
  const text = () => page.dom?.textContent ?? '';
  const say = async (body: string, idClient: string) => {
    await doctor.request('send', { msg: { scene: 'team', to: DEMO.consultationId, type: 'text', body, idClient } });
    await until(() => text().includes(body), body);
  };
  await until(() => fake.network.size > 0 && !text().includes('正在'), 'connected');
  // Enough messages to fill the window (120 items) and make it shed its oldest ones.
  const sizes: number[] = [];
  for (let i = 1; i <= 160; i++) {
    const before = sim.setDataSizes.length;
    await say(`长对话第${i}条`, `weapp-long-${i}`);
    sizes.push(sim.setDataSizes.slice(before).reduce((a, b) => a + b, 0));
  }
  const rows = page.querySelectorAll('.msg-row').length;
  expect(rows).toBeLessThanOrEqual(120);
  // A message costs one bubble's worth of data (about 600 bytes). Mini programs re-send a whole child
  // list when an item leaves it, so the window sheds 30 items at a time: only about one message in 30
  // re-sends the list (about 35 KB here; it would be every message, 23 KB each, otherwise).
  const small = sizes.filter((n) => n < 2_000).length;
  expect(small).toBeGreaterThanOrEqual(150);
  expect(Math.max(...sizes)).toBeLessThan(100_000);
  doctor.close();
  page.detach();
});

/**
 * A tap as WeChat delivers one: the gesture holds while the handler runs synchronously, and ends with
 * it. j-component dispatches on a microtask queued now, so the gesture ends on the next one: code the
 * handler ran after an await of its own finds it over, as WeChat would.
 */
async function tap(el: { dispatchEvent(name: string): void } | undefined): Promise<void> {
  fake.subscribe.gesture = true;
  el?.dispatchEvent('tap');
  await Promise.resolve();
  fake.subscribe.gesture = false;
}

/** Retries `check` until it passes (the server answers the app's request on its own time). */
async function eventually(check: () => Promise<void>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await simulateTick();
    }
  }
}

/** GET /api/notify/settings as this person (jsdom has no fetch). */
function notifySettings(token: string): Promise<NotifySettings> {
  return new Promise((done, fail) => {
    const req = request(`${server.url}/api/notify/settings`, { headers: { authorization: `Bearer ${token}` } });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => done(JSON.parse(text) as NotifySettings));
    });
    req.on('error', fail);
    req.end();
  });
}

test('the patient’s first 发送 asks consent for the configured template in the tap, and the server records it', async () => {
  fake.storage.set(TOKEN_KEY, server.tokens.patient);
  const doctor = await WsClient.loginWithToken(server, server.tokens.doctor);
  expect((await notifySettings(server.tokens.patient)).consents).toEqual([]);
  fake.subscribe.asked.length = 0;
  fake.subscribe.refused.length = 0;
  fake.requests.length = 0;
  const page = sim.open('consult/chat/index', { id: SESSION });
  await until(() => fake.requests.includes('GET /api/notify/settings'), 'the reminder settings');
  await simulateTick();

  const say = async (body: string) => {
    page.querySelector('.input-field')?.dispatchEvent('input', { detail: { value: body } });
    await simulateTick();
    await tap(page.querySelector('.input-send'));
    await doctor.waitFor((f): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg' && f.msg.body === body);
  };
  await say('想问一下用药的事');
  expect(fake.subscribe.asked).toEqual([[TEMPLATE]]);
  expect(fake.subscribe.refused).toEqual([]);
  await until(() => fake.requests.includes('POST /api/notify/consent'), 'the consent report');
  await eventually(async () => expect((await notifySettings(server.tokens.patient)).consents).toEqual([{ platform: 'weapp', template: TEMPLATE, remaining: 1 }]));

  // Asked once per visit: the next message goes out without a prompt.
  await say('还有一个问题');
  expect(fake.subscribe.asked).toHaveLength(1);
  doctor.close();
  page.detach();
});

test('设置 shows whether reminders are on, switches them off, and 开启提醒 asks consent again in the tap', async () => {
  fake.storage.set(TOKEN_KEY, server.tokens.patient);
  fake.subscribe.asked.length = 0;
  const page = sim.open('pages/settings/index');
  const text = () => page.dom?.textContent ?? '';
  await until(() => text().includes('消息提醒 已开启'), 'reminders on (one notice consented)');
  expect(page.querySelector('.settings-reminders-on')).toBeUndefined();

  page.querySelector('.settings-reminders-switch')?.dispatchEvent('change', { detail: { value: false } });
  await until(() => text().includes('消息提醒 已关闭'), 'reminders off');
  expect((await notifySettings(server.tokens.patient)).enabled).toBe(false);

  await until(() => page.querySelector('.settings-reminders-on') !== undefined, 'the 开启提醒 button');
  await tap(page.querySelector('.settings-reminders-on'));
  expect(fake.subscribe.asked).toEqual([[TEMPLATE]]);
  await until(() => text().includes('消息提醒 已开启'), 'reminders on again');
  const after = await notifySettings(server.tokens.patient);
  expect(after.enabled).toBe(true);
  expect(after.consents).toEqual([{ platform: 'weapp', template: TEMPLATE, remaining: 2 }]);

  // The privacy guide is one tap away (WeChat's openPrivacyContract).
  const opened = fake.privacy.contractOpened;
  await tap(page.querySelector('.settings-privacy'));
  await until(() => fake.privacy.contractOpened === opened + 1, 'the privacy guide');
  page.detach();
});

/** The hospital's system opens a consultation (jsdom has no fetch). */
function openConsultation(body: Record<string, unknown>): Promise<number> {
  return new Promise((done, fail) => {
    const json = JSON.stringify(body);
    const req = request(`${server.url}/api/consultations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
    });
    req.on('error', fail);
    req.end(json);
  });
}

test('the consent and intake pages render on the weapp; agreeing records the consent', async () => {
  const id = 'weapp-encounter';
  const status = await openConsultation({
    id,
    patient: { account: DEMO.patient.account, name: DEMO.patient.name },
    doctor: { account: DEMO.doctor.account, name: DEMO.doctor.name },
    identity: { name: '李娜', idNumber: '110101199001011234', sex: 'female', birthDate: '1990-01-01', relation: 'self' },
  });
  expect(status).toBe(201);
  fake.storage.set(TOKEN_KEY, server.tokens.patient);

  const consent = sim.open('consult/consent/index', { id: `team-${id}` });
  const text = () => consent.dom?.textContent ?? '';
  await until(() => text().includes('版本'), 'the consent text with its version');
  expect(text()).toContain('互联网诊疗知情同意书');
  expect(text()).toContain('就诊人：李* · 女');
  await tap(consent.querySelector('.consent-agree'));
  await until(() => text().includes('☑'), 'the box ticked');
  await tap(consent.querySelector('.consent-submit'));
  const doctor = await WsClient.loginWithToken(server, server.tokens.doctor);
  const consented = async () => (await doctor.request('encounter', { sessionId: `team-${id}` })).consultation.consent;
  for (let i = 0; i < 100 && !(await consented()); i++) await simulateTick();
  expect(await consented()).toMatchObject({ by: 'patient', version: expect.any(String) });
  doctor.close();
  consent.detach();

  const intake = sim.open('consult/intake/index', { id: `team-${id}` });
  const form = () => intake.dom?.textContent ?? '';
  await until(() => form().includes('提交问诊单'), 'the intake form');
  for (const label of ['主诉', '持续时间', '症状', '过敏史', '正在使用的药物', '既往诊断']) expect(form()).toContain(label);
  expect(intake.querySelectorAll('.intake-symptom').length).toBeGreaterThan(5);
  await tap(intake.querySelector('.intake-no-allergies'));
  await until(() => intake.querySelector('.intake-allergies') === undefined, 'the allergy field gone with 无已知过敏');
  intake.detach();
});

// Last: it unbinds this WeChat user.
test('on the weapp 解除绑定 removes the copies the account kept on the phone for uploads, and only its own, and its drafts', async () => {
  fake.storage.set(TOKEN_KEY, server.tokens.patient);
  const drafts = `medchat.drafts.${DEMO.patient.account}`;
  fake.storage.set(drafts, { 'team-somewhere': '没写完的话' });
  const bytes = { bytes: await png(8, 8), width: 8, height: 8 };
  fake.userFiles.set(`${USER_DATA_PATH}/outbox-${DEMO.patient.account}~waiting-1.png`, bytes);
  // Another account's: its sign-in's sweep would remove it, this account's sign-out must not.
  fake.userFiles.set(`${USER_DATA_PATH}/outbox-someone-else~waiting-2.png`, bytes);
  fake.modalAnswer = true;
  const page = sim.open('pages/settings/index');
  await until(() => page.querySelector('.settings-unbind') !== undefined, 'the 解除绑定 item');
  await tap(page.querySelector('.settings-unbind'));
  await until(() => fake.navigations.includes('/pages/entry/index'), 'back to sign-in after unbinding');
  fake.navigations.splice(0);
  expect(fake.modals.at(-1)?.content).toContain('本机上的草稿');
  expect(fake.storage.has(drafts)).toBe(false);
  expect([...fake.userFiles.keys()]).toEqual([`${USER_DATA_PATH}/outbox-someone-else~waiting-2.png`]);
  fake.userFiles.clear();
  page.detach();
});
