/**
 * Alipay's open gateway for alipay.open.app.mini.templatemessage.send, with real RSA keys, strict about
 * what our server sends.
 *
 * What Alipay documents (found with the search tool, 2024 copies of the docs):
 * - https://docs.open.alipay.com/api_5/alipay.open.app.mini.templatemessage.send and
 *   https://docs.alipay.com/mini/api/templatemessage: POST https://openapi.alipay.com/gateway.do with the
 *   common parameters app_id, method, format=JSON, charset, sign_type=RSA2, sign, timestamp
 *   "yyyy-MM-dd HH:mm:ss", version=1.0, biz_content; biz_content {to_user_id (the 2088… user_id),
 *   form_id, user_template_id, page, data (a JSON *string* {"keyword1": {"value": …}, …}, keys one to
 *   one with the template's keywords)}. form_id is for the old form/payment template messages.
 * - The subscription-message guide (my.requestSubscribeMessage, https://opendocs.alipay.com/mini/api/requestSubscribeMessage,
 *   as quoted at https://developer.aliyun.com/article/1278724) says step 6, sending, is this same
 *   alipay.open.app.mini.templatemessage.send from the server, after the user subscribed; one-off
 *   templates allow one send per acceptance, long-term ones many.
 * NOT found in the search: `to_open_id` (for apps on Alipay's OpenID scheme; the code sends it for any id
 * that is not a 2088… user_id, which is how the newer docs are remembered) and the business sub_codes.
 * This stub answers 40004 "Business Failed" with sub_code USER_NOT_SUBSCRIBE (no subscription left) and
 * USER_TEMPLATE_ILLEGAL (template not the app's / withdrawn): these names are assumptions; the code
 * classifies by /SUBSCRI/ and /TEMPLATE/ in the sub_code. Gateway errors follow the common codes:
 * 40001 missing argument, 40002 invalid argument (isv.invalid-signature, isv.invalid-app-id,
 * isv.invalid-timestamp, …). Answers are signed with "Alipay's" private key over the exact text of the
 * response member; a request carrying a forbidden string (message text, diagnosis, drug) is in `leaks`.
 */
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { checkGatewayRequest } from './alipay-gateway';
import { startStub, type Stub } from './platform-stub';

export const ALIPAY_APPID = '2021000000000002';
export const ALIPAY_TEMPLATE = 'MDI4YzIxMDE2M2I5YTQzYjUxNWE4MjA4NmU1MTIyYmM=';
export const ALIPAY_KEYWORDS = ['keyword1', 'keyword2', 'keyword3', 'keyword4'];
const METHOD = 'alipay.open.app.mini.templatemessage.send';
const RESPONSE = 'alipay_open_app_mini_templatemessage_send_response';
const PAGES = ['pages/entry/index'];

const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });

export interface AlipaySent {
  to_user_id?: string;
  to_open_id?: string;
  user_template_id: string;
  page: string;
  data: Record<string, { value: string }>;
}

export interface AlipayNotifyStub extends Stub {
  app: { privateKey: KeyObject; publicKey: KeyObject };
  alipay: { privateKey: KeyObject; publicKey: KeyObject };
  /** Subscriptions left per user id / open id. */
  subscriptions: Map<string, number>;
  /** The template was withdrawn in the console. */
  withdrawn: boolean;
  sent: AlipaySent[];
  /** sub_code of every refusal. */
  refusals: string[];
  forbidden: string[];
  leaks: string[];
}

export async function startAlipayNotifyStub(): Promise<AlipayNotifyStub> {
  // eslint-disable-next-line prefer-const
  let state: AlipayNotifyStub;
  const signed = (member: string, body: string) => {
    const sign = createSign('RSA-SHA256').update(body, 'utf8').sign(state.alipay.privateKey, 'base64');
    return `{"${member}":${body},"sign":"${sign}"}`;
  };
  const refuse = (member: string, code: string, msg: string, sub_code: string, sub_msg: string) => {
    state.refusals.push(sub_code);
    return signed(member, JSON.stringify({ code, msg, sub_code, sub_msg }));
  };
  const invalid = (sub: string, subMsg: string) => refuse('error_response', '40002', 'Invalid Arguments', sub, subMsg);
  const business = (sub: string, subMsg: string) => refuse(RESPONSE, '40004', 'Business Failed', sub, subMsg);

  const stub = await startStub((r) => {
    for (const f of state.forbidden) if (r.body.includes(f) || decodeURIComponent(r.body.replace(/\+/g, ' ')).includes(f)) state.leaks.push(f);
    const checked = checkGatewayRequest(r, { appId: ALIPAY_APPID, method: METHOD, required: ['biz_content'], appPublicKey: state.app.publicKey });
    if ('refusal' in checked) {
      const { code, msg, sub_code, sub_msg } = checked.refusal;
      return refuse('error_response', code, msg, sub_code, sub_msg);
    }
    const p = checked.params;

    let biz: Record<string, unknown>;
    try {
      biz = JSON.parse(p.biz_content) as Record<string, unknown>;
    } catch {
      return invalid('isv.invalid-biz-content', 'biz_content 不是 JSON');
    }
    const allowed = ['to_user_id', 'to_open_id', 'form_id', 'user_template_id', 'page', 'data'];
    const extra = Object.keys(biz).filter((k) => !allowed.includes(k));
    if (extra.length) return invalid('isv.invalid-parameter', `未知参数 ${extra.join(',')}`);
    const to = (biz.to_user_id ?? biz.to_open_id) as unknown;
    if (typeof to !== 'string' || !to || (biz.to_user_id !== undefined && biz.to_open_id !== undefined)) return invalid('isv.invalid-parameter', 'to_user_id / to_open_id 二选一');
    if (biz.to_user_id !== undefined && !/^2088\d{12}$/.test(to)) return invalid('isv.invalid-parameter', 'to_user_id 不是支付宝用户号');
    if (typeof biz.page !== 'string' || !PAGES.includes(biz.page.split('?')[0]) || biz.page.length > 128) return invalid('isv.invalid-parameter', 'page 不正确');
    if (typeof biz.data !== 'string' || biz.data.length > 2048) return invalid('isv.invalid-parameter', 'data 必须是 JSON 字符串');
    let data: Record<string, { value?: unknown }>;
    try {
      data = JSON.parse(biz.data) as Record<string, { value?: unknown }>;
    } catch {
      return invalid('isv.invalid-parameter', 'data 不是 JSON');
    }
    if (biz.user_template_id !== ALIPAY_TEMPLATE || state.withdrawn) return business('USER_TEMPLATE_ILLEGAL', '模板不存在或已下线');
    if (Object.keys(data).sort().join() !== [...ALIPAY_KEYWORDS].sort().join()) return business('USER_TEMPLATE_ILLEGAL', '占位符与模板关键词不匹配');
    for (const v of Object.values(data)) if (typeof v?.value !== 'string' || !v.value) return business('USER_TEMPLATE_ILLEGAL', '关键词取值为空');
    const left = state.subscriptions.get(to);
    if (!left) return business('USER_NOT_SUBSCRIBE', '用户未订阅该模板');
    state.subscriptions.set(to, left - 1);
    state.sent.push({ ...(biz as unknown as AlipaySent), data: data as AlipaySent['data'] });
    return signed(RESPONSE, '{"code":"10000","msg":"Success"}');
  });
  state = Object.assign(stub, {
    app: pair(),
    alipay: pair(),
    subscriptions: new Map<string, number>(),
    withdrawn: false,
    sent: [] as AlipaySent[],
    refusals: [] as string[],
    forbidden: [] as string[],
    leaks: [] as string[],
  });
  return state;
}
