/**
 * A 10,000-message chat in the H5 build in Chromium: the DOM stays bounded however far back the reader
 * goes, loading older history keeps the top visible message exactly where it was, and messages that
 * arrive while the reader is scrolled up wait behind a "new messages" button. After a jump far back the
 * list holds the target's neighbourhood, widening both ways in place, until 回到最新.
 */
import type { Page } from 'playwright-core';
import { DEMO } from '../../server/demo';
import { WINDOW } from '../../src/render/window';
import { h5Suite, openAs, send, synced } from '../helpers/h5';
import { seedLongChat } from '../helpers/long-chat';
import { WsClient } from '../helpers/ws-client';

jest.setTimeout(120_000);

const suite = h5Suite();
const LONG = 'long-chat';
const SESSION = `team-${LONG}`;
const TOTAL = 10_000;

beforeAll(() => seedLongChat(suite.server.storage, LONG, TOTAL));

type End = 'top' | 'bottom';

/** The message row nearest to one end of the list's viewport that is inside it, and where it is. */
const visibleAt = (page: Page, end: End) =>
  page.evaluate((end) => {
    const list = document.getElementById('msg-list') as HTMLElement;
    const box = list.getBoundingClientRect();
    const all = [...list.querySelectorAll<HTMLElement>('.msg-row')];
    const row =
      end === 'top'
        ? all.find((r) => r.getBoundingClientRect().bottom > box.top + 1)
        : all.reverse().find((r) => r.getBoundingClientRect().top < box.bottom - 1);
    return row ? { id: row.id, y: row.getBoundingClientRect().top } : undefined;
  }, end);
const topVisible = (page: Page) => visibleAt(page, 'top');

const rows = (page: Page) => page.$$eval('.msg-row', (els) => els.length);
/** The number of the rendered message at one end ("第N条"). */
const seqAt = (page: Page, end: End) =>
  page.$$eval('.msg-row .msg-text', (els, end) => Number((els[end === 'top' ? 0 : els.length - 1]?.textContent ?? '').replace(/\D/g, '')), end);

/**
 * Scrolls the list to one end and waits for messages beyond the one rendered there: the row the reader
 * saw at that end stays exactly where it was, and the DOM stays bounded. Returns the new end's number.
 */
async function widensInPlace(page: Page, end: End): Promise<number> {
  const edge = await seqAt(page, end);
  await page.$eval('#msg-list', (el, end) => el.scrollTo({ top: end === 'top' ? 0 : el.scrollHeight }), end);
  await page.waitForTimeout(50);
  const before = await visibleAt(page, end);
  expect(before).toBeDefined();
  await page.waitForFunction(
    ([end, edge]) => {
      const els = document.querySelectorAll('.msg-row .msg-text');
      const n = Number((els[end === 'top' ? 0 : els.length - 1]?.textContent ?? '').replace(/\D/g, ''));
      return end === 'top' ? n < (edge as number) : n > (edge as number);
    },
    [end, edge] as const,
  );
  await page.waitForTimeout(300);
  const after = await page.evaluate((id) => document.getElementById(id)?.getBoundingClientRect().top, before?.id as string);
  expect(after).toBeDefined();
  expect(Math.abs((after as number) - (before?.y as number))).toBeLessThanOrEqual(1);
  expect(await rows(page)).toBeLessThanOrEqual(WINDOW.max);
  return seqAt(page, end);
}

async function open(): Promise<Page> {
  const page = await openAs(suite.browser, suite.server, DEMO.patient, { sessionId: SESSION });
  await synced(page);
  await page.waitForSelector(`text=第${TOTAL}条`);
  return page;
}

test('opening a 10,000-message chat renders a bounded window, and older pages keep the top message in place', async () => {
  const page = await open();
  // It opens at the newest message.
  await page.waitForFunction(() => {
    const el = document.getElementById('msg-list') as HTMLElement;
    return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  });
  expect(await rows(page)).toBeLessThanOrEqual(WINDOW.max);
  let oldest = await seqAt(page, 'top');
  // Older messages enter above the reader, who stays where they were.
  for (let load = 0; load < 12; load++) oldest = await widensInPlace(page, 'top');
  // Twelve pages back and the DOM holds no more than the window.
  expect(oldest).toBeLessThan(TOTAL - 300);
});

test('messages arriving while the reader is scrolled up wait behind a button and do not move the list', async () => {
  const page = await open();
  await page.$eval('#msg-list', (el) => el.scrollBy({ top: -400 }));
  await page.waitForTimeout(300);
  // Scrolled again: the list's scroll position prop was set when it stopped following, not here.
  await page.$eval('#msg-list', (el) => el.scrollBy({ top: -300 }));
  await page.waitForTimeout(300);
  const before = await topVisible(page);
  const doctor = await WsClient.login(suite.server, DEMO.doctor);
  for (const [i, body] of ['新消息一', '新消息二'].entries()) {
    await doctor.request('send', { msg: { scene: 'team', to: LONG, type: 'text', body, idClient: `late-message-${i}` } });
  }
  await page.waitForSelector('.msg-new');
  expect(await page.textContent('.msg-new')).toBe('2条新消息 ↓');
  const after = await page.evaluate((id) => document.getElementById(id)?.getBoundingClientRect().top, before?.id as string);
  expect(after).toBe(before?.y);
  await page.click('.msg-new');
  await page.waitForSelector('text=新消息二');
  await page.waitForFunction(() => !document.querySelector('.msg-new'));
  const list = await page.$eval('#msg-list', (el) => el.scrollHeight - el.scrollTop - el.clientHeight);
  expect(list).toBeLessThan(80);
  doctor.close();
});

