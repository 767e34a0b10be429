/**
 * Mini-program sign-in (issue 15): the platform's login code, exchanged by our server for the person's
 * openid, signs in whoever that openid was bound to. The first launch carries the hospital's one-time
 * link and binds; later launches, and an expired session, sign in with a fresh code and no SMS.
 * Taro-free apart from the injected dependencies, so tests drive it with fakes.
 */
import type { MiniappLoginReply, MiniappLoginRequest, MiniappPlatform, MiniappUnbindRequest } from '../../types/miniapp';
import { MINIAPP_LOGIN_PATH, MINIAPP_UNBIND_PATH } from '../../types/miniapp';
import { HttpError } from '../platform/http-error';

export interface SignInDeps {
  platform: MiniappPlatform;
  /** A fresh platform code per call: each is good for one exchange. */
  loginCode: () => Promise<string>;
  /** POST to our server (path relative to its origin); rejects with HttpError. */
  post: <T>(path: string, body: unknown, opts?: { bearer?: string }) => Promise<T>;
}

/**
 * Signs in with a fresh code, binding to `link`'s account when given. A link already used (or expired)
 * may be the SMS this person bound with before, so the code alone is tried once more before the link's
 * own error is reported.
 */
export async function signInWithCode(deps: SignInDeps, link?: string): Promise<MiniappLoginReply> {
  const post = async (withLink?: string) => {
    const body: MiniappLoginRequest = { platform: deps.platform, code: await deps.loginCode(), ...(withLink ? { link: withLink } : {}) };
    return deps.post<MiniappLoginReply>(MINIAPP_LOGIN_PATH, body);
  };
  if (!link) return post();
  try {
    return await post(link);
  } catch (e) {
    if (!(e instanceof HttpError) || (e.code !== 'linkUsed' && e.code !== 'linkExpired')) throw e;
    return post().catch(() => {
      throw e;
    });
  }
}

/** 设置 → 解除绑定: this platform account no longer signs in as the signed-in person; the session ends. */
export async function unbind(deps: SignInDeps, token: string): Promise<void> {
  const body: MiniappUnbindRequest = { platform: deps.platform, code: await deps.loginCode() };
  await deps.post<unknown>(MINIAPP_UNBIND_PATH, body, { bearer: token });
}

/**
 * The one-time link a launch carries: `link=` (the SMS's URL Link, Alipay's startapp link), or inside
 * `q=` (WeChat's and Douyin's "scan an ordinary QR code" launch: the encoded URL of the hospital's code).
 */
export function launchLink(query: Record<string, string | undefined>): string | undefined {
  const direct = query.link && decodeURIComponent(query.link);
  if (direct) return direct;
  if (!query.q) return undefined;
  const scanned = decodeURIComponent(query.q);
  const m = /[?&#]link=([^&#]+)/.exec(scanned);
  return m ? decodeURIComponent(m[1]) : undefined;
}

/** When a session token (a JWT) expires, in ms, read from its payload; undefined if unreadable. */
export function tokenExpiresAt(token: string): number | undefined {
  const { exp } = claimsOf(token);
  return typeof exp === 'number' ? exp * 1000 : undefined;
}

/** The account a session or link token names, unverified: only to tell whether two name the same person. */
export function tokenAccount(token: string): string | undefined {
  const { sub } = claimsOf(token);
  return typeof sub === 'string' ? sub : undefined;
}

function claimsOf(token: string): { exp?: unknown; sub?: unknown } {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    return JSON.parse(base64UrlDecode(payload)) as { exp?: unknown; sub?: unknown };
  } catch {
    return {};
  }
}

/** Older base libraries have no atob; the payload's JSON needs only its ASCII (exp, and sub: an account id). */
function base64UrlDecode(s: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const ch of s.replace(/=+$/, '')) {
    const v = alphabet.indexOf(ch === '+' ? '-' : ch === '/' ? '_' : ch);
    if (v < 0) throw new Error('not base64url');
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((value >> bits) & 0xff);
    }
  }
  return out;
}

/** Expired, or about to (a minute of clock skew): sign in afresh rather than fail on the socket. */
export const tokenStale = (token: string, now: number): boolean => {
  const exp = tokenExpiresAt(token);
  return exp !== undefined && exp - 60_000 <= now;
};
