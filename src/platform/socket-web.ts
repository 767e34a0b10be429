/**
 * The socket shim's types and its WebSocket implementation (H5, and Node tests with the `ws` package).
 * Kept free of Taro so that providers can be tested in Node.
 */
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

export function closeOnce(handlers: SocketHandlers): SocketHandlers['onClose'] {
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
