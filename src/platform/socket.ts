/**
 * One socket API over the platforms: the browser's WebSocket on H5, Taro.connectSocket (wx/tt) on
 * WeChat and Douyin, and Alipay's own my.connectSocket on Alipay.
 *
 * Why not Taro on Alipay: Taro 4.2 resolves connectSocket({ multiple: true }) with
 * Object.assign(task, res) where res carries the global my.onSocketMessage/sendSocketMessage/…, which
 * overwrite the task's own methods (NervJS/taro#13252); in multi-instance mode Alipay delivers only
 * through the task, so no frame ever arrived. Here each socket uses its own task, listeners go on as
 * soon as the task exists (before it can open) and come off when it closes.
 */
import Taro from '@tarojs/taro';
import type { OpenSocket, SocketConnection, SocketHandlers } from './socket-web';
import { closeOnce, openWebSocket } from './socket-web';

export type { OpenSocket, SocketConnection, SocketHandlers } from './socket-web';
export { openWebSocket } from './socket-web';

export function openMiniProgramSocket(
  url: string,
  handlers: SocketHandlers,
  api: Pick<typeof Taro, 'connectSocket'> = Taro,
): SocketConnection {
  const onClose = closeOnce(handlers);
  let task: Taro.SocketTask | undefined;
  let closeRequested: { code: number; reason: string } | undefined;
  // Taro.connectSocket resolves with the task; frames may only be sent after onOpen.
  api
    .connectSocket({ url } as Taro.connectSocket.Option)
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

/** What Alipay documents for multi-instance sockets (failures carry `error`/`errorMessage`). */
interface AlipayFailure {
  error?: number;
  errorMessage?: string;
}
export interface AlipaySocketTask {
  send(option: { data: string; fail?: (err: AlipayFailure) => void }): void;
  close(option?: { code?: number; reason?: string }): void;
  onOpen(cb: () => void): void;
  offOpen(cb: () => void): void;
  onMessage(cb: (res: { data: string | ArrayBuffer }) => void): void;
  offMessage(cb: (res: { data: string | ArrayBuffer }) => void): void;
  onError(cb: (err: AlipayFailure) => void): void;
  offError(cb: (err: AlipayFailure) => void): void;
  onClose(cb: (res: { code?: number; reason?: string }) => void): void;
  offClose(cb: (res: { code?: number; reason?: string }) => void): void;
}
export interface AlipaySocketApi {
  connectSocket(option: { url: string; multiple: true; fail?: (err: AlipayFailure) => void }): AlipaySocketTask;
}

export function openAlipaySocket(url: string, handlers: SocketHandlers, my: AlipaySocketApi): SocketConnection {
  const onClose = closeOnce(handlers);
  let open = false;
  const opened = () => {
    open = true;
    handlers.onOpen();
  };
  const message = (res: { data: string | ArrayBuffer }) => {
    if (typeof res.data === 'string') handlers.onMessage(res.data);
  };
  const error = (err: AlipayFailure) => finish(1006, err?.errorMessage ?? 'socket error');
  const closed = (res: { code?: number; reason?: string }) => finish(res?.code ?? 1006, res?.reason ?? '');
  const task = my.connectSocket({ url, multiple: true, fail: error });
  task.onOpen(opened);
  task.onMessage(message);
  task.onError(error);
  task.onClose(closed);
  // Listeners live as long as the socket: a task that is gone must not call into a later connection.
  function finish(code: number, reason: string): void {
    open = false;
    task.offOpen(opened);
    task.offMessage(message);
    task.offError(error);
    task.offClose(closed);
    onClose(code, reason);
  }
  return {
    send: (data) => {
      if (!open) throw new Error('socket not open');
      task.send({ data, fail: error });
    },
    close: (code = 1000, reason = '') => task.close({ code, reason }),
  };
}

declare const my: AlipaySocketApi | undefined;

export const openSocket: OpenSocket =
  process.env.TARO_ENV === 'h5'
    ? (url, h) => openWebSocket(url, h)
    : process.env.TARO_ENV === 'alipay'
      ? (url, h) => openAlipaySocket(url, h, my as AlipaySocketApi)
      : (url, h) => openMiniProgramSocket(url, h);
