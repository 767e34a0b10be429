import { WebSocket, type ClientOptions } from 'ws';
import type { Account } from '../../types/message';
import type { ErrorFrame, PushFrame, RequestMap, RequestType, ServerFrame } from '../../types/protocol';

/** Anything that can issue a token for an account (the in-process server's Auth). */
interface TokenIssuer {
  url: string;
  auth: { issue(account: Account): Promise<string> };
}

export class RequestError extends Error {
  constructor(readonly frame: ErrorFrame) {
    super(`${frame.code}: ${frame.message}`);
  }
}

/** A raw protocol client over the `ws` package: frames in, frames out, nothing hidden. */
export class WsClient {
  readonly frames: ServerFrame[] = [];
  readonly pushes: PushFrame[] = [];
  private nextId = 0;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      this.frames.push(frame);
      if (frame.type !== 'reply' && frame.type !== 'error') this.pushes.push(frame);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** `options`: the socket's own, e.g. the CA of a proxy's TLS certificate and the headers a client sends. */
  static async open(server: { url: string }, options?: ClientOptions): Promise<WsClient> {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws`, options);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new WsClient(ws);
  }

  static async login(server: TokenIssuer, account: Account): Promise<WsClient> {
    return WsClient.loginWithToken(server, await server.auth.issue(account));
  }

  static async loginWithToken(server: { url: string }, token: string, options?: ClientOptions): Promise<WsClient> {
    const c = await WsClient.open(server, options);
    await c.request('auth', { token });
    return c;
  }

  sendRaw(data: string): void {
    this.ws.send(data);
  }

  /** Waits until a frame matching `pred` has arrived (or throws after `ms`). */
  async waitFor<F extends ServerFrame>(pred: (f: ServerFrame) => f is F, ms?: number): Promise<F>;
  async waitFor(pred: (f: ServerFrame) => boolean, ms?: number): Promise<ServerFrame>;
  async waitFor(pred: (f: ServerFrame) => boolean, ms = 5000): Promise<ServerFrame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.frames.find(pred);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a frame');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async request<T extends RequestType>(type: T, payload: RequestMap[T]['req']): Promise<RequestMap[T]['res']> {
    const id = `r${++this.nextId}`;
    this.ws.send(JSON.stringify({ v: 1, id, type, ...payload }));
    const frame = await this.waitFor((f) => (f.type === 'reply' || f.type === 'error') && f.id === id);
    if (frame.type === 'error') throw new RequestError(frame);
    return (frame as { data: RequestMap[T]['res'] }).data;
  }

  close(): void {
    this.ws.close();
  }
}

/** Awaits a request that must fail with `code` and a real explanation; returns that explanation. */
/** How a request ended, as one string to compare: 'resolved', or '<code>: <message>' of the refusal. */
export async function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof RequestError ? `${e.frame.code}: ${e.frame.message}` : String(e)),
  );
}

export async function expectError(p: Promise<unknown>, code: string): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RequestError);
  expect((err as RequestError).frame.code).toBe(code);
  expect((err as RequestError).frame.message.length).toBeGreaterThan(5);
  return (err as RequestError).frame.message;
}
