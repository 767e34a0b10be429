/** Driving the H5 build in Chromium: the demo server it talks to, and what a person does on a page. */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Account } from '../../types/message';
import { entryLink } from '../../server/api';
import { seedDemo } from '../../server/demo';
import { launchChromium } from './browser';
import { startTestServer, type TestServer } from './server';

const ROOT = resolve(__dirname, '../..');
export const ARTIFACTS = join(ROOT, 'test-results');

/** A real server serving the built H5 app, with the demo doctor, patient and consultation. */
export async function startH5Server(): Promise<TestServer> {
  const server = await startTestServer({ staticDir: join(ROOT, 'dist/h5') });
  await seedDemo(server.storage);
  return server;
}

/**
 * The hooks of a Chromium suite: before all tests a demo server serving the H5 build and a browser,
 * after all both closed. Read `server` and `browser` inside tests (they exist from beforeAll on).
 */
export function h5Suite(): { readonly server: TestServer; readonly browser: Browser } {
  const suite = {} as { server: TestServer; browser: Browser };
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    suite.server = await startH5Server();
    suite.browser = await launchChromium();
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.server?.dispose();
  });
  return suite;
}

/**
 * Opens the SMS-style link of `account` in a fresh context (uncaught errors and CSP violations in it
 * fail the test: helpers/browser.ts).
 */
export async function openAs(
  browser: Browser,
  server: TestServer,
  account: Account,
  opts: { sessionId?: string; setup?: (c: BrowserContext) => Promise<void> } = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 390, height: 760 } });
  await opts.setup?.(context);
  const page = await context.newPage();
  await page.goto(await entryLink(server.url, server.auth, account, opts.sessionId));
  return page;
}

/** The input is enabled and no connection banner is shown. */
export async function synced(page: Page): Promise<void> {
  await page.waitForSelector('.input-field input:not([disabled])');
  await page.waitForFunction(() => !document.querySelector('.banner'), undefined, { timeout: 15_000 });
}

export async function send(page: Page, text: string, via: 'click' | 'enter' = 'click'): Promise<void> {
  const input = page.locator('.input-field input');
  await input.fill(text);
  if (via === 'enter') await input.press('Enter');
  else await page.locator('.input-send').click();
}

export const texts = (page: Page) => page.$$eval('.msg-text', (els) => els.map((e) => e.textContent ?? ''));
