/** SMS-link login: the one-time link token from the SMS is exchanged for a session token. */
import { takeEarlyExchange } from '../platform/early-link';
import { HttpError } from '../platform/http-error';
import { postJson, replyOf } from '../platform/http';
import { serverBaseUrl } from '../platform/server';

const OFFLINE = '网络连接失败，请检查网络后重新打开链接';

export async function exchangeLink(link: string): Promise<string> {
  // On H5 the page's first script has usually asked already (the token can be used only once).
  const early = takeEarlyExchange(link);
  if (!early) return (await postJson<{ token: string }>(`${serverBaseUrl()}/api/login/link`, { link }, { offlineText: OFFLINE })).token;
  const reply = await early.catch(() => {
    throw new HttpError('network', OFFLINE);
  });
  return replyOf<{ token: string }>(reply.status, reply.data).token;
}