/** Far enough back that the span is detached around it (src/store/span.ts SPAN.max). */
const OLD = TOTAL - 3_000;

/** The doctor replies to message `seq` and the reader taps the quote: the list lands there, detached. */
async function jumpFarBack(page: Page, doctor: WsClient, idClient: string, seq = OLD): Promise<void> {
  await doctor.request('send', {
    msg: { scene: 'team', to: LONG, type: 'text', body: '关于很早那条', idClient, replyTo: { idClient: `seed-${LONG}-${seq}`, seq } },
  });
  const quote = page.locator(`#m-${idClient} .msg-quote`);
  await quote.waitFor();
  await quote.click();
  await page.waitForSelector(`#m-seed-${LONG}-${seq}.msg-flash`);
  await page.waitForFunction((id) => {
    const row = document.getElementById(id)?.getBoundingClientRect();
    const list = document.getElementById('msg-list')?.getBoundingClientRect();
    return Boolean(row && list && row.bottom > list.top && row.top < list.bottom);
  }, `m-seed-${LONG}-${seq}`);
  // The newer messages are not in the list: it offers the way back instead of counting them.
  expect(await page.textContent('.msg-new')).toBe('回到最新 ↓');
}

const atTheEnd = (page: Page) =>
  page.waitForFunction(() => {
    const el = document.getElementById('msg-list') as HTMLElement;
    return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  });

test('a jump far back holds the target’s neighbourhood: a live message does not move it, scrolling widens it both ways in place, 回到最新 returns', async () => {
  const page = await open();
  const doctor = await WsClient.login(suite.server, DEMO.doctor);
  try {
    await jumpFarBack(page, doctor, 'deep-reply');
    // Scrolled a little by hand once the jump settled: the list's last set position is no longer where
    // the reader is, and a render of the list would take them back there.
    await page.waitForTimeout(400);
    await page.$eval('#msg-list', (el) => el.scrollBy({ top: -150 }));
    await page.waitForTimeout(100);
    const before = await topVisible(page);
    await doctor.request('send', { msg: { scene: 'team', to: LONG, type: 'text', body: '跳转后的新消息', idClient: 'deep-live' } });
    await page.waitForTimeout(300);
    expect(await page.evaluate((id) => document.getElementById(id)?.getBoundingClientRect().top, before?.id as string)).toBe(before?.y);
    expect(await page.$('#m-deep-live')).toBeNull();

    let newest = await seqAt(page, 'bottom');
    for (let load = 0; load < 4; load++) newest = await widensInPlace(page, 'bottom');
    expect(newest).toBeGreaterThan(OLD + 100);
    await widensInPlace(page, 'top');

    await page.click('.msg-new');
    await page.waitForSelector('#m-deep-live');
    await page.waitForFunction(() => !document.querySelector('.msg-new'));
    await atTheEnd(page);
    expect(await rows(page)).toBeLessThanOrEqual(WINDOW.max);
  } finally {
    doctor.close();
  }
});

test('one’s own message sent after a jump far back brings the list back to the newest, where it shows', async () => {
  const page = await open();
  const doctor = await WsClient.login(suite.server, DEMO.doctor);
  try {
    await jumpFarBack(page, doctor, 'deep-reply-2');
    await send(page, '看完了，回到最新');
    await page.waitForSelector('.msg-row.mine:has-text("看完了，回到最新")');
    await page.waitForFunction(() => !document.querySelector('.msg-new'));
    await atTheEnd(page);
  } finally {
    doctor.close();
  }
});

test('scrolling down from a jump far back reaches the newest, live messages included, and the list follows new ones again', async () => {
  const page = await open();
  const doctor = await WsClient.login(suite.server, DEMO.doctor);
  try {
    // Just past SPAN.max back: a thousand messages to scroll down through.
    await jumpFarBack(page, doctor, 'deep-reply-3', TOTAL - 1_050);
    await doctor.request('send', { msg: { scene: 'team', to: LONG, type: 'text', body: '滚动途中的新消息', idClient: 'deep-live-3' } });
    // The list's edges are not acted on until the jump has settled (MessageList JUMP_SETTLE_MS).
    await page.waitForTimeout(400);
    for (let i = 0; i < 100 && !(await page.$('#m-deep-live-3')); i++) {
      await page.$eval('#msg-list', (el) => el.scrollTo({ top: el.scrollHeight }));
      await page.waitForTimeout(250);
      expect(await rows(page)).toBeLessThanOrEqual(WINDOW.max);
    }
    await page.$eval('#msg-list', (el) => el.scrollTo({ top: el.scrollHeight }));
    await page.waitForFunction(() => !document.querySelector('.msg-new'));
    await doctor.request('send', { msg: { scene: 'team', to: LONG, type: 'text', body: '到底之后的新消息', idClient: 'deep-live-4' } });
    await page.waitForSelector('#m-deep-live-4');
    await atTheEnd(page);
  } finally {
    doctor.close();
  }
});
