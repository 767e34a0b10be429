/**
 * The NIM build of the H5 page (IM_PROVIDER=nim) in Chromium: after the SMS-link login it fetches the
 * NIM token from our server (which gets it from a stub of NetEase's server API), loads the browser SDK
 * as a separate chunk, and the SDK starts signing in to NetEase with that app key and account, without
 * usage statistics. NetEase
 * cannot be reached from here, so every request off this machine is recorded and refused.
 */
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { DEMO, seedDemo } from '../../server/demo';
import { launchChromium } from '../helpers/browser';
import { until } from '../helpers/chat-client';
import { openAs } from '../helpers/h5';
import { APP_KEY, APP_SECRET, startNimStub } from '../helpers/nim-stub';
import { startTestServer, type TestServer } from '../helpers/server';

jest.setTimeout(60_000);

let server: TestServer;
let stub: Awaited<ReturnType<typeof startNimStub>>;
let browser: Browser;

beforeAll(async () => {
  stub = await startNimStub();
  server = await startTestServer({
    staticDir: join(resolve(__dirname, '../..'), 'dist/h5-nim'),
    nim: { appKey: APP_KEY, appSecret: APP_SECRET, apiUrl: stub.url },
  });
  await seedDemo(server.storage);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
  await stub?.close();
});

test('the NIM build gets its token from our server, loads the SDK lazily and signs in to NetEase with it', async () => {
  const offMachine: string[] = [];
  const scripts: string[] = [];
  const page = await openAs(browser, server, DEMO.patient, {
    sessionId: `team-${DEMO.consultationId}`,
    setup: async (context) => {
      await context.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => {
        offMachine.push(route.request().url());
        return route.abort();
      });
      context.on('request', (r) => {
        if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
      });
    },
  });
  await page.waitForFunction(() => document.querySelector('.chat') !== null);
  // The credentials came from our server, which asked NetEase's server API (the stub) for them.
  await until(() => stub.calls.length > 0, 'a token from NetEase’s server API', 15_000);
  expect(stub.calls[0].params.get('accid')).toBe(DEMO.patient.account);
  // The SDK, in its own chunk, then tries NetEase with the app key and account it was given.
  const signIn = (u: string) => u.startsWith('https://lbs.netease.im/') && u.includes(`k=${APP_KEY}`) && u.includes(`id=${DEMO.patient.account}`);
  await until(() => offMachine.some(signIn), `NetEase's LBS asked with the app key and account (seen: ${offMachine.join(' ')})`, 15_000);
  // Usage statistics are switched off: nothing goes to NetEase's reporting servers.
  expect(offMachine.filter((u) => u.includes('statistic'))).toEqual([]);
  expect(scripts.some((p) => p.startsWith('/chunk/'))).toBe(true);
  const initial = await page.$$eval('script[src]', (els) => els.map((e) => (e as HTMLScriptElement).src));
  expect(initial.some((src) => src.includes('/chunk/'))).toBe(false);
  // Not reachable: the page says so instead of failing.
  await page.waitForSelector('.banner');
});
