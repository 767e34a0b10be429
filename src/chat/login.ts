/** SMS-link login: the one-time link token from the SMS is exchanged for a session token. */
import Taro from '@tarojs/taro';
import type { ErrorCode } from '../../types/protocol';
import { serverBaseUrl } from '../platform/server';

export class LoginError extends Error {
  constructor(
    readonly code: ErrorCode | 'network',
    message: string,
  ) {
    super(message);
    this.name = 'LoginError';
  }
}

export async function exchangeLink(link: string): Promise<string> {
  let res: Taro.request.SuccessCallbackResult;
  try {
    res = await Taro.request({
      url: `${serverBaseUrl()}/api/login/link`,
      method: 'POST',
      data: { link },
      header: { 'content-type': 'application/json' },
    });
  } catch {
    throw new LoginError('network', '网络连接失败，请检查网络后重新打开链接');
  }
  const body = res.data as { token?: string; error?: { code: ErrorCode; message: string } };
  if (res.statusCode === 200 && body.token) return body.token;
  throw new LoginError(body.error?.code ?? 'internal', body.error?.message ?? '登录失败，请稍后重试');
}
