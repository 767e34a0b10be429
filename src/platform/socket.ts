/**
 * One socket API over the platforms: the browser's WebSocket on H5, Taro.connectSocket (which maps to
 * wx/my/tt.connectSocket) on mini programs.
 */
import Taro from '@tarojs/taro';

export interface SocketHandlers {
  onOpen(): void;
  onMessage(data: string): void;
  /** Called once, whether the socket failed to open or closed later. */
  onClose(code: number, reason: string): void;
}

export interface SocketConnection {
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type OpenSocket = (url: string, handlers: SocketHandlers) => SocketConnection;

function closeOnce(handlers: SocketHandlers): SocketHandlers['onClose'] {
  let closed = false;
  return (code, reason) => {
    if (closed) return;
    closed = true;
    handlers.onClose(code, reason);
  };
}

/** For H5 and for Node tests (given the `ws` package's WebSocket, which has the same shape). */
export function openWebSocket(
  url: string,
  handlers: SocketHandlers,
  Impl: typeof WebSocket = WebSocket,
): SocketConnection {
  const ws = new Impl(url);
  const onClose = closeOnce(handlers);
  ws.onopen = () => handlers.onOpen();
  ws.onmessage = (e: MessageEvent) => {
    if (typeof e.data === 'string') handlers.onMessage(e.data);
  };
  ws.onerror = () => onClose(1006, 'socket error');
  ws.onclose = (e: CloseEvent) => onClose(e.code, e.reason);
  return {
    send: (data) => ws.send(data),
    close: (code = 1000, reason = '') => ws.close(code, reason),
  };
}

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
