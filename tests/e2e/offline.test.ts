/**
 * Offline and reload in the H5 build in Chromium: messages typed without a network go out in order
 * when it returns, a photo picked without one goes out too, and a reload while a message is still
 * sending neither loses nor doubles it; a photo waiting for the connection survives a reload too, and
 * kept files nothing waits for are swept after the next sign-in.
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Account } from '../../types/message';
import { DEMO } from '../../server/demo';
import { launchChromium } from '../helpers/browser';
import { png } from '../helpers/fixtures';
import { ARTIFACTS, openAs as open, send, startH5Server, synced, texts } from '../helpers/h5';
import type { TestServer } from '../helpers/server';

jest.setTimeout(120_000);

let server: TestServer;
let browser: Browser;

beforeEach(async () => {
  server = await startH5Server();
  browser = await launchChromium();
});

afterEach(async () => {
  await browser?.close();
  await server?.dispose();
});

async function openAs(account: Account, setup?: (c: BrowserContext) => Promise<void>): Promise<Page> {
  const page = await open(browser, server, account, { sessionId: `team-${DEMO.consultationId}`, setup });
  await synced(page);
  return page;
}

async function waitForCount(page: Page, n: number): Promise<void> {
  await page.waitForFunction((k) => document.querySelectorAll('.msg-text').length >= k, n, { timeout: 20_000 });
  // Long enough for a late duplicate to show up and be counted.
  await page.waitForTimeout(500);
}

test('three messages typed offline reach the doctor in order once the patient is back online', async () => {
  const patient = await openAs(DEMO.patient);
  const doctor = await openAs(DEMO.doctor);

  await patient.context().setOffline(true);
  await patient.waitForFunction(() => document.querySelector('.banner')?.textContent?.includes('网络不可用'));
  const typed = ['离线第一条', '离线第二条', '离线第三条'];
  for (const t of typed) await send(patient, t);
  expect(await texts(patient)).toEqual(typed);
  expect(await patient.$$eval('.msg-row.mine .msg-status', (els) => els.map((e) => e.textContent))).toEqual([
    '发送中',
    '发送中',
    '发送中',
  ]);
  await doctor.waitForTimeout(500);
  expect(await texts(doctor)).toEqual([]);

  await patient.context().setOffline(false);
  await waitForCount(doctor, 3);
  expect(await texts(doctor)).toEqual(typed);
  await patient.waitForFunction(() =>
    [...document.querySelectorAll('.msg-row.mine .msg-status')].every((e) => e.textContent !== '发送中'),
  );
  expect(await texts(patient)).toEqual(typed);
  await patient.screenshot({ path: join(ARTIFACTS, 'offline-patient.png') });
});

test('a photo picked offline waits as sending and reaches the doctor once the patient is back online', async () => {
  const patient = await openAs(DEMO.patient);
  const doctor = await openAs(DEMO.doctor);

  await patient.context().setOffline(true);
  await patient.waitForFunction(() => document.querySelector('.banner')?.textContent?.includes('网络不可用'));
  await patient.click('.more-toggle');
  const [chooser] = await Promise.all([patient.waitForEvent('filechooser'), patient.click('.more-item-image')]);
  await chooser.setFiles({ name: '皮疹.png', mimeType: 'image/png', buffer: await png(300, 200) });
  await patient.waitForSelector('.msg-row.mine .msg-image');
  // Its upload has been tried and found no network: it waits, not failed.
  await patient.waitForFunction(() => !document.querySelector('.upload-progress'));
  expect(await patient.textContent('.msg-row.mine .msg-status')).toBe('发送中');

  await patient.context().setOffline(false);
  await doctor.waitForFunction(() => {
    const img = document.querySelector('.msg-row.theirs .msg-image img') as HTMLImageElement | null;
    return Boolean(img && img.complete && img.naturalWidth > 0);
  }, undefined, { timeout: 20_000 });
  await patient.waitForFunction(() => document.querySelector('.msg-row.mine .msg-status')?.textContent !== '发送中');
  expect(await patient.textContent('.msg-row.mine .msg-status')).toMatch(/^(未读|已读)$/);
  expect(await doctor.$$('.msg-row.theirs .msg-image')).toHaveLength(1);
});

test('a reload while a message is still sending loses nothing and sends it once', async () => {
  // The route swallows the patient's send frames while `hold` is set: the message stays "sending".
  let hold = false;
  const patient = await openAs(DEMO.patient, (context) =>
    context.routeWebSocket(/\/ws$/, (ws) => {
      const upstream = ws.connectToServer();
      ws.onMessage((frame) => {
        if (hold && typeof frame === 'string' && frame.includes('"type":"send"')) return;
        upstream.send(frame);
      });
    }),
  );
  const doctor = await openAs(DEMO.doctor);

  hold = true;
  await send(patient, '刷新前还在发送的消息');
  await patient.waitForFunction(() => document.querySelector('.msg-row.mine .msg-status')?.textContent === '发送中');
  hold = false;
  await patient.reload();
  await synced(patient);

  await waitForCount(doctor, 1);
  expect(await texts(doctor)).toEqual(['刷新前还在发送的消息']);
  await waitForCount(patient, 1);
  expect(await texts(patient)).toEqual(['刷新前还在发送的消息']);
  await patient.waitForFunction(() => document.querySelector('.msg-row.mine .msg-status')?.textContent !== '发送中');
  const stored = await server.storage.history(`team-${DEMO.consultationId}`, undefined, 10);
  expect(stored.map((m) => m.body)).toEqual(['刷新前还在发送的消息']);
});

/** In the page: whether the files kept for uploads that wait (src/platform/keep.ts) number `n`. */
const keptFiles = (n: number): Promise<boolean> =>
  new Promise((resolve) => {
    const req = indexedDB.open('medchat-files');
    req.onsuccess = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('waiting')) return resolve(n === 0);
      const count = db.transaction('waiting').objectStore('waiting').count();
      count.onsuccess = () => resolve(count.result === n);
    };
  });

