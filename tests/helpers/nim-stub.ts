/** A local stand-in for NetEase's server API that checks every call's CheckSum as NetEase does. */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const APP_KEY = 'test-app-key';
export const APP_SECRET = 'test-app-secret-never-leaves-the-server';

export interface StubCall {
  action: string;
  params: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * NetEase's server API as far as tokens go: refresh a known account, create an unknown one. `onToken`
 * tells a fake NIM cloud which token now logs an account in.
 */
export async function startNimStub(
  onToken: (accid: string, token: string) => void = () => undefined,
): Promise<{ url: string; calls: StubCall[]; rejected: number; close(): Promise<void> }> {
  const known = new Map<string, string>();
  const calls: StubCall[] = [];
  const state = { rejected: 0 };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const h = req.headers;
      const action = (req.url ?? '').replace(/^\/nimserver\//, '');
      const params = new URLSearchParams(body);
      calls.push({ action, params, headers: h });
      const expected = createHash('sha1').update(`${APP_SECRET}${String(h.nonce)}${String(h.curtime)}`).digest('hex');
      const fresh = Math.abs(Date.now() / 1000 - Number(h.curtime)) < 300;
      const reply = (o: unknown) => res.end(JSON.stringify(o));
      if (h.appkey !== APP_KEY || h.checksum !== expected || !fresh || !String(h['content-type']).startsWith('application/x-www-form-urlencoded')) {
        state.rejected++;
        return reply({ code: 403, desc: 'illegal checksum' });
      }
      const accid = params.get('accid') ?? '';
      if (action === 'user/refreshToken.action') {
        if (!known.has(accid)) return reply({ code: 414, desc: 'not register' });
        known.set(accid, `tok-${accid}-${calls.length}`);
        onToken(accid, known.get(accid) as string);
        return reply({ code: 200, info: { accid, token: known.get(accid) } });
      }
      if (action === 'user/create.action') {
        known.set(accid, `tok-${accid}-created`);
        onToken(accid, known.get(accid) as string);
        return reply({ code: 200, info: { accid, token: known.get(accid), name: params.get('name') } });
      }
      reply({ code: 404, desc: 'no such action' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/nimserver`,
    calls,
    get rejected() {
      return state.rejected;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

