/**
 * The H5 page's Content-Security-Policy and anti-framing headers (issue 12, finding 8), in Chromium:
 * every answer carries them, a script the page did not ship does not run (and the shared browser
 * helper reports it, so any such violation fails an e2e test), and a page of another origin cannot
 * frame the signed-in chat. File downloads keep their own stricter policy.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { entryLink } from '../../server/api';
import { DEMO } from '../../server/demo';
import { takePageProblems } from '../helpers/browser';
import { png } from '../helpers/fixtures';
import { h5Suite, openAs, synced } from '../helpers/h5';
import { uploadAs } from '../helpers/upload';

jest.setTimeout(60_000);

const suite = h5Suite();

const directives = (csp: string | null) => new Map((csp ?? '').split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));

test('the page, its scripts and the API carry the CSP, X-Frame-Options DENY, nosniff and no-referrer', async () => {
  // The app's script by the content-hashed name index.html gives it.
  const app = /src="(\/js\/app\.[^"]+)"/.exec(await (await fetch(suite.server.url)).text())?.[1] ?? '/js/app.js';
  for (const path of ['/', app, '/api/health']) {
    const res = await fetch(`${suite.server.url}${path}`);
    expect(res.status).toBe(200);
    const csp = directives(res.headers.get('content-security-policy'));
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  }
  // The built page has nothing inline for the policy to refuse.
  const html = await (await fetch(suite.server.url)).text();
  expect(html.match(/<script(?![^>]*\ssrc=)[^>]*>/g)).toBeNull();
});

test('a downloaded file keeps its own stricter policy', async () => {
  const up = await uploadAs(suite.server, DEMO.patient, 'image', 'x.png', await png(8, 8));
  expect(up.status).toBe(200);
  const res = await fetch(new URL(up.body.url, suite.server.url));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
});

test('the signed-in chat runs under the policy, and a script it did not ship is refused and reported', async () => {
  const page = await openAs(suite.browser, suite.server, DEMO.patient, { sessionId: `team-${DEMO.consultationId}` });
  await synced(page);
  const ran = await page.evaluate(async () => {
    const w = window as unknown as { injected?: boolean };
    const s = document.createElement('script');
    s.textContent = 'window.injected = true';
    document.head.append(s);
    await new Promise((r) => setTimeout(r, 200));
    return w.injected === true;
  });
  expect(ran).toBe(false);
  // What the helper would fail this test with: the refusal, seen in the page.
  await page.waitForTimeout(200);
  expect(takePageProblems()).toEqual([expect.stringMatching(/^CSP violation: script-src-elem refused inline in http/)]);
});

describe('framing', () => {
  let other: Server;
  let otherUrl: string;
  beforeAll(async () => {
    // Another origin (another port) whose page frames the SMS link.
    const link = await entryLink(suite.server.url, suite.server.auth, DEMO.patient, `team-${DEMO.consultationId}`);
    other = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><iframe id="victim" src="${link}" width="390" height="700"></iframe>`);
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((r) => other.close(() => r())));

  /** Opens the other origin's page; resolves whether the framed chat came up within a few seconds. */
  async function chatShownInFrame(page: Page): Promise<boolean> {
    await page.goto(otherUrl);
    const frame = page.frameLocator('#victim');
    return frame
      .locator('.chat, .entry')
      .first()
      .waitFor({ timeout: 5_000 })
      .then(() => true)
      .catch(() => false);
  }

  test('a page of another origin cannot frame the chat', async () => {
    const page = await (await suite.browser.newContext()).newPage();
    expect(await chatShownInFrame(page)).toBe(false);
    await page.context().close();
  });

  test('(control) the same page does frame it once the two headers are taken off', async () => {
    const context = await suite.browser.newContext();
    await context.route(`${suite.server.url}/**`, async (route) => {
      const response = await route.fetch();
      const headers = { ...response.headers() };
      delete headers['x-frame-options'];
      headers['content-security-policy'] = (headers['content-security-policy'] ?? '').replace("frame-ancestors 'none'", 'frame-ancestors *');
      return route.fulfill({ response, headers });
    });
    const page = await context.newPage();
    expect(await chatShownInFrame(page)).toBe(true);
    // The framed chat keeps making requests; one still in the route when the context closes would fail.
    await context.unrouteAll({ behavior: 'ignoreErrors' });
    await context.close();
  });
});
