/**
 * Issue 15's shims against fakes that behave as the platforms document: Alipay's multi-instance
 * sockets (frames only through the task), the login codes (Taro.login, my.getAuthCode), the privacy
 * gate and refused permissions.
 */
import type Taro from '@tarojs/taro';
import { confirmed } from '../helpers/taro-modal';
import { miniProgramLoginCode } from '../../src/platform/login';
import { PermissionDeniedError, settingsOf, withPermission } from '../../src/platform/permission';
import { PrivacyGate, privacyApiOf } from '../../src/platform/privacy';
import type { AlipaySocketApi, AlipaySocketTask, SocketHandlers } from '../../src/platform/socket';
import { openAlipaySocket, openMiniProgramSocket } from '../../src/platform/socket';
import { checkServerUrl } from '../../config/targets';
import { locationEnabled } from '../../config/features';
import { launchLink, tokenAccount, tokenExpiresAt } from '../../src/session/miniapp';

/**
 * Alipay in multi-instance mode (`multiple: true`): each connectSocket returns its own task and events
 * reach only that task's listeners; the global my.onSocket* listeners hear nothing.
 */
function fakeAlipay() {
  type Ev = 'open' | 'message' | 'error' | 'close';
  const tasks: Array<AlipaySocketTask & { emit(ev: Ev, arg?: unknown): void; listeners: Record<Ev, Set<(a: never) => void>>; sent: string[]; closed?: { code?: number } }> = [];
  const globalHeard: string[] = [];
  const my = {
    connectSocket(o: { url: string; multiple: true }) {
      if (!o.multiple) throw new Error('this fake models multi-instance mode only');
      const listeners: Record<Ev, Set<(a: never) => void>> = { open: new Set(), message: new Set(), error: new Set(), close: new Set() };
      const on = (ev: Ev) => (cb: (a: never) => void) => void listeners[ev].add(cb);
      const off = (ev: Ev) => (cb: (a: never) => void) => void listeners[ev].delete(cb);
      const task = {
        listeners,
        sent: [] as string[],
        closed: undefined as { code?: number } | undefined,
        send(opt: { data: string }) {
          task.sent.push(opt.data);
        },
        close(opt?: { code?: number; reason?: string }) {
          task.closed = opt ?? {};
          task.emit('close', { code: opt?.code ?? 1000, reason: opt?.reason ?? '' });
        },
        onOpen: on('open'),
        offOpen: off('open'),
        onMessage: on('message'),
        offMessage: off('message'),
        onError: on('error'),
        offError: off('error'),
        onClose: on('close'),
        offClose: off('close'),
        emit(ev: Ev, arg?: unknown) {
          for (const cb of [...listeners[ev]]) (cb as (a: unknown) => void)(arg);
        },
      };
      tasks.push(task);
      return task;
    },
    // The global API of single-socket mode: in multi-instance mode nothing is delivered here.
    onSocketOpen: (cb: () => void) => void globalHeard.push(`open ${typeof cb}`),
    onSocketMessage: (cb: () => void) => void globalHeard.push(`message ${typeof cb}`),
    onSocketError: () => undefined,
    onSocketClose: () => undefined,
    sendSocketMessage: (o: { data: string }) => globalHeard.push(`global send ${o.data}`),
    closeSocket: () => undefined,
  };
  return { my, tasks, globalHeard };
}

function recorder(): SocketHandlers & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    onOpen: () => events.push('open'),
    onMessage: (d) => events.push(`msg ${d}`),
    onClose: (code, reason) => events.push(`close ${code} ${reason}`),
  };
}

/** Taro 4.2's connectSocket on Alipay, as @tarojs/shared + the alipay runtime build it. */
function taroAlipayConnectSocket(my: ReturnType<typeof fakeAlipay>['my']): Pick<typeof Taro, 'connectSocket'> {
  return {
    connectSocket: ((options: { url: string }) =>
      new Promise((resolve) => {
        const task = my.connectSocket({ ...options, multiple: true });
        const res = {
          errMsg: 'connectSocket:ok',
          onClose: (_cb: () => void) => my.onSocketClose(),
          onError: (_cb: () => void) => my.onSocketError(),
          onMessage: (cb: () => void) => my.onSocketMessage(cb),
          onOpen: (cb: () => void) => my.onSocketOpen(cb),
          send: (opt: { data: string }) => my.sendSocketMessage(opt),
          close: () => my.closeSocket(),
        };
        void Promise.resolve().then(() => resolve(Object.assign(task, res)));
      })) as unknown as typeof Taro.connectSocket,
  };
}