test('a photo picked without a connection survives a reload: it goes out, before the text typed after it', async () => {
  // While `down`, the socket is refused and uploads find no network, yet the page itself still loads.
  let down = false;
  const sockets: Array<{ close: () => Promise<void> }> = [];
  const patient = await openAs(DEMO.patient, async (context) => {
    await context.route(/\/api\/upload/, (route) => (down ? route.abort('internetdisconnected') : route.continue()));
    await context.routeWebSocket(/\/ws$/, (ws) => {
      if (down) return void ws.close();
      sockets.push(ws);
      ws.connectToServer();
    });
  });
  const doctor = await openAs(DEMO.doctor);

  down = true;
  for (const ws of sockets.splice(0)) await ws.close();
  await patient.waitForSelector('.banner', { state: 'visible' });
  await patient.click('.more-toggle');
  const [chooser] = await Promise.all([patient.waitForEvent('filechooser'), patient.click('.more-item-image')]);
  await chooser.setFiles({ name: '皮疹.png', mimeType: 'image/png', buffer: await png(300, 200) });
  await patient.waitForSelector('.msg-row.mine .msg-image');
  await patient.waitForFunction(() => !document.querySelector('.upload-progress'));
  await send(patient, '这是昨天拍的');
  await patient.waitForFunction(keptFiles, 1);

  down = false;
  await patient.reload();
  await synced(patient);
  await doctor.waitForFunction(() => document.querySelectorAll('.msg-row.theirs').length >= 2, undefined, { timeout: 20_000 });
  expect(await doctor.$$eval('.msg-row.theirs', (rows) => rows.map((r) => (r.querySelector('.msg-image') ? 'image' : r.querySelector('.msg-text')?.textContent)))).toEqual([
    'image',
    '这是昨天拍的',
  ]);
  const stored = await server.storage.history(`team-${DEMO.consultationId}`, undefined, 10);
  expect(stored.sort((a, b) => a.seq - b.seq).map((m) => m.type)).toEqual(['image', 'text']);
  // Uploaded, the kept copy is dropped.
  await patient.waitForFunction(keptFiles, 0);
});

/** In the page: puts a Blob where the keeper keeps one (src/platform/keep.ts), under `id`. */
const plantKept = (id: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const req = indexedDB.open('medchat-files', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('waiting');
    req.onsuccess = () => {
      const tx = req.result.transaction('waiting', 'readwrite');
      tx.objectStore('waiting').put(new Blob(['png']), id);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    };
  });

test('files kept for uploads that no waiting message refers to any more are removed after the next sign-in', async () => {
  const patient = await openAs(DEMO.patient);
  // The app was killed between sending a photo (its outbox entry gone) and dropping its copy; another
  // account that signed in on this browser left one whose message is gone too.
  await patient.evaluate(plantKept, `${DEMO.patient.account}~gone-1`);
  await patient.evaluate(plantKept, 'someone-else~gone-2');
  await patient.waitForFunction(keptFiles, 2);

  await patient.reload();
  await synced(patient);
  await patient.waitForFunction(keptFiles, 0);
});
