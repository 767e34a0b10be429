/**
 * What a launch of the entry page does, per platform:
 * - mini programs: sign in with a fresh platform code (binding to the SMS link's account when the
 *   launch carries one); an account not bound yet gets the page explaining how to bind. A launch never
 *   takes a session token from its parameters: anyone could otherwise start a patient's app in a
 *   session they chose.
 * - H5: the SMS link's one-time token is exchanged for a session; without one, the saved session.
 */
import { exchangeLink } from '../../chat/login';
import { savedToken } from '../../chat/token';
import { HttpError } from '../../platform/http-error';
import { IS_MINI_PROGRAM, signInDeps } from '../../session';
import { launchLink, signInWithCode, tokenAccount, tokenStale } from '../../session/miniapp';

export interface Problem {
  title: string;
  text: string;
  /** The page for a platform account not bound to anyone yet. */
  unbound?: boolean;
  /**
   * Trying again may work (no network, the platform's login or our server failing for now). A mini
   * program comes back from the background on the page it left, so without a way to try again this
   * page would stay until the platform ends the app.
   */
  retry?: boolean;
}

/** What trying again cannot change: the link itself was refused. */
const FINAL: ReadonlySet<HttpError['code']> = new Set(['linkExpired', 'linkUsed', 'authFailed']);

const TITLES: Partial<Record<HttpError['code'], string>> = {
  linkExpired: '链接已过期',
  linkUsed: '链接已使用过',
  authFailed: '链接无效',
  network: '网络连接失败',
};

export const UNBOUND: Problem = {
  title: '请先绑定就诊人',
  text: '第一次使用时，请打开医院发给您的短信中的链接，或用手机扫描医院提供的二维码进入。绑定一次后，以后直接打开小程序即可。',
  unbound: true,
};

const NO_LINK: Problem = { title: '请从短信链接进入', text: '请通过医院发送的短信链接进入问诊' };

/** Resolves with the session token to enter with, or rejects with the Problem to show. */
export async function signInForLaunch(params: Record<string, string | undefined>): Promise<string> {
  const link = launchLink(params);
  try {
    if (IS_MINI_PROGRAM) return (await signInWithCode(signInDeps(), link)).token;
    if (link) return await exchangeLink(link);
  } catch (e) {
    const err = e instanceof HttpError ? e : new HttpError('internal', e instanceof Error ? e.message : '登录失败，请稍后重试');
    if (err.code === 'notBound') throw UNBOUND;
    const saved = savedToken();
    // Reopening the SMS on the device that used it simply continues while the session it gave lives,
    // also once the link has expired (it lasts minutes, the session here days) if the session is the
    // link's person; without a network, a session still valid on this device opens what it holds. An
    // expired session would open a chat only to sign out at once: the link's own error says more.
    if (saved && !tokenStale(saved, Date.now())) {
      const again = err.code === 'linkUsed' || (err.code === 'linkExpired' && tokenAccount(saved) === tokenAccount(link ?? ''));
      if (again || err.code === 'network') return saved;
    }
    throw { title: TITLES[err.code] ?? '无法进入问诊', text: err.message, retry: !FINAL.has(err.code) } satisfies Problem;
  }
  const saved = savedToken();
  if (saved) return saved;
  throw NO_LINK;
}