describe('Alipay socket (multi-instance)', () => {
  test('Taro 4.2’s connectSocket loses every frame: the task’s own methods are replaced by the global ones', async () => {
    const { my, tasks, globalHeard } = fakeAlipay();
    const h = recorder();
    openMiniProgramSocket('wss://im.test/ws', h, taroAlipayConnectSocket(my));
    await new Promise((r) => setTimeout(r, 0));
    tasks[0].emit('open');
    tasks[0].emit('message', { data: 'hello' });
    expect(h.events).toEqual([]); // what today's Alipay build did: no open, no frame
    expect(globalHeard).toContain('message function');
  });

  test('each socket uses its own task: listeners attached at once, frames delivered, sends on the task, listeners removed on close', () => {
    const { my, tasks, globalHeard } = fakeAlipay();
    const a = recorder();
    const b = recorder();
    const ca = openAlipaySocket('wss://im.test/ws', a, my as unknown as AlipaySocketApi);
    openAlipaySocket('wss://im.test/ws', b, my as unknown as AlipaySocketApi);
    // Attached before the task could open: nothing is missed.
    expect(tasks[0].listeners.open.size).toBe(1);
    expect(() => ca.send('early')).toThrow('not open');
    tasks[0].emit('open');
    tasks[0].emit('message', { data: 'for a' });
    tasks[1].emit('open');
    tasks[1].emit('message', { data: 'for b' });
    ca.send('ping');
    expect(tasks[0].sent).toEqual(['ping']);
    expect(globalHeard).toEqual([]);
    ca.close(4000, 'bye');
    expect(a.events).toEqual(['open', 'msg for a', 'close 4000 bye']);
    expect(b.events).toEqual(['open', 'msg for b']);
    for (const set of Object.values(tasks[0].listeners)) expect(set.size).toBe(0);
    // A late event of the old task reaches nobody.
    tasks[0].emit('message', { data: 'late' });
    expect(a.events).toHaveLength(3);
  });

  test('an error closes once with Alipay’s errorMessage', () => {
    const { my, tasks } = fakeAlipay();
    const h = recorder();
    openAlipaySocket('wss://im.test/ws', h, my as unknown as AlipaySocketApi);
    tasks[0].emit('error', { error: 12, errorMessage: '网络出错' });
    tasks[0].emit('close', { code: 1006 });
    expect(h.events).toEqual(['close 1006 网络出错']);
  });
});

describe('login code', () => {
  test('weapp and tt: Taro.login’s code; Douyin without a signed-in account (anonymousCode only) is refused', async () => {
    const login = (async () => ({ code: 'wx-code-1', errMsg: 'login:ok' })) as unknown as typeof Taro.login;
    await expect(miniProgramLoginCode('weapp', { login })()).resolves.toBe('wx-code-1');
    const anonymous = (async () => ({ code: '', anonymousCode: 'anon', isLogin: false, errMsg: 'login:ok' })) as unknown as typeof Taro.login;
    await expect(miniProgramLoginCode('tt', { login: anonymous })()).rejects.toThrow('请先登录抖音');
    const failing = (() => Promise.reject({ errMsg: 'login:fail timeout' })) as unknown as typeof Taro.login;
    await expect(miniProgramLoginCode('weapp', { login: failing })()).rejects.toThrow('login:fail timeout');
  });

  test('alipay: my.getAuthCode with scopes auth_base gives authCode; failures carry errorMessage', async () => {
    const scopes: unknown[] = [];
    const my = {
      getAuthCode: (o: { scopes: unknown; success?: (r: { authCode: string }) => void; fail?: (e: { error: number; errorMessage: string }) => void }) => {
        scopes.push(o.scopes);
        if (scopes.length === 1) o.success?.({ authCode: 'ali-auth-1' });
        else o.fail?.({ error: 11, errorMessage: '用户取消授权' });
      },
    };
    const code = miniProgramLoginCode('alipay', { login: (async () => ({})) as unknown as typeof Taro.login, my });
    await expect(code()).resolves.toBe('ali-auth-1');
    await expect(code()).rejects.toThrow('用户取消授权');
    expect(scopes).toEqual(['auth_base', 'auth_base']);
  });
});

