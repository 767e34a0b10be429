/**
 * H5 first load: from opening the SMS link to the chat's composer (its input enabled), in Chromium
 * with CDP network emulation (RTT 150 ms, 1.6 Mbps down, 750 kbps up) and CPU throttling ×4; a first
 * visit (empty cache) and a repeat visit (same context, cache kept, a fresh one-time link), with the
 * bytes on the wire (Network.loadingFinished encodedDataLength: headers and bodies of HTTP responses;
 * WebSocket frames are not counted). The floor: a static page with only a composer, served by a tiny
 * local HTTP server and measured the same way.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { buildApp, ROOT } from './build';
import { entryLink } from '../server/api';
import { DEMO } from '../server/demo';
import { launchChromium } from '../tests/helpers/browser';
import { startH5Server } from '../tests/helpers/h5';
import { sessionIdOf } from '../types/message';

const PROFILE = { latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8, cpu: 4 };
const COMPOSER = '.input-field input:not([disabled]), .input-field textarea:not([disabled])';

const FLOOR_HTML = `<!doctype html><html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>问诊</title>
<style>body{margin:0;font:16px sans-serif}.input-field{position:fixed;bottom:0;left:0;right:0;display:flex;padding:8px;border-top:1px solid #ddd}.input-field input{flex:1;padding:8px}</style></head>
<body><div class="input-field"><input placeholder="输入消息"><button>发送</button></div></body></html>`;

/**
 * Notes, in the page, the first animation frame in which the composer is enabled and has a box (what
 * Playwright calls visible): that frame paints it. Playwright's waitForSelector answers from outside the
 * throttled page, and while the page handles the sync that follows sign-in its answer came 300–500 ms
 * after that frame, so it is printed beside as "seen", not taken as the time. A string, not a function:
 * tsx would wrap a function's inner functions in a helper the page does not have.
 */
const PAINT_PROBE = `(() => {
  const look = () => {
    const el = document.querySelector(${JSON.stringify(COMPOSER)});
    const box = el && el.getBoundingClientRect();
    if (box && box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden') {
      window.__composerPaintedAt = Date.now();
    } else requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})()`;

interface Visit {
  /** From asking for the page to the frame that first shows the composer. */
  ms: number;
  /** When Playwright's waitForSelector answered. */
  seenMs: number;
  /** Content-Encoding of the responses that had one (br, gzip…). */
  encodings: string[];
  bytes: number;
  requests: number;
}

async function throttle(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: PROFILE.latency,
    downloadThroughput: PROFILE.downloadThroughput,
    uploadThroughput: PROFILE.uploadThroughput,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: PROFILE.cpu });
  return cdp;
}

async function visit(page: Page, cdp: CDPSession, url: string): Promise<Visit> {
  let bytes = 0;
  let requests = 0;
  const onDone = (e: { encodedDataLength: number }) => {
    bytes += e.encodedDataLength;
    requests++;
  };
  const encodings = new Set<string>();
  const onResponse = (e: { response: { headers: Record<string, string> } }) => {
    const enc = Object.entries(e.response.headers).find(([k]) => k.toLowerCase() === 'content-encoding')?.[1];
    if (enc) encodings.add(enc);
  };
  cdp.on('Network.loadingFinished', onDone);
  cdp.on('Network.responseReceived', onResponse);
  // The wall clock, which the browser's processes and this one read alike (their monotonic clocks'
  // origins differ).
  const started = Date.now();
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForSelector(COMPOSER, { timeout: 60_000 });
  const seenMs = Date.now() - started;
  const painted = await page.waitForFunction('window.__composerPaintedAt').then((h) => h.jsonValue() as Promise<number>);
  const ms = painted - started;
  // Whatever the page still loads after the composer shows (lazy chunks, fonts) counts as the visit's.
  await page.waitForLoadState('networkidle').catch(() => undefined);
  cdp.off('Network.loadingFinished', onDone);
  cdp.off('Network.responseReceived', onResponse);
  return { ms, seenMs, bytes, requests, encodings: [...encodings] };
}

async function firstAndRepeat(browser: Browser, first: () => Promise<string>, again: () => Promise<string>): Promise<[Visit, Visit]> {
  const context = await browser.newContext({ viewport: { width: 390, height: 760 } });
  await context.addInitScript(PAINT_PROBE);
  try {
    const page = await context.newPage();
    const cdp = await throttle(page);
    const a = await visit(page, cdp, await first());
    await page.goto('about:blank');
    const b = await visit(page, cdp, await again());
    return [a, b];
  } finally {
    await context.close();
  }
}

async function floorServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', etag: '"floor"' });
    res.end(FLOOR_HTML);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}/` };
}

const RUNS = Number(process.env.H5_RUNS ?? 3);

/** The visit with the median time (of an even count, the later of the middle two). */
function median(runs: Array<[Visit, Visit]>, k: 0 | 1): Visit {
  const sorted = runs.map((r) => r[k]).sort((a, b) => a.ms - b.ms);
  return sorted[Math.floor(sorted.length / 2)];
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const line = (v: Visit) => `${Math.round(v.ms)} ms (seen ${Math.round(v.seenMs)}), ${kib(v.bytes)} in ${v.requests} responses${v.encodings.length ? ` (${v.encodings.join(', ')})` : ''}`;

export async function benchH5FirstLoad(): Promise<string[]> {
  if (!buildApp('h5') || !existsSync(resolve(ROOT, 'dist/h5/index.html'))) return ['h5 first load: build failed (npm run build:h5)'];
  const server = await startH5Server();
  const floor = await floorServer();
  const browser = await launchChromium();
  try {
    const link = () => entryLink(server.url, server.auth, DEMO.patient, sessionIdOf('team', DEMO.consultationId));
    const floorUrl = async () => floor.url;
    // The machine's own speed drifts from run to run (the floor moved by half within an hour): the app and
    // the floor alternate, and the row gives the median of each with every run.
    const app: Array<[Visit, Visit]> = [];
    const base: Array<[Visit, Visit]> = [];
    for (let i = 0; i < RUNS; i++) {
      app.push(await firstAndRepeat(browser, link, link));
      base.push(await firstAndRepeat(browser, floorUrl, floorUrl));
    }
    const [first, repeat, floorFirst, floorRepeat] = [median(app, 0), median(app, 1), median(base, 0), median(base, 1)];
    const all = (runs: Array<[Visit, Visit]>, k: 0 | 1) => runs.map((r) => Math.round(r[k].ms).toLocaleString('en')).join(' / ');
    return [
      `h5 first load, SMS link → first frame with the composer enabled (Chromium, RTT ${PROFILE.latency} ms, 1.6 Mbps down, 750 kbps up, CPU ×${PROFILE.cpu}; median of ${RUNS} runs): ` +
        `first visit ${line(first)}; repeat visit ${line(repeat)}; ` +
        `floor (static composer page) first ${line(floorFirst)}, repeat ${line(floorRepeat)}; ` +
        `first visit ${(first.ms / floorFirst.ms).toFixed(1)}× the floor's time; ` +
        `first visits ${all(app, 0)} ms, repeat ${all(app, 1)} ms; the floor's ${all(base, 0)} and ${all(base, 1)} ms`,
    ];
  } finally {
    await browser.close();
    await new Promise((r) => floor.server.close(r));
    await server.dispose();
  }
}

if (process.argv[1]?.endsWith('h5-first-load.ts')) {
  benchH5FirstLoad().then(
    (rows) => rows.forEach((r) => console.log(r)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
