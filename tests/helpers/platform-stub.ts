/**
 * The shared part of the local stand-ins for WeChat's, Douyin's and Alipay's server APIs: one HTTP
 * server that records every call, can answer late (timeouts), and hands out one-time login codes the
 * way the platforms do (each code names one user and works once).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

/** The answer's exact text (Alipay's is signed as written) or a value to send as JSON. */
export type StubAnswer = string | object;

export interface Stub {
  url: string;
  calls: StubRequest[];
  /** Answers arrive this late (ms). */
  delayMs: number;
  close(): Promise<void>;
}

export async function startStub(answer: (r: StubRequest) => StubAnswer): Promise<Stub> {
  const stub = { calls: [] as StubRequest[], delayMs: 0 };
  const late = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      const r: StubRequest = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body };
      stub.calls.push(r);
      const out = answer(r);
      const timer = setTimeout(() => {
        late.delete(timer);
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(typeof out === 'string' ? out : JSON.stringify(out));
      }, stub.delayMs);
      late.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(stub, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of late) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** Login codes as a platform issues them: random, naming one user, good for one exchange. */
export class Codes {
  private readonly live = new Map<string, string>();
  private readonly spent = new Set<string>();

  /** A fresh code of `openid` (what the app's Taro.login would get). */
  of(openid: string): string {
    const code = randomBytes(12).toString('hex');
    this.live.set(code, openid);
    return code;
  }

  /** The user of a live code (spending it), 'used' for a spent one, undefined for one never issued. */
  spend(code: string): string | 'used' | undefined {
    if (this.spent.has(code)) return 'used';
    const openid = this.live.get(code);
    if (openid === undefined) return undefined;
    this.live.delete(code);
    this.spent.add(code);
    return openid;
  }
}
