/**
 * The H5 build in Chromium: a 10,000-message chat against a 30-message one, on the same server in the
 * same run. Time from opening the SMS link to the newest message on screen, DOM elements, and frame
 * times while the reader scrolls up through history (loading older pages as it goes).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { buildApp, ROOT } from './build';
import { DEMO } from '../server/demo';
import { launchChromium } from '../tests/helpers/browser';
import { openAs, startH5Server } from '../tests/helpers/h5';
import { seedLongChat } from '../tests/helpers/long-chat';
import type { TestServer } from '../tests/helpers/server';

const SCROLL_MS = 3_000;

interface Run {
  firstRenderMs: number;
  domNodes: number;
  frameP50: number;
  frameP95: number;
  frames: number;
}

/**
 * Scrolls the list up a little every frame for `ms` and resolves with the frame intervals. A string:
 * tsx's name helpers would not exist in the page.
 */
const scrollScript = (ms: number) => `new Promise((done) => {
  const list = document.getElementById('msg-list');
  const times = [];
  const end = performance.now() + ${ms};
  const step = (t) => {
    times.push(t);
    list.scrollBy({ top: -120 });
    if (t < end) requestAnimationFrame(step);
    else done(times.slice(1).map((x, i) => x - times[i]));
  };
  requestAnimationFrame(step);
})`;

async function measure(browser: Browser, server: TestServer, sessionId: string, newest: string): Promise<Run> {
  const started = Date.now();
  const page = await openAs(browser, server, DEMO.patient, { sessionId });
  await page.waitForSelector(`text=${newest}`);
  const firstRenderMs = Date.now() - started;
  const frames = (await page.evaluate(scrollScript(SCROLL_MS))) as number[];
  const domNodes = await page.evaluate(() => document.getElementsByTagName('*').length);
  await page.context().close();
  const sorted = frames.sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { firstRenderMs, domNodes, frameP50: q(0.5), frameP95: q(0.95), frames: frames.length };
}

export async function benchH5(): Promise<string[]> {
  if (!buildApp('h5') || !existsSync(resolve(ROOT, 'dist/h5/index.html'))) return ['h5: build failed (npm run build:h5)'];
  const server = await startH5Server();
  const browser = await launchChromium();
  try {
    const long = await seedLongChat(server.storage, 'bench-long', 10_000);
    const short = await seedLongChat(server.storage, 'bench-short', 30);
    const s = await measure(browser, server, short, '第30条');
    const l = await measure(browser, server, long, '第10000条');
    const r = (a: number, b: number) => (a / b).toFixed(2);
    return [
      `h5 10,000-message chat vs 30-message chat (Chromium): first render ${l.firstRenderMs} ms vs ${s.firstRenderMs} ms (ratio ${r(l.firstRenderMs, s.firstRenderMs)}); ` +
        `DOM elements after scrolling ${l.domNodes} vs ${s.domNodes} (ratio ${r(l.domNodes, s.domNodes)}); ` +
        `scrolling up ${SCROLL_MS / 1000} s: frame p50 ${l.frameP50.toFixed(1)} ms, p95 ${l.frameP95.toFixed(1)} ms vs p50 ${s.frameP50.toFixed(1)}, p95 ${s.frameP95.toFixed(1)} (p95 ratio ${r(l.frameP95, s.frameP95)})`,
    ];
  } finally {
    await browser.close();
    await server.dispose();
  }
}
