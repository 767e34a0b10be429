/**
 * WeChat's server API for the mini program: sign-in (jscode2session), the access token every other
 * call needs (stable_token), and URL Links that open the mini program from an SMS (generate_urllink).
 */
import { ClientError } from '../errors';
import { callPlatform, type PlatformRequest, refused } from './http';
import type { PlatformIdentity, SignInPlatform, TokenStore } from './types';

export interface WechatConfig {
  appid: string;
  secret: string;
  /** https://api.weixin.qq.com (tests point it at a stub). */
  apiUrl: string;
}

const NAME = '微信';
/** 40029 invalid code, 40163 code been used; 45011 per-user minute quota, 44990 per-app frequency limit. */
const REFUSALS = { codeInvalid: [40029, 40163], rateLimited: [45011, 44990] };
/** The access token we sent is not WeChat's current one (42001 expired, 40001 invalid or not latest). */
const STALE_TOKEN = [40001, 42001];
/** Tokens are renewed this long before WeChat says they expire, so that none expires in flight. */
const RENEW_BEFORE_MS = 5 * 60_000;
/** WeChat keeps a URL Link at most this long. */
const URL_LINK_MAX_MS = 30 * 86_400_000;

interface Reply {
  errcode?: number;
  errmsg?: string;
}

export class WechatApi implements SignInPlatform {
  readonly name = NAME;
  private refreshing: Promise<string> | undefined;

  constructor(
    private readonly config: WechatConfig,
    private readonly tokens: TokenStore,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get appid(): string {
    return this.config.appid;
  }

  private get tokenName(): string {
    return `weapp:${this.config.appid}`;
  }

  private async call<T extends Reply>(path: string, req: PlatformRequest): Promise<T> {
    return (await callPlatform<T>(NAME, `${this.config.apiUrl.replace(/\/$/, '')}${path}`, req, this.timeoutMs)).body;
  }

  private static checked<T extends Reply>(r: T): T {
    if (r.errcode) throw refused(NAME, r.errcode, r.errmsg ?? '', REFUSALS);
    return r;
  }

  async identify(code: string): Promise<PlatformIdentity> {
    const r = WechatApi.checked(
      await this.call<Reply & { openid?: string; unionid?: string }>('/sns/jscode2session', {
        method: 'GET',
        query: { appid: this.config.appid, secret: this.config.secret, js_code: code, grant_type: 'authorization_code' },
      }),
    );
    if (!r.openid) throw new ClientError('platformError', '微信的登录应答里没有 openid');
    return { openid: r.openid, ...(r.unionid ? { unionid: r.unionid } : {}) };
  }

  /** The access token every process shares, from the database until shortly before it expires. */
  async accessToken(): Promise<string> {
    const cached = await this.tokens.platformToken(this.tokenName);
    if (cached && cached.expiresAt - RENEW_BEFORE_MS > this.now()) return cached.token;
    return this.renew();
  }

  /**
   * One renewal in flight per process. stable_token's normal mode answers every caller the same token
   * while it is valid, so processes renewing at once do not invalidate each other (force_refresh would).
   */
  private renew(): Promise<string> {
    return (this.refreshing ??= this.fetchToken().finally(() => (this.refreshing = undefined)));
  }

  private async fetchToken(): Promise<string> {
    const r = WechatApi.checked(
      await this.call<Reply & { access_token?: string; expires_in?: number }>('/cgi-bin/stable_token', {
        method: 'POST',
        json: { grant_type: 'client_credential', appid: this.config.appid, secret: this.config.secret, force_refresh: false },
      }),
    );
    if (!r.access_token || !r.expires_in) throw new ClientError('platformError', '微信的 access_token 应答不完整');
    await this.tokens.putPlatformToken(this.tokenName, r.access_token, this.now() + r.expires_in * 1000);
    return r.access_token;
  }

  /** A URL Link (https://wxaurl.cn/…) opening `path?query` in the released mini program until `expiresAt` (ms). */
  async urlLink(path: string, query: string, expiresAt: number): Promise<string> {
    const body = { path, query, expire_type: 0, expire_time: Math.floor(Math.min(expiresAt, this.now() + URL_LINK_MAX_MS) / 1000) };
    const generate = async (token: string) =>
      this.call<Reply & { url_link?: string }>('/wxa/generate_urllink', { method: 'POST', query: { access_token: token }, json: body });
    let r = await generate(await this.accessToken());
    // Our stored token can be stale (the secret was reset, a token forced elsewhere): one fresh try.
    if (r.errcode && STALE_TOKEN.includes(r.errcode)) r = await generate(await this.renew());
    const link = WechatApi.checked(r).url_link;
    if (!link) throw new ClientError('platformError', '微信没有返回 URL Link');
    return link;
  }
}
