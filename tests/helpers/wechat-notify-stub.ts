/**
 * WeChat's server API as notifications use it, checking every parameter as WeChat documents it:
 * stable_token (POST JSON {grant_type: 'client_credential', appid, secret, force_refresh}) and
 * subscribeMessage.send (POST /cgi-bin/message/subscribe/send?access_token=, JSON {touser, template_id,
 * page, miniprogram_state, lang, data: {key: {value}}}): 40001 stale token, 40003 unknown openid,
 * 40037 template id not the app's, 41030 page not in the released mini program, 47003 data not as the
 * template's keywords want (keys, thing ≤ 20 characters, name ≤ 10, time as "2024年1月2日 15:04"),
 * 43101 the user has no subscription left (each accepted prompt allows one send). A request carrying a
 * forbidden string (message text, diagnoses, drug names) is recorded in `leaks`.
 */
import { startStub, type Stub, type StubRequest } from './platform-stub';
import { WX_APPID, WX_SECRET } from './wechat-stub';

export { WX_APPID, WX_SECRET };
export const WX_TEMPLATE = 'TPL-consult-reply-0123456789abcdef';
/** The template's keywords as the hospital picked them in the WeChat console. */
export const WX_KEYWORDS = ['thing1', 'name2', 'thing3', 'time4'];
const PAGES = ['pages/entry/index'];
const TIME = /^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$/;

export interface WechatNotifyStub extends Stub {
  /** Subscriptions left per openid (what the user accepted in the app and WeChat counts). */
  subscriptions: Map<string, number>;
  sent: Array<{ touser: string; template_id: string; page: string; data: Record<string, { value: string }> }>;
  refusals: number[];
  forbidden: string[];
  leaks: string[];
  token: string;
  expiresAt: number;
  tokenCalls: number;
  invalidateToken(): void;
}

export async function startWechatNotifyStub(): Promise<WechatNotifyStub> {
  // eslint-disable-next-line prefer-const
  let state: WechatNotifyStub;
  const now = () => Math.floor(Date.now() / 1000);
  const err = (errcode: number, errmsg: string) => {
    state.refusals.push(errcode);
    return { errcode, errmsg: `${errmsg} rid: stub` };
  };
  const json = (r: StubRequest) => {
    if (!String(r.headers['content-type']).startsWith('application/json')) return undefined;
    try {
      return JSON.parse(r.body) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  const stableToken = (r: StubRequest) => {
    const b = json(r);
    if (r.method !== 'POST' || !b) return err(47001, 'data format error');
    if (b.grant_type !== 'client_credential') return err(40002, 'invalid grant_type');
    if (b.appid !== WX_APPID) return err(40013, 'invalid appid');
    if (b.secret !== WX_SECRET) return err(40125, 'invalid appsecret');
    state.tokenCalls++;
    if (b.force_refresh || state.expiresAt <= now()) {
      state.token = `NOTIFY_TOKEN_${state.tokenCalls}`;
      state.expiresAt = now() + 7200;
    }
    return { access_token: state.token, expires_in: state.expiresAt - now() };
  };
  const send = (r: StubRequest) => {
    if (r.method !== 'POST') return err(43002, 'require POST method');
    if (!state.token || r.query.get('access_token') !== state.token || state.expiresAt <= now()) return err(40001, 'invalid credential, access_token is invalid or not latest');
    const b = json(r);
    if (!b) return err(47001, 'data format error');
    if (typeof b.touser !== 'string' || !state.subscriptions.has(b.touser)) return err(40003, 'invalid openid');
    if (b.template_id !== WX_TEMPLATE) return err(40037, 'invalid template_id');
    if (typeof b.page !== 'string' || !PAGES.includes(b.page.split('?')[0])) return err(41030, 'invalid page');
    if (!['formal', 'trial', 'developer', undefined].includes(b.miniprogram_state as string)) return err(47003, 'argument invalid! miniprogram_state');
    if (!['zh_CN', 'en_US', 'zh_HK', 'zh_TW', undefined].includes(b.lang as string)) return err(47003, 'argument invalid! lang');
    const data = b.data as Record<string, { value?: unknown }> | undefined;
    if (!data || Object.keys(data).sort().join() !== [...WX_KEYWORDS].sort().join()) return err(47003, 'argument invalid! data keys');
    for (const [k, v] of Object.entries(data)) {
      const value = v?.value;
      if (typeof value !== 'string' || !value) return err(47003, `argument invalid! data.${k}.value`);
      const len = [...value].length;
      if ((k.startsWith('thing') && len > 20) || (k.startsWith('name') && len > 10)) return err(47003, `argument invalid! data.${k}.value too long`);
      if (k.startsWith('time') && !TIME.test(value)) return err(47003, `argument invalid! data.${k}.value time format`);
    }
    const left = state.subscriptions.get(b.touser) ?? 0;
    if (left <= 0) return err(43101, 'user refuse to accept the msg');
    state.subscriptions.set(b.touser, left - 1);
    state.sent.push(b as unknown as WechatNotifyStub['sent'][number]);
    return { errcode: 0, errmsg: 'ok', msgid: state.sent.length };
  };
  const stub = await startStub((r) => {
    for (const f of state.forbidden) if (r.body.includes(f) || decodeURIComponent(r.body).includes(f)) state.leaks.push(f);
    if (r.path === '/cgi-bin/stable_token') return stableToken(r);
    if (r.path === '/cgi-bin/message/subscribe/send') return send(r);
    return err(404, 'no such api');
  });
  state = Object.assign(stub, {
    subscriptions: new Map<string, number>(),
    sent: [] as WechatNotifyStub['sent'],
    refusals: [] as number[],
    forbidden: [] as string[],
    leaks: [] as string[],
    token: '',
    expiresAt: 0,
    tokenCalls: 0,
    invalidateToken() {
      state.token = `NOTIFY_TOKEN_${state.tokenCalls}_reset`;
      state.expiresAt = now() + 7200;
    },
  });
  return state;
}
