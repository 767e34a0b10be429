import { useDidShow } from '@tarojs/taro';
import { chat } from '../chat';
import { savedToken } from '../chat/token';

/** Every page starts (or keeps) the connection with the saved token; false when there is none. */
export function useChatSession(): boolean {
  const hasToken = Boolean(savedToken());
  useDidShow(() => {
    const token = savedToken();
    if (!token) return;
    chat().start(token).catch(() => undefined);
    // Back from the background (or another page): check the socket and catch up.
    chat().resume();
  });
  return hasToken;
}
