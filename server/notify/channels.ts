/**
 * The channels a notice goes out on. Each answers sent, refused for good (no subscription left, the
 * template withdrawn: recorded, not retried) or failed for now (retried with backoff).
 */
import { createHmac, createSign, createVerify } from 'node:crypto';
import { ClientError } from '../errors';
import { type AlipayConfig, gatewayTimestamp, memberText, signContent } from '../platforms/alipay';
import type { DouyinConfig } from '../platforms/douyin';
import { callPlatform } from '../platforms/http';
import type { TokenStore } from '../platforms/types';
import type { WechatApi, WechatConfig } from '../platforms/wechat';
import type { NotifyConfig, TemplateConfig } from './config';
import { type Notice, templateData } from './content';

export type SendResult =
  | { ok: true }
  | {
      ok: false;
      /** Refused for good: not retried on this channel. */
      permanent: boolean;
      /** The platform's code or the HTTP status, for the outbox row and audit (never its text). */
      code: string;
      /** The person has no subscription left: their consent is spent. */
      noSubscription?: boolean;
    };

const failed = (code: string | number, permanent: boolean, noSubscription = false): SendResult => ({
  ok: false,
  permanent,
  code: String(code),
  ...(noSubscription ? { noSubscription } : {}),
});

/** A platform that cannot be reached, answers late or unreadably: try again later. */
async function guarded(send: () => Promise<SendResult>): Promise<SendResult> {
  try {
    return await send();
  } catch (e) {
    return failed(e instanceof ClientError ? e.code : 'error', false);
  }
}

/** A mini-program subscription message to one platform user. */
export interface SubscriptionChannel {
  platform: 'weapp' | 'alipay' | 'tt';
  appid: string;
  template: TemplateConfig;
  send(openid: string, n: Notice): Promise<SendResult>;
}

/** WeChat subscribeMessage.send with the access token every process shares. */
export class WechatChannel implements SubscriptionChannel {
  readonly platform = 'weapp';

  constructor(
    private readonly api: WechatApi,
    private readonly config: WechatConfig,
    private readonly tokens: TokenStore,
    readonly template: NonNullable<NotifyConfig['weapp']>,
    private readonly timeoutMs: number,
  ) {}

  get appid(): string {
    return this.config.appid;
  }

  send(openid: string, n: Notice): Promise<SendResult> {
    return guarded(async () => {
      const token = await this.api.accessToken();
      const { body } = await callPlatform<{ errcode?: number }>(
        '微信',
        `${this.config.apiUrl.replace(/\/$/, '')}/cgi-bin/message/subscribe/send`,
        {
          method: 'POST',
          query: { access_token: token },
          json: { touser: openid, template_id: this.template.templateId, page: n.page, miniprogram_state: this.template.state, lang: 'zh_CN', data: templateData(n, this.template) },
        },
        this.timeoutMs,
      );
      const code = body.errcode ?? 0;
      if (code === 0) return { ok: true };
      // Our stored token is not WeChat's current one: mark it stale so the next try fetches another.
      if (code === 40001 || code === 42001) {
        await this.tokens.putPlatformToken(`weapp:${this.config.appid}`, '', 0);
        return failed(code, false);
      }
      // 43101: the user has no subscription (left); 40037 template withdrawn; 40003 openid not ours;
      // 47003 data not as the template wants; 41030 page not in the released version.
      if (code === 43101) return failed(code, true, true);
      if ([40037, 40003, 47003, 41030].includes(code)) return failed(code, true);
      return failed(code, false);
    });
  }
}

/**
 * Douyin's open API host. Sign-in (jscode2session) lives on developer.toutiao.com; subscription messages
 * (notify_user v2) and their client_token on open.douyin.com. TT_API_URL set to anything else (a proxy,
 * a test stub) serves both.
 */
export function douyinOpenApi(apiUrl: string): string {
  const base = apiUrl.replace(/\/$/, '');
  return /^https:\/\/developer\.toutiao\.com$/.test(base) ? 'https://open.douyin.com' : base;
}

