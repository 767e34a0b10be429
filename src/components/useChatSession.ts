import Taro, { useDidShow, useRouter } from '@tarojs/taro';
import { chat } from '../chat';
import { savedToken } from '../chat/token';

/**
 * Every page that needs a session starts (or keeps) the connection with the saved token. Without one
 * (H5: the page's address opened in another browser or a private window) the entry page takes over: it
 * says how to get in, or signs in on mini programs, and comes back to the chat named in `id`.
 */
export function useChatSession(): void {
  const { params } = useRouter();
  useDidShow(() => {
    const token = savedToken();
    if (!token) {
      void Taro.reLaunch({ url: `/pages/entry/index${params.id ? `?session=${params.id}` : ''}` });
      return;
    }
    chat().start(token).catch(() => undefined);
    // Back from the background (or another page): check the socket and catch up.
    chat().resume();
  });
}