describe('privacy gate', () => {
  test('a request opens the privacy page when no popup is mounted; agree and disagree answer every waiting call', () => {
    let listener: ((resolve: (o: { event: string; buttonId?: string }) => void, info: { referrer: string }) => void) | undefined;
    const answers: string[] = [];
    let pages = 0;
    const gate = new PrivacyGate({ onNeedPrivacyAuthorization: (l) => void (listener = l), reportsExposure: true }, () => pages++);
    gate.start();
    listener?.((o) => answers.push(`${o.event}${o.buttonId ? `:${o.buttonId}` : ''}`), { referrer: 'chooseMedia' });
    expect(pages).toBe(1);
    const seen: unknown[] = [];
    const off = gate.subscribe((r) => seen.push(r));
    expect(seen).toEqual([{ referrer: 'chooseMedia' }]);
    gate.shown();
    gate.disagree();
    expect(answers).toEqual(['exposureAuthorization', 'disagree']);
    listener?.((o) => answers.push(o.event), { referrer: 'chooseLocation' });
    expect(pages).toBe(1); // a mounted popup shows it instead
    gate.agree('privacy-agree');
    expect(answers.at(-1)).toBe('agree');
    expect(seen.at(-1)).toBeUndefined();
    off();
  });

  test('per platform: WeChat and Douyin ask through our popup, Alipay through its own; the guide opens wherever the platform has one', () => {
    const opened: string[] = [];
    const taro = (name: string) => ({
      onNeedPrivacyAuthorization: () => opened.push(`${name}:listen`),
      openPrivacyContract: () => opened.push(`${name}:contract`),
    });
    for (const platform of ['weapp', 'tt', 'alipay'] as const) {
      const gate = new PrivacyGate(privacyApiOf(platform, taro(platform)), () => undefined);
      gate.start();
      expect(gate.hasContract).toBe(true);
      gate.openContract();
    }
    expect(opened).toEqual(['weapp:listen', 'weapp:contract', 'tt:listen', 'tt:contract', 'alipay:contract']);
    expect(new PrivacyGate(privacyApiOf('h5', taro('h5')), () => undefined).hasContract).toBe(false);

    // The popup's exposure is reported only where the platform documents that event (WeChat, not Douyin).
    for (const [platform, answers] of [['weapp', ['exposureAuthorization', 'disagree']], ['tt', ['disagree']]] as const) {
      let listener: ((resolve: (o: { event: string }) => void, info: { referrer: string }) => void) | undefined;
      const gate = new PrivacyGate(privacyApiOf(platform, { onNeedPrivacyAuthorization: (l) => void (listener = l) }), () => undefined);
      gate.start();
      const seen: string[] = [];
      listener?.((o) => seen.push(o.event), { referrer: 'chooseImage' });
      gate.shown();
      gate.disagree();
      expect({ platform, seen }).toEqual({ platform, seen: answers });
    }
    // An older base library without the API: nothing to open, so settings shows no dead entry.
    expect(new PrivacyGate(privacyApiOf('alipay', {}), () => undefined).hasContract).toBe(false);
  });
});

