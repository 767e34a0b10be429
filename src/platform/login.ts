/**
 * The platform's sign-in code, which our server exchanges for the person's openid (WeChat's
 * jscode2session, Alipay's alipay.system.oauth.token, Douyin's code2session): Taro.login on WeChat and
 * Douyin, my.getAuthCode({ scopes: 'auth_base' }) on Alipay (silent, no prompt). A code is good for one
 * exchange only, so every sign-in asks for a fresh one.
 */
import Taro from '@tarojs/taro';
import type { MiniProgram } from './env';
import { PLATFORM } from './env';
import { REQUEST_TIMEOUT_MS } from './http';

export class LoginCodeError extends Error {
  constructor(detail: string) {
    super(`无法获取登录凭证，请稍后重试（${detail}）`);
    this.name = 'LoginCodeError';
  }
}

/** Alipay's own API: results carry `authCode`, failures `error` and `errorMessage` (no errMsg). */
export interface AlipayAuthApi {
  getAuthCode(option: {
    scopes: string | string[];
    success?: (res: { authCode: string }) => void;
    fail?: (err: { error?: number; errorMessage?: string }) => void;
  }): void;
}

export type GetLoginCode = () => Promise<string>;

export function miniProgramLoginCode(
  platform: MiniProgram,
  deps: { login: typeof Taro.login; my?: AlipayAuthApi },
): GetLoginCode {
  if (platform === 'alipay') {
    return () =>
      new Promise<string>((resolve, reject) => {
        if (!deps.my) return reject(new LoginCodeError('my.getAuthCode unavailable'));
        deps.my.getAuthCode({
          scopes: 'auth_base',
          success: (res) => (res.authCode ? resolve(res.authCode) : reject(new LoginCodeError('empty authCode'))),
          fail: (err) => reject(new LoginCodeError(err?.errorMessage ?? `error ${err?.error ?? '?'}`)),
        });
      });
  }
  return async () => {
    let res: Taro.login.SuccessCallbackResult & { anonymousCode?: string };
    try {
      // WeChat's login also talks to its servers: on a bad network it would wait its default minute.
      res = await deps.login({ timeout: REQUEST_TIMEOUT_MS });
    } catch (e) {
      throw new LoginCodeError((e as { errMsg?: string })?.errMsg ?? String(e));
    }
    // Douyin without a signed-in Douyin account gives only an anonymousCode, which names no person.
    if (!res.code) throw new LoginCodeError(platform === 'tt' ? '请先登录抖音' : 'empty code');
    return res.code;
  };
}

declare const my: AlipayAuthApi | undefined;

export const getLoginCode: GetLoginCode =
  PLATFORM === 'h5'
    ? () => Promise.reject(new LoginCodeError('H5 has no platform sign-in'))
    : miniProgramLoginCode(PLATFORM, { login: (o) => Taro.login(o), my: typeof my === 'undefined' ? undefined : my });
