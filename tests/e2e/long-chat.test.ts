/**
 * A 10,000-message chat in the H5 build in Chromium: the DOM stays bounded however far back the reader
 * goes, loading older history keeps the top visible message exactly where it was, and messages that
 * arrive while the reader is scrolled up wait behind a "new messages" button.
 */
import type { Page } from 'playwright-core';
import { DEMO } from '../../server/demo';
import { WINDOW } from '../../src/render/window';
import { h5Suite, openAs, synced } from '../helpers/h5';
import { seedLongChat } from '../helpers/long-chat';
import { WsClient } from '../helpers/ws-client';

jest.setTimeout(120_000);

const suite = h5Suite();
const LONG = 'long-chat';
const SESSION = `team-${LONG}`;
const TOTAL = 10_000;

beforeAll(() => seedLongChat(suite.server.storage, LONG, TOTAL));

/** The first message row whose lower edge is inside the list's viewport, and where it is. */
const topVisible = (page: Page) =>
  page.evaluate(() => {
    const list = document.getElementById('msg-list') as HTMLElement;
    const top = list.getBoundingClientRect().top;
    const row = [...list.querySelectorAll<HTMLElement>('.msg-row')].find((r) => r.getBoundingClientRect().bottom > top + 1);
    return row ? { id: row.id, text: row.querySelector('.msg-text')?.textContent ?? '', y: row.getBoundingClientRect().top } : undefined;
  });

const rows = (page: Page) => page.$$eval('.msg-row', (els) => els.length);
const firstText = (page: Page) => page.$eval('.msg-row .msg-text', (el) => el.textContent ?? '');

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
  let oldest = Number((await firstText(page)).replace(/\D/g, ''));
  for (let load = 0; load < 12; load++) {
    await page.$eval('#msg-list', (el) => el.scrollTo({ top: 0 }));
    await page.waitForTimeout(50);
    const before = await topVisible(page);
    expect(before).toBeDefined();
    // Older messages enter above the reader, who stays where they were.
    await page.waitForFunction((n) => Number((document.querySelector('.msg-row .msg-text')?.textContent ?? '').replace(/\D/g, '')) < n, oldest);
    await page.waitForTimeout(300);
    const after = await page.evaluate((id) => document.getElementById(id)?.getBoundingClientRect().top, before?.id as string);
    expect(after).toBeDefined();
    expect(Math.abs((after as number) - (before?.y as number))).toBeLessThanOrEqual(1);
    oldest = Number((await firstText(page)).replace(/\D/g, ''));
    expect(await rows(page)).toBeLessThanOrEqual(WINDOW.max);
  }
  // Twelve pages back and the DOM holds no more than the window.
  expect(oldest).toBeLessThan(TOTAL - 300);
});

test('messages arriving while the reader is scrolled up wait behind a button and do not move the list', async () => {
  const page = await open();
  await page.$eval('#msg-list', (el) => el.scrollBy({ top: -400 }));
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
