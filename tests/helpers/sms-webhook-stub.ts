/**
 * The hospital's SMS gateway as our server calls it (server/notify/channels.ts, docs-draft/notify.md):
 * it checks what a real receiver must check, refusing anything else with 401/400: the HMAC-SHA256
 * signature of "<timestamp>.<body>" under the shared secret, a timestamp within five minutes, a
 * notification id not seen before (replays), a body of exactly { account, kind, consultationId, link, at },
 * a link to the H5 entry page, and no text from the forbidden list (message text, diagnoses, drugs).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const WEBHOOK_SECRET = 'sms-webhook-secret-sms-webhook-secret!!';

export interface SmsNotice {
  account: string;
  kind: string;
  consultationId: string;
  link: string;
  at: number;
  id: string;
}

export interface SmsWebhookStub {
  url: string;
  /** Accepted notices, in order. */
  received: SmsNotice[];
  /** Requests refused by the checks, with why (a test expects none). */
  rejected: string[];
  /** Strings that must never appear in a request. */
  forbidden: string[];
  /** Answer the next requests with these statuses (then 200). */
  failWith: number[];
  close(): Promise<void>;
}

export async function startSmsWebhookStub(secret = WEBHOOK_SECRET): Promise<SmsWebhookStub> {
  const seen = new Set<string>();
  const stub = { received: [] as SmsNotice[], rejected: [] as string[], forbidden: [] as string[], failWith: [] as number[] };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const refuse = (status: number, why: string) => {
        stub.rejected.push(why);
        res.writeHead(status).end(why);
      };
      if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('application/json')) return refuse(400, 'not a JSON POST');
      const ts = String(req.headers['x-medchat-timestamp'] ?? '');
      const sig = String(req.headers['x-medchat-signature'] ?? '');
      const id = String(req.headers['x-medchat-notification'] ?? '');
      if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return refuse(401, 'stale or missing timestamp');
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${ts}.${raw}`).digest('hex')}`);
      if (sig.length !== expected.length || !timingSafeEqual(Buffer.from(sig), expected)) return refuse(401, 'bad signature');
      if (!id) return refuse(400, 'no notification id');
      for (const f of stub.forbidden) if (raw.includes(f) || decodeURIComponent(raw).includes(f)) return refuse(400, `forbidden content: ${f}`);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return refuse(400, 'not JSON');
      }
      if (Object.keys(body).sort().join(',') !== 'account,at,consultationId,kind,link') return refuse(400, `unexpected fields ${Object.keys(body).join(',')}`);
      if (typeof body.link !== 'string' || !/^https?:\/\/[^/]+\/#\/pages\/entry\/index\?link=[^&]+&session=team-/.test(body.link)) return refuse(400, 'link is not the H5 entry page');
      const status = stub.failWith.shift();
      if (status !== undefined) {
        res.writeHead(status).end();
        return;
      }
      if (seen.has(id)) return refuse(409, 'replayed notification id');
      seen.add(id);
      stub.received.push({ ...(body as unknown as SmsNotice), id });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(stub, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