/**
 * Douyin's notify_user v2 (POST /api/notification/v2/subscription/notify_user/, header access-token,
 * JSON {msg_id, open_id, data: {keyword: value}, page}); the v1 notify on developer.toutiao.com was
 * retired on 2024-07-01. The token is the app's client_token (POST /oauth/client_token/).
 */
/**
 * A JSON POST to Douyin's open API with the `access-token` header it wants (callPlatform sends no
 * headers of its own); unreachable, late or unreadable answers throw, and the notice is retried.
 */
async function douyinPost<T>(url: string, json: unknown, timeoutMs: number, token?: string): Promise<T> {
  let text: string;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { 'access-token': token } : {}) },
      body: JSON.stringify(json),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (e) {
    throw new ClientError('platformError', (e as { name?: string }).name === 'TimeoutError' ? 'timeout' : 'unreachable');
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ClientError('platformError', 'unreadable');
  }
}

export class DouyinChannel implements SubscriptionChannel {
  readonly platform = 'tt';

  constructor(
    private readonly config: DouyinConfig,
    private readonly tokens: TokenStore,
    readonly template: TemplateConfig,
    private readonly timeoutMs: number,
  ) {}

  get appid(): string {
    return this.config.appid;
  }

  private get tokenName(): string {
    return `tt-client:${this.config.appid}`;
  }

  private url(path: string): string {
    return `${douyinOpenApi(this.config.apiUrl)}${path}`;
  }

  /** Shared through the database like WeChat's, renewed five minutes before it ends. */
  private async accessToken(): Promise<string> {
    const cached = await this.tokens.platformToken(this.tokenName);
    if (cached && cached.token && cached.expiresAt - 300_000 > Date.now()) return cached.token;
    const body = await douyinPost<{ message?: string; data?: { access_token?: string; expires_in?: number; error_code?: number } }>(
      this.url('/oauth/client_token/'),
      { client_key: this.config.appid, client_secret: this.config.secret, grant_type: 'client_credential' },
      this.timeoutMs,
    );
    const token = body.data?.access_token;
    if (body.data?.error_code !== 0 || !token || !body.data?.expires_in) throw new ClientError('platformError', `抖音 client_token ${body.data?.error_code ?? 'unknown'}`);
    await this.tokens.putPlatformToken(this.tokenName, token, Date.now() + body.data.expires_in * 1000);
    return token;
  }

  send(openid: string, n: Notice): Promise<SendResult> {
    return guarded(async () => {
      const data = Object.fromEntries(Object.entries(templateData(n, this.template)).map(([k, v]) => [k, v.value]));
      const token = await this.accessToken();
      const body = await douyinPost<{ err_no?: number }>(
        this.url('/api/notification/v2/subscription/notify_user/'),
        { msg_id: this.template.templateId, open_id: openid, data, page: n.page },
        this.timeoutMs,
        token,
      );
      const code = body.err_no ?? -1;
      if (code === 0) return { ok: true };
      // 28001003 / 28001008: the token is not (or no longer) valid: drop ours, the retry fetches another.
      if (code === 28001003 || code === 28001008) {
        await this.tokens.putPlatformToken(this.tokenName, '', 0);
        return failed(code, false);
      }
      // 28014043: the user has not subscribed to the template (or used it up).
      if (code === 28014043) return failed(code, true, true);
      // 28014001: parameters refused (msg_id not the app's or withdrawn, data not the template's keywords).
      if (code === 28014001) return failed(code, true);
      return failed(code, false);
    });
  }
}

const ALIPAY_METHOD = 'alipay.open.app.mini.templatemessage.send';
const ALIPAY_RESPONSE = 'alipay_open_app_mini_templatemessage_send_response';
/** Alipay's user_id (2088…); apps on the OpenID scheme get an open_id instead. */
const ALIPAY_USER_ID = /^2088\d{12}$/;

type AlipayMember = { code?: string; sub_code?: string };

