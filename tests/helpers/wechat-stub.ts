/**
 * WeChat's server API as far as the mini program goes, checking every parameter as WeChat documents
 * it: jscode2session (GET, appid + secret + js_code + grant_type=authorization_code; 40029 invalid
 * code, 40163 code been used, 45011 minute quota), stable_token (POST JSON {grant_type:
 * 'client_credential', appid, secret, force_refresh}; normal mode answers the same token while it is
 * valid) and generate_urllink (POST JSON with ?access_token=; 40001 invalid credential, 40165 invalid
 * page path, 40212 invalid query, 85401 bad expire_time).
 */
import { Codes, startStub, type Stub, type StubRequest } from './platform-stub';

export const WX_APPID = 'wx0123456789abcdef';
export const WX_SECRET = 'wechat-app-secret-never-leaves-the-server';
/** Pages of the released mini program a URL Link may open. */
const PAGES = ['pages/entry/index'];
const QUERY_CHARS = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]*$/;

export interface WechatStub extends Stub {
  codes: Codes;
  /** The next jscode2session calls answer 45011. */
  rateLimited: boolean;
  /** stable_token calls made, and the token now valid until expiresAt (s). */
  tokenCalls: number;
  token: string;
  expiresAt: number;
  /** Ends the current token early (as a secret reset or a forced refresh elsewhere would). */
  invalidateToken(): void;
  urlLinks: Array<{ path: string; query: string; expire_time: number }>;
}

export async function startWechatStub(): Promise<WechatStub> {
  // The handlers below run only once `state` (the stub itself) exists.
  // eslint-disable-next-line prefer-const
  let state: WechatStub;
  const now = () => Math.floor(Date.now() / 1000);
  const err = (errcode: number, errmsg: string) => ({ errcode, errmsg: `${errmsg}, rid: stub` });
  const credentials = (appid: unknown, secret: unknown) =>
    appid !== WX_APPID ? err(40013, 'invalid appid') : secret !== WX_SECRET ? err(40125, 'invalid appsecret') : undefined;
  const json = (r: StubRequest): Record<string, unknown> | undefined => {
    if (!String(r.headers['content-type']).startsWith('application/json')) return undefined;
    try {
      return JSON.parse(r.body) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };

  const jscode2session = (r: StubRequest) => {
    if (r.method !== 'GET') return err(43001, 'require GET method');
    const q = r.query;
    const bad = credentials(q.get('appid'), q.get('secret'));
    if (bad) return bad;
    if (q.get('grant_type') !== 'authorization_code') return err(40002, 'invalid grant_type');
    if (!q.get('js_code')) return err(41008, 'missing code');
    if (state.rateLimited) return err(45011, 'api minute-quota reach limit mustslower retry next minute');
    const openid = state.codes.spend(q.get('js_code') as string);
    if (openid === 'used') return err(40163, 'code been used');
    if (openid === undefined) return err(40029, 'invalid code');
    return { openid, session_key: 'c2Vzc2lvbi1rZXk=', unionid: `union-${openid}` };
  };

  const stableToken = (r: StubRequest) => {
    if (r.method !== 'POST') return err(43002, 'require POST method');
    const b = json(r);
    if (!b) return err(47001, 'data format error');
    if (b.grant_type !== 'client_credential') return err(40002, 'invalid grant_type');
    const bad = credentials(b.appid, b.secret);
    if (bad) return bad;
    if (b.force_refresh !== undefined && typeof b.force_refresh !== 'boolean') return err(47001, 'data format error');
    state.tokenCalls++;
    if (b.force_refresh || state.expiresAt <= now()) {
      state.token = `ACCESS_TOKEN_${state.tokenCalls}`;
      state.expiresAt = now() + 7200;
    }
    return { access_token: state.token, expires_in: state.expiresAt - now() };
  };

  const generateUrlLink = (r: StubRequest) => {
    if (r.method !== 'POST') return err(43002, 'require POST method');
    if (!state.token || r.query.get('access_token') !== state.token || state.expiresAt <= now()) {
      return err(40001, 'invalid credential, access_token is invalid or not latest');
    }
    const b = json(r);
    if (!b) return err(47001, 'data format error');
    if (typeof b.path !== 'string' || !PAGES.includes(b.path)) return err(40165, 'invalid weapp pagepath');
    if (typeof b.query !== 'string' || b.query.length > 1024 || !QUERY_CHARS.test(b.query)) return err(40212, 'invalid query');
    if (b.expire_type !== 0) return err(85403, 'invalid expire_type');
    const t = b.expire_time;
    if (typeof t !== 'number' || !Number.isInteger(t) || t <= now() + 60 || t > now() + 30 * 86_400) return err(85401, 'invalid expire_time');
    state.urlLinks.push({ path: b.path, query: b.query, expire_time: t });
    return { errcode: 0, errmsg: 'ok', url_link: `https://wxaurl.cn/stub${state.urlLinks.length}` };
  };

  const stub = await startStub((r) => {
    if (r.path === '/sns/jscode2session') return jscode2session(r);
    if (r.path === '/cgi-bin/stable_token') return stableToken(r);
    if (r.path === '/wxa/generate_urllink') return generateUrlLink(r);
    return err(404, 'no such api');
  });
  state = Object.assign(stub, {
    codes: new Codes(),
    rateLimited: false,
    tokenCalls: 0,
    token: '',
    expiresAt: 0,
    urlLinks: [] as WechatStub['urlLinks'],
    invalidateToken() {
      state.token = `ACCESS_TOKEN_${state.tokenCalls}_reset`;
      state.expiresAt = now() + 7200;
    },
  });
  return state;
}