describe('refused permissions', () => {
  const denied = () => Promise.reject({ errMsg: 'authorize:fail auth deny' });
  test('explained with 去设置; switched on in the settings page, the action runs again', async () => {
    const modals: string[] = [];
    const api = {
      showModal: (async (o: Taro.showModal.Option) => (modals.push(`${o.title}|${o.confirmText}`), confirmed(o))) as typeof Taro.showModal,
      openSetting: (async () => ({ authSetting: { 'scope.record': true }, errMsg: 'ok' })) as unknown as typeof Taro.openSetting,
    };
    let calls = 0;
    await expect(withPermission('record', () => (++calls === 1 ? denied() : Promise.resolve('ok')), api)).resolves.toBe('ok');
    expect(modals).toEqual(['需要麦克风权限|去设置']);
    const off = { ...api, openSetting: (async () => ({ authSetting: {}, errMsg: 'ok' })) as unknown as typeof Taro.openSetting };
    await expect(withPermission('record', denied, off)).rejects.toBeInstanceOf(PermissionDeniedError);
    // A privacy refusal is not a permission: it passes through untouched.
    await expect(withPermission('camera', () => Promise.reject({ errMsg: 'chooseMedia:fail privacy permission is not authorized' }), api)).rejects.toMatchObject({
      errMsg: expect.stringContaining('privacy'),
    });
  });

  test('Alipay reports permissions under its own keys: switched on there, the action runs again', async () => {
    // As Alipay documents a permission refused earlier with 不再询问 (my.chooseImage: 2002); Taro passes it on as is.
    const alipayRefusal = () => Promise.reject({ error: 2002, errorMessage: '用户不允许授权' });
    const confirm = (async (o: Taro.showModal.Option) => confirmed(o)) as typeof Taro.showModal;
    // my.openSetting's authSetting as Alipay documents it (my.getSetting: camera, album, location, audioRecord).
    const openSetting = (async () => ({ authSetting: { camera: true, album: true, location: true, audioRecord: true }, errMsg: 'ok' })) as unknown as typeof Taro.openSetting;
    const alipay = settingsOf('alipay', { showModal: confirm, openSetting });
    for (const kind of ['camera', 'album', 'location', 'record'] as const) {
      let calls = 0;
      await expect(withPermission(kind, () => (++calls === 1 ? alipayRefusal() : Promise.resolve(kind)), alipay)).resolves.toBe(kind);
    }
    // WeChat's scope names stay WeChat's: Alipay's keys mean nothing there.
    await expect(withPermission('camera', alipayRefusal, settingsOf('weapp', { showModal: confirm, openSetting }))).rejects.toBeInstanceOf(PermissionDeniedError);
  });
});

describe('build configuration', () => {
  test('a production mini-program build needs https on a domain; development keeps the local server', () => {
    const prod = { target: 'weapp' as const, production: true };
    expect(() => checkServerUrl('http://im.hospital.cn', prod)).toThrow('https://');
    expect(() => checkServerUrl('https://10.0.0.5', prod)).toThrow('not an IP address');
    expect(() => checkServerUrl('https://localhost:8787', prod)).toThrow('not an IP address or localhost');
    expect(() => checkServerUrl(undefined, prod)).toThrow('is not set');
    expect(checkServerUrl('https://im.hospital.cn/', prod)).toBe('https://im.hospital.cn');
    expect(checkServerUrl('http://127.0.0.1:8787', { target: 'weapp', production: false })).toBe('http://127.0.0.1:8787');
    expect(checkServerUrl(undefined, { target: 'h5', production: true })).toBeUndefined();
    expect(locationEnabled('tt', { TARO_APP_LOCATION_TT: 'off' })).toBe(false);
    expect(locationEnabled('weapp', { TARO_APP_LOCATION_TT: 'off' })).toBe(true);
  });

  test('launch links (direct, or inside a scanned QR code URL), token expiry and account', () => {
    expect(launchLink({ link: encodeURIComponent('a.b.c') })).toBe('a.b.c');
    expect(launchLink({ q: encodeURIComponent('https://h.cn/qr?link=x.y.z&session=s') })).toBe('x.y.z');
    expect(launchLink({})).toBeUndefined();
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    expect(tokenExpiresAt(`${b64({ alg: 'HS256' })}.${b64({ exp: 1700000000 })}.s`)).toBe(1700000000_000);
    expect(tokenExpiresAt('garbage')).toBeUndefined();
    expect(tokenAccount(`${b64({ alg: 'HS256' })}.${b64({ sub: 'patient-li', name: '李女士', exp: 1700000000 })}.s`)).toBe('patient-li');
    expect(tokenAccount('garbage')).toBeUndefined();
  });
});
