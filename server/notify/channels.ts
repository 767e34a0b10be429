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

/** Douyin's notify_user: subscription messages with the app's client-credential token. */
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

  private url(path: string): string {
    return `${this.config.apiUrl.replace(/\/$/, '')}${path}`;
  }

  /** Shared through the database like WeChat's, renewed five minutes before it ends. */
  private async accessToken(): Promise<string> {
    const name = `tt:${this.config.appid}`;
    const cached = await this.tokens.platformToken(name);
    if (cached && cached.token && cached.expiresAt - 300_000 > Date.now()) return cached.token;
    const { body } = await callPlatform<{ err_no?: number; data?: { access_token?: string; expires_in?: number } }>(
      '抖音',
      this.url('/api/apps/v2/token'),
      { method: 'POST', json: { appid: this.config.appid, secret: this.config.secret, grant_type: 'client_credential' } },
      this.timeoutMs,
    );
    const token = body.data?.access_token;
    if (body.err_no !== 0 || !token || !body.data?.expires_in) throw new ClientError('platformError', `抖音 token ${body.err_no}`);
    await this.tokens.putPlatformToken(name, token, Date.now() + body.data.expires_in * 1000);
    return token;
  }

  send(openid: string, n: Notice): Promise<SendResult> {
    return guarded(async () => {
      const data = Object.fromEntries(Object.entries(templateData(n, this.template)).map(([k, v]) => [k, v.value]));
      const { body } = await callPlatform<{ err_no?: number }>(
        '抖音',
        this.url('/api/apps/subscribe_notification/developer/v1/notify'),
        { method: 'POST', json: { access_token: await this.accessToken(), app_id: this.config.appid, tpl_id: this.template.templateId, open_id: openid, data, page: n.page } },
        this.timeoutMs,
      );
      const code = body.err_no ?? -1;
      if (code === 0) return { ok: true };
      if (code === 40002 || code === 40016) {
        await this.tokens.putPlatformToken(`tt:${this.config.appid}`, '', 0);
        return failed(code, false);
      }
      // 40003: the user has not subscribed (or used it up); 40014: the template or data is not valid.
      if (code === 40003) return failed(code, true, true);
      if (code === 40014) return failed(code, true);
      return failed(code, false);
    });
  }
}

const ALIPAY_METHOD = 'alipay.open.app.mini.templatemessage.send';
const ALIPAY_RESPONSE = 'alipay_open_app_mini_templatemessage_send_response';

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
          to_open_id: openid,
          user_template_id: this.template.templateId,
          page: n.page,
          data: JSON.stringify(templateData(n, this.template)),
        }),
      };
      const sign = createSign('RSA-SHA256').update(signContent(params), 'utf8').sign(this.config.privateKey, 'base64');
      const { text, body } = await callPlatform<Record<string, { code?: string; sub_code?: string } | string | undefined>>(
        '支付宝',
        this.config.gatewayUrl,
        { method: 'POST', form: { ...params, sign } },
        this.timeoutMs,
      );
      const member = body[ALIPAY_RESPONSE] as { code?: string; sub_code?: string } | undefined;
      const raw = memberText(text, ALIPAY_RESPONSE);
      // Only an answer signed by Alipay counts as sent.
      const signed = raw !== undefined && typeof body.sign === 'string' && createVerify('RSA-SHA256').update(raw, 'utf8').verify(this.config.publicKey, body.sign, 'base64');
      if (member?.code === '10000') return signed ? { ok: true } : failed('unsigned', false);
      const refusal = member ?? (body.error_response as { code?: string; sub_code?: string } | undefined);
      const sub = refusal?.sub_code ?? refusal?.code ?? 'unknown';
      if (/USER_NOT_SUBSCRIBE|user-not-subscribe|NO_SUBSCRIBE/i.test(sub)) return failed(sub, true, true);
      if (/TEMPLATE|template/.test(sub) || refusal?.code === '40002' || refusal?.code === '40004') return failed(sub, true);
      return failed(sub, false);
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
