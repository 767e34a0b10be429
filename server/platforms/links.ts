/**
 * The links a hospital texts: the H5 entry page, and where configured the mini programs' own links,
 * all carrying the same one-time link token (whichever opens first uses it).
 */
import { decodeJwt } from 'jose';
import type { Account } from '../../types/message';
import type { AppLinks } from '../../types/miniapp';
import type { Auth } from '../auth';
import { ClientError } from '../errors';
import type { WechatApi } from './wechat';

/** The mini programs' (and the H5 router's) entry page. */
export const ENTRY_PAGE = 'pages/entry/index';

export const entryQuery = (link: string, sessionId?: string): string =>
  `link=${encodeURIComponent(link)}${sessionId ? `&session=${encodeURIComponent(sessionId)}` : ''}`;

export const h5Entry = (baseUrl: string, query: string): string => `${baseUrl}/#/${ENTRY_PAGE}?${query}`;

export class AppLinkMaker {
  constructor(private readonly apps: { wechat?: WechatApi; alipayAppid?: string }) {}

  /** Links to the entry page with `query`, open until the link token's `expiresAt` (ms). */
  async of(query: string, expiresAt: number): Promise<AppLinks> {
    const links: AppLinks = {};
    if (this.apps.alipayAppid) {
      links.alipay = `alipays://platformapi/startapp?appId=${this.apps.alipayAppid}&page=${encodeURIComponent(ENTRY_PAGE)}&query=${encodeURIComponent(query)}`;
    }
    // WeChat being down must not stop a consultation: the H5 link still works, and POST /api/links retries.
    if (this.apps.wechat) {
      try {
        links.weapp = await this.apps.wechat.urlLink(ENTRY_PAGE, query, expiresAt);
      } catch (e) {
        links.weappError = e instanceof ClientError ? e.message : '微信 URL Link 生成失败';
      }
    }
    return links;
  }
}

type People = { patient: Account; doctor: Account };

/** The links of a consultation's two people, with `appLinks` when any mini program is configured. */
export async function smsLinks(
  deps: { auth: Auth; publicUrl: string; apps?: AppLinkMaker },
  sessionId: string,
  people: People,
): Promise<{ links: Record<keyof People, string>; appLinks?: Record<keyof People, AppLinks> }> {
  const links = {} as Record<keyof People, string>;
  const appLinks = {} as Record<keyof People, AppLinks>;
  for (const role of ['patient', 'doctor'] as const) {
    const link = await deps.auth.issueLink(people[role]);
    const query = entryQuery(link, sessionId);
    links[role] = h5Entry(deps.publicUrl, query);
    if (deps.apps) appLinks[role] = await deps.apps.of(query, (decodeJwt(link).exp ?? 0) * 1000);
  }
  return { links, ...(deps.apps ? { appLinks } : {}) };
}
