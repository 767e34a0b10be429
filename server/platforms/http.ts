/**
 * The one way this server calls a platform's server API: JSON over fetch with a deadline, and failures
 * the app can act on. A slow platform must not hold a patient's launch, so every call has a timeout.
 * URLs are never logged or echoed: WeChat's sign-in carries the app secret in its query.
 */
import { ClientError } from '../errors';

export interface PlatformRequest {
  method: 'GET' | 'POST';
  query?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded (UTF-8). */
  form?: Record<string, string>;
}

/** The parsed answer and its exact text (Alipay signs the text, not the parsed value). */
export interface PlatformAnswer<T> {
  text: string;
  body: T;
}

function encode(req: PlatformRequest): { headers: Record<string, string>; body?: string } {
  if (req.json !== undefined) return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(req.json) };
  if (req.form) return { headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: new URLSearchParams(req.form).toString() };
  return { headers: {} };
}

/** `platform` names it in errors the patient may read (微信, 抖音, 支付宝). */
export async function callPlatform<T>(platform: string, url: string, req: PlatformRequest, timeoutMs: number): Promise<PlatformAnswer<T>> {
  const target = new URL(url);
  for (const [k, v] of Object.entries(req.query ?? {})) target.searchParams.set(k, v);
  let status: number;
  let text: string;
  try {
    const res = await fetch(target, { method: req.method, ...encode(req), signal: AbortSignal.timeout(timeoutMs) });
    status = res.status;
    text = await res.text();
  } catch (e) {
    const timedOut = (e as { name?: string }).name === 'TimeoutError';
    throw new ClientError(
      'platformError',
      timedOut ? `${platform}服务器 ${timeoutMs / 1000} 秒内没有应答，请稍后再试` : `暂时连不上${platform}服务器，请稍后再试`,
    );
  }
  try {
    return { text, body: JSON.parse(text) as T };
  } catch {
    throw new ClientError('platformError', `${platform}服务器的应答无法识别（HTTP ${status}）`);
  }
}

/** Which of a platform's error codes mean what to the app. */
export interface Refusals {
  /** The login code is wrong, expired or used: the app gets a fresh one. */
  codeInvalid: ReadonlyArray<string | number>;
  /** The platform's own rate limit for this user or app. */
  rateLimited?: ReadonlyArray<string | number>;
}

/** A platform's refusal as the app should see it; codes not listed are the server's problem. */
export function refused(platform: string, code: string | number, detail: string, refusals: Refusals): ClientError {
  if (refusals.codeInvalid.includes(code)) return new ClientError('codeInvalid', `${platform}登录凭证无效或已使用，请重试（${code}）`);
  if (refusals.rateLimited?.includes(code)) return new ClientError('rateLimited', `${platform}登录太频繁，请稍后再试（${code}）`);
  return new ClientError('platformError', `${platform}拒绝了请求（${code}${detail ? ` ${detail}` : ''}）`);
}
