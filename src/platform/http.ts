/** JSON requests to our server: Taro.request on every platform (fetch on H5 underneath). */
import Taro from '@tarojs/taro';
import type { ErrorCode } from '../../types/protocol';
import { HttpError } from './http-error';

/**
 * How long a request to our server may take before it counts as no reply ('network': the entry page
 * offers 重试). The platforms' own default is a minute (WeChat, Douyin: 60 s; Alipay 30 s), far longer
 * than a patient waits on a bad network; a sign-in, our server asking the platform included, takes a
 * second or two.
 */
export const REQUEST_TIMEOUT_MS = 15_000;

interface JsonOptions {
  bearer?: string;
  offlineText: string;
}

/**
 * Resolves with the reply on 200; rejects with the server's error code and message, or with
 * 'network' and `offlineText` when no reply came.
 */
async function requestJson<T>(method: 'GET' | 'POST', url: string, body: unknown, opts: JsonOptions): Promise<T> {
  let res: Taro.request.SuccessCallbackResult;
  try {
    res = await Taro.request({
      url,
      method,
      timeout: REQUEST_TIMEOUT_MS,
      ...(method === 'POST' ? { data: body as Record<string, unknown> } : {}),
      header: { 'content-type': 'application/json', ...(opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {}) },
    });
  } catch {
    throw new HttpError('network', opts.offlineText);
  }
  const data = res.data as T & { error?: { code: ErrorCode; message: string } };
  if (res.statusCode === 200 && !data.error) return data;
  throw new HttpError(data.error?.code ?? 'internal', data.error?.message ?? '服务器繁忙，请稍后重试');
}

export const postJson = <T>(url: string, body: unknown, opts: JsonOptions): Promise<T> => requestJson<T>('POST', url, body, opts);
export const getJson = <T>(url: string, opts: JsonOptions): Promise<T> => requestJson<T>('GET', url, undefined, opts);
