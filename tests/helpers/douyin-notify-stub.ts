/**
 * Douyin's subscription-message API for mini apps, strict about what our server sends.
 *
 * What Douyin documents (found with the search tool):
 * - notify_user v2, https://developer.open-douyin.com/docs/resource/zh-CN/mini-app/develop/server/subscribe-notification/notify-user-v2:
 *   POST https://open.douyin.com/api/notification/v2/subscription/notify_user/, headers `access-token`
 *   (the app's client_token) and content-type application/json; body {msg_id (the template's id),
 *   open_id, data (Map keyword → value), notify_type?, page?}. The same page says the v1 notify
 *   (…/api/apps/subscribe_notification/developer/v1/notify with access_token, app_id, tpl_id in the body)
 *   went offline on 2024-07-01.
 * - client_token, https://developer.open-douyin.com/docs/resource/zh-CN/local-life/develop/OpenAPI/preparation/client_token
 *   (and douyin.apifox.cn/api-128961756): POST https://open.douyin.com/oauth/client_token/ JSON
 *   {client_key, client_secret, grant_type: "client_credential"} → {data: {access_token, expires_in: 7200,
 *   error_code, description}, message}; error_code 10002 bad parameters, 10003 unknown client_key,
 *   10013 client_key or client_secret wrong. A new token leaves the previous one valid a few minutes.
 * - Error codes: the query_user_subscribe v2 page (same family) lists 28014001 parameter error and
 *   28001005 internal error (retry), with 28001003 "access_token无效" as its example; the mini-game notify
 *   page lists 28014043 "用户未订阅该模板" and 28006003 rate limited. notify_user v2's own error table was
 *   not in what the search returned: this stub uses 28001003 (token not valid), 28014043 (no
 *   subscription left), 28014001 (msg_id not the app's / withdrawn, or data not its keywords).
 * Data keys are the template's keyword names as the console shows them (Chinese titles).
 * A request carrying a forbidden string (message text, diagnosis, drug) is recorded in `leaks`.
 */
import { startStub, type Stub, type StubRequest } from './platform-stub';
import { TT_APPID, TT_SECRET } from './douyin-stub';

export { TT_APPID, TT_SECRET };
export const TT_TEMPLATE = 'MSG38489d04608c5f0fdeb565fc5114afff6410aaaa';
export const TT_KEYWORDS = ['通知类型', '医生', '科室', '时间'];
const PAGES = ['pages/entry/index'];

export interface DouyinNotifyStub extends Stub {
  subscriptions: Map<string, number>;
  withdrawn: boolean;
  sent: Array<{ msg_id: string; open_id: string; page?: string; data: Record<string, string> }>;
  refusals: number[];
  forbidden: string[];
  leaks: string[];
  token: string;
  tokenCalls: number;
  invalidateToken(): void;
}

export async function startDouyinNotifyStub(): Promise<DouyinNotifyStub> {
  // eslint-disable-next-line prefer-const
  let state: DouyinNotifyStub;
  const err = (err_no: number, err_msg: string) => {
    state.refusals.push(err_no);
    return { err_no, err_msg, log_id: 'stub', data: {} };
  };
  const json = (r: StubRequest) => {
    if (r.method !== 'POST' || !String(r.headers['content-type']).startsWith('application/json')) return undefined;
    try {
      return JSON.parse(r.body) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  const clientToken = (r: StubRequest) => {
    const b = json(r);
    const refuse = (error_code: number, description: string) => {
      state.refusals.push(error_code);
      return { data: { error_code, description }, message: 'error' };
    };
    if (!b || b.grant_type !== 'client_credential') return refuse(10002, '参数错误');
    if (b.client_key !== TT_APPID) return refuse(10003, 'client_key 不存在');
    if (b.client_secret !== TT_SECRET) return refuse(10013, 'client_key 或者 client_secret 报错');
    state.tokenCalls++;
    state.token = `clt.stub-${state.tokenCalls}`;
    return { data: { access_token: state.token, description: '', error_code: 0, expires_in: 7200 }, message: 'success' };
  };
  const notify = (r: StubRequest) => {
    if (!state.token || r.headers['access-token'] !== state.token) return err(28001003, 'access_token无效');
    const b = json(r);
    if (!b) return err(28014001, '参数错误');
    const extra = Object.keys(b).filter((k) => !['msg_id', 'open_id', 'data', 'notify_type', 'page'].includes(k));
    if (extra.length) return err(28014001, `参数错误 ${extra.join(',')}`);
    if (b.msg_id !== TT_TEMPLATE || state.withdrawn) return err(28014001, '参数错误 msg_id');
    if (typeof b.open_id !== 'string' || !b.open_id) return err(28014001, '参数错误 open_id');
    if (b.page !== undefined && (typeof b.page !== 'string' || !PAGES.includes(b.page.split('?')[0]))) return err(28014001, '参数错误 page');
    const data = b.data as Record<string, unknown> | undefined;
    if (!data || Object.keys(data).sort().join() !== [...TT_KEYWORDS].sort().join()) return err(28014001, '参数错误 data');
    for (const v of Object.values(data)) if (typeof v !== 'string' || !v || [...v].length > 20) return err(28014001, '参数错误 data value');
    const left = state.subscriptions.get(b.open_id);
    if (!left) return err(28014043, '用户未订阅该模板');
    state.subscriptions.set(b.open_id, left - 1);
    state.sent.push(b as unknown as DouyinNotifyStub['sent'][number]);
    return { err_no: 0, err_msg: '', log_id: 'stub', data: {} };
  };
  const stub = await startStub((r) => {
    for (const f of state.forbidden) if (r.body.includes(f)) state.leaks.push(f);
    if (r.path === '/oauth/client_token/') return clientToken(r);
    if (r.path === '/api/notification/v2/subscription/notify_user/') return notify(r);
    return err(28014001, 'no such api');
  });
  state = Object.assign(stub, {
    subscriptions: new Map<string, number>(),
    withdrawn: false,
    sent: [] as DouyinNotifyStub['sent'],
    refusals: [] as number[],
    forbidden: [] as string[],
    leaks: [] as string[],
    token: '',
    tokenCalls: 0,
    invalidateToken() {
      state.token = `clt.stub-${state.tokenCalls}-reset`;
    },
  });
  return state;
}
