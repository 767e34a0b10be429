import Taro from '@tarojs/taro';

export const CHAT = 'consult/chat/index';

/**
 * Whether the page below this one is the chat (of `sessionId`, when given). Going back to it beats
 * opening another: a second chat page of the same session stays hidden beneath on H5 and shares the
 * store's current session with it. A page's query is in Taro's `$taroParams` on every platform (H5's
 * `options` holds only path parameters).
 */
export function chatBelow(sessionId?: string): boolean {
  const pages = Taro.getCurrentPages();
  const below = pages[pages.length - 2] as { route?: string; $taroParams?: Record<string, string | undefined> } | undefined;
  if (below?.route?.replace(/^\//, '') !== CHAT) return false;
  return sessionId === undefined || decodeURIComponent(below.$taroParams?.id ?? '') === sessionId;
}

/** The chat of `sessionId`: the page below when it is that chat, a new one on top otherwise. */
export function openChat(sessionId: string): void {
  if (chatBelow(sessionId)) void Taro.navigateBack();
  else void Taro.navigateTo({ url: `/${CHAT}?id=${encodeURIComponent(sessionId)}` });
}
