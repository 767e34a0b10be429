/** Douyin (ByteDance) mini-program sign-in: jscode2session v2, a JSON POST with the app secret. */
import { ClientError } from '../errors';
import { callPlatform, refused } from './http';
import type { PlatformIdentity, SignInPlatform } from './types';

export interface DouyinConfig {
  appid: string;
  secret: string;
  /** https://developer.toutiao.com (tests point it at a stub). */
  apiUrl: string;
}

const NAME = '抖音';
/** 40018: code wrong, expired or used. */
const REFUSALS = { codeInvalid: [40018] };

interface Reply {
  err_no: number;
  err_tips?: string;
  data?: { openid?: string; unionid?: string } | null;
}

export class DouyinApi implements SignInPlatform {
  readonly name = NAME;

  constructor(
    private readonly config: DouyinConfig,
    private readonly timeoutMs: number,
  ) {}

  get appid(): string {
    return this.config.appid;
  }

  async identify(code: string): Promise<PlatformIdentity> {
    const { body } = await callPlatform<Reply>(
      NAME,
      `${this.config.apiUrl.replace(/\/$/, '')}/api/apps/v2/jscode2session`,
      // anonymous_code is for users not signed in to Douyin; we bind people, so only `code` counts.
      { method: 'POST', json: { appid: this.config.appid, secret: this.config.secret, code, anonymous_code: '' } },
      this.timeoutMs,
    );
    if (body.err_no !== 0) throw refused(NAME, body.err_no, body.err_tips ?? '', REFUSALS);
    const openid = body.data?.openid;
    if (!openid) throw new ClientError('platformError', '抖音的登录应答里没有 openid');
    return { openid, ...(body.data?.unionid ? { unionid: body.data.unionid } : {}) };
  }
}