/** Why Alipay refused, as the outbox should treat it. */
export function alipayRefusal(m: AlipayMember | undefined): SendResult {
  const code = m?.code ?? 'unknown';
  const sub = m?.sub_code ?? code;
  // The user has no subscription (left) for the template: their consent is spent.
  if (/SUBSCRI/i.test(sub)) return failed(sub, true, true);
  // The template is not (or no longer) the app's, or the data does not fit it.
  if (/TEMPLATE/i.test(sub)) return failed(sub, true);
  // A clock off by more than Alipay allows: a later try has a fresh timestamp.
  if (/invalid-timestamp/i.test(sub)) return failed(sub, false);
  // Missing or invalid arguments (signature, app id) and missing permissions do not heal by retrying.
  if (['40001', '40002', '40006'].includes(code)) return failed(sub, true);
  return failed(sub, false);
}

/** Alipay's open API send of a subscribed template message, signed RSA2 like sign-in. */
export class AlipayChannel implements SubscriptionChannel {
  readonly platform = 'alipay';

  constructor(
    private readonly config: AlipayConfig,
    readonly template: TemplateConfig,
    private readonly timeoutMs: number,
  ) {}

  get appid(): string {
    return this.config.appid;
  }

  send(openid: string, n: Notice): Promise<SendResult> {
    return guarded(async () => {
      const params: Record<string, string> = {
        app_id: this.config.appid,
        method: ALIPAY_METHOD,
        format: 'JSON',
        charset: 'utf-8',
        sign_type: 'RSA2',
        timestamp: gatewayTimestamp(Date.now()),
        version: '1.0',
        biz_content: JSON.stringify({
          ...(ALIPAY_USER_ID.test(openid) ? { to_user_id: openid } : { to_open_id: openid }),
          user_template_id: this.template.templateId,
          page: n.page,
          data: JSON.stringify(templateData(n, this.template)),
        }),
      };
      const sign = createSign('RSA-SHA256').update(signContent(params), 'utf8').sign(this.config.privateKey, 'base64');
      const { text, body } = await callPlatform<Record<string, AlipayMember | string | undefined>>(
        '支付宝',
        this.config.gatewayUrl,
        { method: 'POST', form: { ...params, sign } },
        this.timeoutMs,
      );
      const member = body[ALIPAY_RESPONSE] as AlipayMember | undefined;
      if (member?.code === '10000') {
        // Only an answer signed by Alipay counts as sent.
        const raw = memberText(text, ALIPAY_RESPONSE);
        const signed = raw !== undefined && typeof body.sign === 'string' && createVerify('RSA-SHA256').update(raw, 'utf8').verify(this.config.publicKey, body.sign, 'base64');
        return signed ? { ok: true } : failed('unsigned', false);
      }
      return alipayRefusal(member ?? (body.error_response as AlipayMember | undefined));
    });
  }
}

/**
 * The hospital's SMS gateway: POST `{ account, kind, consultationId, link, at }` with
 * `X-Medchat-Timestamp: <unix seconds>` and `X-Medchat-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`,
 * and `X-Medchat-Notification: <id>` to drop a repeat. 2xx: sent; 4xx but 408/429: refused; else retried.
 */
export class WebhookChannel {
  constructor(
    private readonly config: NonNullable<NotifyConfig['webhook']>,
    private readonly timeoutMs: number,
  ) {}

  async send(n: Notice, link: string): Promise<SendResult> {
    const body = JSON.stringify({ account: n.account, kind: n.kind, consultationId: n.consultationId, link, at: n.at });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', this.config.secret).update(`${timestamp}.${body}`).digest('hex');
    try {
      const res = await fetch(this.config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-medchat-timestamp': timestamp,
          'x-medchat-signature': `sha256=${signature}`,
          'x-medchat-notification': n.id,
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true };
      return failed(res.status, res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429);
    } catch (e) {
      return failed((e as { name?: string }).name === 'TimeoutError' ? 'timeout' : 'unreachable', false);
    }
  }
}
