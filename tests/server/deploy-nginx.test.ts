/**
 * deploy/nginx.conf, run by Debian's nginx in front of a real server (TRUST_PROXY=1, as compose runs
 * it): what a hospital deploys is what these tests pass through. TLS and the WebSocket upgrade, the
 * client address it forwards (which the sign-in throttle counts by), /metrics kept inside, and its
 * limit on new WebSockets per address.
 */
import { get } from 'node:https';
import { WebSocket } from 'ws';
import { openWebSocket } from '../../src/platform/socket-web';
import { ChatClient, until } from '../helpers/chat-client';
import { doctor, patient, SESSION, startConsultationServer } from '../helpers/consultation';
import { startNginx, type Nginx } from '../helpers/nginx';
import { expectError, WsClient, type TestServer } from '../helpers/server';

jest.setTimeout(60_000);

const METRICS_TOKEN = 'metrics-token-metrics-token';
let server: TestServer;
let nginx: Nginx;
const running: Array<{ stop(): void }> = [];

beforeAll(async () => {
  server = await startConsultationServer({ trustProxy: true, metricsToken: METRICS_TOKEN });
  const port = Number(new URL(server.url).port);
  // Both of compose's backends are this one server.
  nginx = await startNginx([port]);
});

afterAll(async () => {
  for (const c of running) c.stop();
  await nginx?.stop();
  await server?.dispose();
});

function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { ca: nginx.ca, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).once('error', reject);
  });
}

test('the patient and the doctor chat through nginx over TLS', async () => {
  const ca = nginx.ca;
  class TrustingSocket extends WebSocket {
    constructor(url: string) {
      super(url, { ca });
    }
  }
  const open = async (account: typeof patient) => {
    const c = new ChatClient({
      url: nginx.url,
      token: await server.auth.issue(account),
      openSocket: (url, h) => openWebSocket(url, h, TrustingSocket as unknown as typeof globalThis.WebSocket),
    });
    running.push(c);
    return c.startSynced();
  };
  const [p, d] = [await open(patient), await open(doctor)];
  await p.controller.sendText(SESSION, '医生您好');
  await until(() => d.messages(SESSION).some((m) => m.body === '医生您好'), 'the doctor got it');
  await d.controller.sendText(SESSION, '请说');
  await until(() => p.messages(SESSION).some((m) => m.body === '请说'), 'the patient got it');
});

test('/metrics stays inside: nginx answers 404 even with the token, the process itself serves it', async () => {
  const auth = { authorization: `Bearer ${METRICS_TOKEN}` };
  expect(await status(`${nginx.url}/metrics`, auth)).toBe(404);
  expect((await fetch(`${server.url}/metrics`, { headers: auth })).status).toBe(200);
  expect(await status(`${nginx.url}/healthz`)).toBe(200);
});

test('an address is what nginx saw: a client claiming other addresses in X-Forwarded-For is still throttled as itself', async () => {
  const from = (i: number) => ({ ca: nginx.ca, headers: { 'x-forwarded-for': `203.0.113.${i}` } });
  for (let i = 0; i < 10; i++) await expectError(WsClient.loginWithToken(nginx, `forged.${i}.token`, from(i)), 'authFailed');
  await expectError(WsClient.loginWithToken(nginx, 'forged.10.token', from(10)), 'rateLimited');
});

test('new WebSockets from one address are limited: a burst past 200 gets 429 from nginx, and the address gets in again after it', async () => {
  const attempts = await Promise.all(
    Array.from({ length: 400 }, () =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${nginx.url.replace('https', 'wss')}/ws`, { ca: nginx.ca });
        ws.once('open', () => {
          ws.terminate();
          resolve(101);
        });
        ws.once('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.once('error', () => resolve(0));
      }),
    ),
  );
  const refused = attempts.filter((s) => s === 429).length;
  // Every attempt either got through or was refused by the limit; none failed otherwise.
  expect(attempts.filter((s) => s !== 101 && s !== 429)).toEqual([]);
  expect(refused).toBeGreaterThan(0);
  expect(attempts.filter((s) => s === 101).length).toBeGreaterThanOrEqual(200);
  // The limit refills at 20 a second: someone behind that address gets in again shortly.
  const token = await server.auth.issue(patient);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const c = await WsClient.loginWithToken(nginx, token, { ca: nginx.ca }).catch(() => undefined);
    if (c) {
      c.ws.close();
      break;
    }
    if (Date.now() > deadline) throw new Error('still refused 15 s after the burst');
    await new Promise((r) => setTimeout(r, 200));
  }
});
