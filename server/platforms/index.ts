/** The configured mini-program platforms, as sign-in exchanges and as link makers. */
import type { MiniappPlatform } from '../../types/miniapp';
import { AlipayApi } from './alipay';
import type { PlatformsConfig } from './config';
import { DouyinApi } from './douyin';
import { AppLinkMaker } from './links';
import type { SignInPlatform, TokenStore } from './types';
import { WechatApi } from './wechat';

export interface Platforms {
  signIn: Partial<Record<MiniappPlatform, SignInPlatform>>;
  /** Absent when no platform with SMS links (WeChat, Alipay) is configured. */
  links?: AppLinkMaker;
}

export function openPlatforms(config: PlatformsConfig | undefined, tokens: TokenStore, now: () => number): Platforms {
  if (!config) return { signIn: {} };
  const wechat = config.weapp && new WechatApi(config.weapp, tokens, config.timeoutMs, now);
  const signIn: Platforms['signIn'] = {
    ...(wechat ? { weapp: wechat } : {}),
    ...(config.tt ? { tt: new DouyinApi(config.tt, config.timeoutMs) } : {}),
    ...(config.alipay ? { alipay: new AlipayApi(config.alipay, config.timeoutMs, now) } : {}),
  };
  const alipayAppid = config.alipay?.appid;
  return { signIn, ...(wechat || alipayAppid ? { links: new AppLinkMaker({ wechat, alipayAppid }) } : {}) };
}
