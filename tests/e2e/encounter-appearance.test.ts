/**
 * 大字 and dark mode in the H5 build (issue 17): the 大字 switch in 设置 enlarges the text of every page
 * (kept across a reload), and the system's dark scheme darkens the pages' colours, the chat kit's
 * parts (presence, quotes) included.
 */
import type { Page } from 'playwright-core';
import { DEMO } from '../../server/demo';
import { h5Suite, openAs, send, synced } from '../helpers/h5';

jest.setTimeout(120_000);

const suite = h5Suite();

const fontPx = (page: Page, selector: string) =>
  page.$eval(selector, (el) => parseFloat(getComputedStyle(el).fontSize));
const background = (page: Page, selector: string) => page.$eval(selector, (el) => getComputedStyle(el).backgroundColor);
/** Relative luminance-ish brightness of an `rgb(r, g, b)` colour, 0–255. */
const brightness = (rgb: string) => {
  const [r, g, b] = (rgb.match(/\d+/g) ?? []).map(Number);
  return (r * 299 + g * 587 + b * 114) / 1000;
};

test('大字 in 设置 enlarges the text of the list and stays on after a reload', async () => {
  const page = await openAs(suite.browser, suite.server, DEMO.doctor);
  await page.waitForSelector('.sessions .session-name', { state: 'visible' });
  const standard = await fontPx(page, '.sessions .session-name');

  await page.click('.sessions-settings');
  await page.waitForSelector('.settings-large-text', { state: 'visible' });
  const settingStandard = await fontPx(page, '.settings-large-text');
  await page.click('.settings-large-text-switch');
  await page.waitForSelector('.settings.text-large');
  expect(await fontPx(page, '.settings-large-text')).toBeGreaterThan(settingStandard * 1.2);

  await page.goBack();
  await page.waitForSelector('.sessions.text-large .session-name', { state: 'visible' });
  const large = await fontPx(page, '.sessions.text-large .session-name');
  expect(large).toBeGreaterThan(standard * 1.2);

  await page.reload();
  await page.waitForSelector('.sessions .session-name', { state: 'visible' });
  expect(await fontPx(page, '.sessions .session-name')).toBeCloseTo(large, 1);
});

test('the system dark scheme darkens the page background and lightens the text', async () => {
  const page = await openAs(suite.browser, suite.server, DEMO.doctor);
  await page.waitForSelector('.sessions .session-item', { state: 'visible' });
  const light = { page: await background(page, '.sessions'), item: await background(page, '.session-item') };
  expect(brightness(light.page)).toBeGreaterThan(200);

  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = { page: await background(page, '.sessions'), item: await background(page, '.session-item') };
  expect(brightness(dark.page)).toBeLessThan(50);
  expect(brightness(dark.item)).toBeLessThan(60);
  const text = await page.$eval('.session-name', (el) => getComputedStyle(el).color);
  expect(brightness(text)).toBeGreaterThan(180);
});

test('in the dark scheme the chat kit parts are dark too: the presence line, the quote being written and a quote in the list', async () => {
  const session = `team-${DEMO.consultationId}`;
  const doctor = await openAs(suite.browser, suite.server, DEMO.doctor, { sessionId: session });
  await synced(doctor);
  await send(doctor, '请问哪里不舒服？');
  const patient = await openAs(suite.browser, suite.server, DEMO.patient, { sessionId: session });
  await patient.emulateMedia({ colorScheme: 'dark' });
  await synced(patient);
  await patient.waitForSelector('.chat-presence');
  // 引用 from the long-press menu (Taro's H5 View fires longpress from a held touch).
  await patient.locator('.msg-row.theirs .msg-bubble').dispatchEvent('touchstart');
  await patient.click('.taro-actionsheet__cell:has-text("引用")');
  await patient.waitForSelector('.composer-quote');
  const writing = await background(patient, '.composer-quote');
  await send(patient, '胃不舒服');
  await patient.waitForSelector('.msg-row.mine .msg-quote');

  expect(brightness(await background(patient, '.chat-presence'))).toBeLessThan(60);
  expect(brightness(writing)).toBeLessThan(60);
  expect(brightness(await background(patient, '.msg-row.mine .msg-quote'))).toBeLessThan(60);
  const quoteText = await patient.$eval('.msg-row.mine .msg-quote', (el) => getComputedStyle(el).color);
  expect(brightness(quoteText)).toBeGreaterThan(120);
});

test('大字 enlarges the chat’s 发送 and keeps its label in the middle of the taller button', async () => {
  const page = await openAs(suite.browser, suite.server, DEMO.patient, { sessionId: `team-${DEMO.consultationId}` });
  await synced(page);
  const standard = await fontPx(page, '.input-send');
  const chat = page.url();
  await page.goto(chat.replace(/#.*/, '#/pages/settings/index'));
  await page.click('.settings-large-text-switch');
  await page.waitForSelector('.settings.text-large');
  await page.goto(chat);
  await page.waitForSelector('.chat.text-large .input-send', { state: 'visible' });
  const send = await page.$eval('.chat.text-large .input-send', (el) => {
    const button = el.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(el);
    const label = range.getBoundingClientRect();
    return { off: Math.abs(label.top + label.height / 2 - (button.top + button.height / 2)), font: parseFloat(getComputedStyle(el).fontSize) };
  });
  expect(send.font).toBeGreaterThan(standard * 1.2);
  expect(send.off).toBeLessThan(3);
});

test("in the dark scheme Taro's own modal and action sheet are dark, with light text", async () => {
  const session = `team-${DEMO.consultationId}`;
  const doctor = await openAs(suite.browser, suite.server, DEMO.doctor, { sessionId: session });
  await doctor.emulateMedia({ colorScheme: 'dark' });
  await synced(doctor);
  const color = (selector: string) => doctor.$eval(selector, (el) => getComputedStyle(el).color);

  // The consultation's buttons are confirmed in Taro's modal.
  await doctor.click('.consultation-action');
  await doctor.waitForSelector('.taro-modal__content', { state: 'visible' });
  expect(brightness(await background(doctor, '.taro-modal__content'))).toBeLessThan(60);
  expect(brightness(await color('.taro-modal__title'))).toBeGreaterThan(180);
  expect(brightness(await color('.taro-modal__text'))).toBeGreaterThan(120);
  expect(brightness(await color('.taro-model__cancel'))).toBeGreaterThan(180);
  await doctor.click('.taro-model__cancel');

  // A message's long-press menu is Taro's action sheet.
  await send(doctor, '长按这条消息');
  await doctor.locator('.msg-row.mine .msg-bubble', { hasText: '长按这条消息' }).dispatchEvent('touchstart');
  await doctor.waitForSelector('.taro-actionsheet__cell:has-text("复制")', { state: 'visible' });
  const sheet = '.taro__actionSheet > div:last-child';
  expect(brightness(await background(doctor, `${sheet} > div:first-child`))).toBeLessThan(60);
  expect(brightness(await background(doctor, `${sheet} > div:last-child`))).toBeLessThan(60);
  expect(brightness(await color('.taro-actionsheet__cell:has-text("复制")'))).toBeGreaterThan(180);
  expect(brightness(await color(`${sheet} > div:last-child`))).toBeGreaterThan(180);
});
