import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/**
 * What went wrong in the pages of every browser launched here since the last check: uncaught errors
 * and Content-Security-Policy violations. A test that merely waits for the screen it expects would
 * pass beside an uncaught error or a blocked script; each test is failed on them instead (below).
 */
const problems: string[] = [];

declare global {
  interface Window {
    __cspViolation?: (text: string) => void;
  }
}

async function watch(context: BrowserContext): Promise<BrowserContext> {
  context.on('page', (page) => page.on('pageerror', (e) => problems.push(`uncaught in ${page.url()}: ${e.stack ?? e.message}`)));
  await context.exposeFunction('__cspViolation', (text: string) => problems.push(`CSP violation: ${text}`));
  // Init scripts run in every document and frame before the page's own scripts, and CSP cannot stop them.
  await context.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolation?.(`${e.effectiveDirective} refused ${e.blockedURI} in ${e.documentURI}`),
    ),
  );
  return context;
}

/** Returns what went wrong in the pages since the last call, and forgets it. */
export function takePageProblems(): string[] {
  return problems.splice(0);
}

// Every test file that launches a browser through here gets the check after each of its tests (jest's
// globals are absent when a benchmark launches one).
if (typeof afterEach === 'function') afterEach(() => expect(takePageProblems()).toEqual([]));

/**
 * Debian's Chromium, headless, with no traffic beyond the pages we open; `extraArgs` e.g. fake media.
 * Every context it opens is watched for uncaught errors and CSP violations.
 */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ],
  });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => watch(await newContext(options));
  return browser;
}
