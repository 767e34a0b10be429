/** Which mini-program platforms this server signs people in with, from the environment. */
import { type AlipayConfig, alipayKey } from './alipay';
import type { DouyinConfig } from './douyin';
import type { WechatConfig } from './wechat';

export interface PlatformsConfig {
  weapp?: WechatConfig;
  tt?: DouyinConfig;
  alipay?: AlipayConfig;
  /** How long one call to a platform may take before the app is told so (default 5 s). */
  timeoutMs: number;
}

type Env = Record<string, string | undefined>;

/** All of `names` or none: a half-configured platform is a mistake to report at startup. */
function group(env: Env, names: string[]): string[] | undefined {
  const values = names.map((n) => env[n] ?? '');
  if (values.every((v) => v === '')) return undefined;
  if (values.some((v) => v === '')) throw new Error(`${names.join(', ')} go together`);
  return values;
}

export function platformsFromEnv(env: Env): { platforms?: PlatformsConfig } {
  const wechat = group(env, ['WECHAT_APPID', 'WECHAT_APP_SECRET']);
  const tt = group(env, ['TT_APPID', 'TT_APP_SECRET']);
  const alipay = group(env, ['ALIPAY_APPID', 'ALIPAY_PRIVATE_KEY', 'ALIPAY_PUBLIC_KEY']);
  if (!wechat && !tt && !alipay) return {};
  const key = (kind: 'private' | 'public', name: string, value: string) => {
    try {
      return alipayKey(kind, value);
    } catch {
      throw new Error(`${name} is not an RSA ${kind} key (PEM, or the base64 Alipay's key tool writes)`);
    }
  };
  return {
    platforms: {
      timeoutMs: 5000,
      ...(wechat ? { weapp: { appid: wechat[0], secret: wechat[1], apiUrl: env.WECHAT_API_URL || 'https://api.weixin.qq.com' } } : {}),
      ...(tt ? { tt: { appid: tt[0], secret: tt[1], apiUrl: env.TT_API_URL || 'https://developer.toutiao.com' } } : {}),
      ...(alipay
        ? {
            alipay: {
              appid: alipay[0],
              privateKey: key('private', 'ALIPAY_PRIVATE_KEY', alipay[1]),
              publicKey: key('public', 'ALIPAY_PUBLIC_KEY', alipay[2]),
              gatewayUrl: env.ALIPAY_GATEWAY_URL || 'https://openapi.alipay.com/gateway.do',
            },
          }
        : {}),
    },
  };
}
