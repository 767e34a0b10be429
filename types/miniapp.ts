/**
 * Mini-program sign-in on the wire: the app posts its platform's login code (and, the first time, the
 * hospital's one-time link) and gets a session token of the same kind as every other sign-in.
 */
import type { Account } from './message';

export const MINIAPP_PLATFORMS = ['weapp', 'alipay', 'tt'] as const;
export type MiniappPlatform = (typeof MINIAPP_PLATFORMS)[number];

/**
 * `POST` `{ platform, code, link? }` → `{ token, expiresAt, me }`. Without `link` the code's user must
 * already be bound (else `404 notBound`); with it, that user is bound to the link's account first.
 */
export const MINIAPP_LOGIN_PATH = '/api/login/miniapp';
export interface MiniappLoginRequest {
  platform: MiniappPlatform;
  /** `Taro.login().code` on WeChat and Douyin, `my.getAuthCode({ scopes: 'auth_base' }).authCode` on Alipay. */
  code: string;
  /** The `link` launch parameter of the hospital's SMS, on the launch that binds. */
  link?: string;
}
export interface MiniappLoginReply {
  token: string;
  expiresAt: number;
  me: Account;
}

/**
 * `POST` with `Authorization: Bearer <session token>` and `{ platform, code }` → `{}`: the code's user
 * is no longer bound to the signed-in account and this session ends (`404 notBound` if it was not bound).
 */
export const MINIAPP_UNBIND_PATH = '/api/miniapp/unbind';
export interface MiniappUnbindRequest {
  platform: MiniappPlatform;
  code: string;
}

/** Links of one person for the SMS: the mini programs' where configured (see `POST /api/consultations`). */
export interface AppLinks {
  /** WeChat URL Link (https://wxaurl.cn/…), valid as long as the link token. */
  weapp?: string;
  /** Why WeChat gave no URL Link this time (the H5 link still works; `POST /api/links` asks again). */
  weappError?: string;
  /** `alipays://platformapi/startapp?appId=…&page=…&query=…`. */
  alipay?: string;
}
