/** SMS-link login: the one-time link token from the SMS is exchanged for a session token. */
import { postJson } from '../platform/http';
import { serverBaseUrl } from '../platform/server';

export async function exchangeLink(link: string): Promise<string> {
  const { token } = await postJson<{ token: string }>(`${serverBaseUrl()}/api/login/link`, { link }, {
    offlineText: '网络连接失败，请检查网络后重新打开链接',
  });
  return token;
}
