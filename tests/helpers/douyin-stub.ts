/**
 * Douyin's jscode2session v2 (POST https://developer.toutiao.com/api/apps/v2/jscode2session), checking
 * what its documentation asks: a JSON body {appid, secret, code, anonymous_code} with content-type
 * application/json; answers {err_no, err_tips, log_id, data: {session_key, openid, anonymous_openid,
 * unionid}}; err_no 40014 bad parameters, 40015 bad appid, 40017 bad secret, 40018 bad code.
 */
import { Codes, startStub, type Stub } from './platform-stub';

export const TT_APPID = 'tt0123456789abcd01';
export const TT_SECRET = 'douyin-app-secret-never-leaves-the-server';

export interface DouyinStub extends Stub {
  codes: Codes;
}

export async function startDouyinStub(): Promise<DouyinStub> {
  const codes = new Codes();
  const refuse = (err_no: number, err_tips: string) => ({ err_no, err_tips, log_id: 'stub', data: null });
  const stub = await startStub((r) => {
    if (r.method !== 'POST' || r.path !== '/api/apps/v2/jscode2session') return refuse(40014, 'bad params');
    if (!String(r.headers['content-type']).startsWith('application/json')) return refuse(40014, 'bad params');
    let b: Record<string, unknown>;
    try {
      b = JSON.parse(r.body) as Record<string, unknown>;
    } catch {
      return refuse(40014, 'bad params');
    }
    if (b.appid !== TT_APPID) return refuse(40015, 'bad appid');
    if (b.secret !== TT_SECRET) return refuse(40017, 'bad secret');
    if (typeof b.code !== 'string' || !b.code) return refuse(40014, 'bad params');
    if (b.anonymous_code !== undefined && typeof b.anonymous_code !== 'string') return refuse(40014, 'bad params');
    const openid = codes.spend(b.code);
    if (openid === undefined || openid === 'used') return refuse(40018, 'bad code');
    return { err_no: 0, err_tips: 'success', log_id: 'stub', data: { session_key: 'c2Vzc2lvbg==', openid, anonymous_openid: '', unionid: `union-${openid}` } };
  });
  return Object.assign(stub, { codes });
}
