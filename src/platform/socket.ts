/**
 * One socket API over the platforms: the browser's WebSocket on H5, Taro.connectSocket (which maps to
 * wx/my/tt.connectSocket) on mini programs.
 */
import Taro from '@tarojs/taro';
import type { OpenSocket, SocketConnection, SocketHandlers } from './socket-web';
import { closeOnce, openWebSocket } from './socket-web';

export type { OpenSocket, SocketConnection, SocketHandlers } from './socket-web';
export { openWebSocket } from './socket-web';

export function openMiniProgramSocket(url: string, handlers: SocketHandlers): SocketConnection {
  const onClose = closeOnce(handlers);
  let task: Taro.SocketTask | undefined;
  let closeRequested: { code: number; reason: string } | undefined;
  // Taro.connectSocket resolves with the task; frames may only be sent after onOpen.
  Taro.connectSocket({ url, multiple: true } as Taro.connectSocket.Option)
    .then((t) => {
      task = t;
      t.onOpen(() => handlers.onOpen());
      t.onMessage((res) => {
        if (typeof res.data === 'string') handlers.onMessage(res.data);
      });
      t.onError((err) => onClose(1006, err.errMsg ?? 'socket error'));
      t.onClose((res) => onClose(res.code, res.reason));
      if (closeRequested) t.close(closeRequested);
    })
    .catch((err: { errMsg?: string }) => onClose(1006, err?.errMsg ?? 'connectSocket failed'));
  return {
    send: (data) => {
      if (!task) throw new Error('socket not open');
      task.send({ data });
    },
    close: (code = 1000, reason = '') => {
      closeRequested = { code, reason };
      task?.close({ code, reason });
    },
  };
}

export const openSocket: OpenSocket =
  process.env.TARO_ENV === 'h5' ? (url, h) => openWebSocket(url, h) : openMiniProgramSocket;
