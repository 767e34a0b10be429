import type { Storage } from '../storage/types';

/** Who a login code belongs to, as the platform says. */
export interface PlatformIdentity {
  /** The user within this app (appid). */
  openid: string;
  /** The user across the hospital's apps on one platform, where the platform gives it. */
  unionid?: string;
}

/** One platform's code-for-identity exchange. */
export interface SignInPlatform {
  /** The platform's name as patients know it, for error messages. */
  readonly name: string;
  readonly appid: string;
  identify(code: string): Promise<PlatformIdentity>;
}

/** Where platform access tokens are kept: the database, so that every server process shares one. */
export type TokenStore = Pick<Storage, 'platformToken' | 'putPlatformToken'>;
