/**
 * Moving between the chat and the consultation list in the H5 build (issue 13): each opens the other
 * on its first visit without a network (no page's code is fetched on the way), and leaving a chat
 * that was opened from the list throws nothing. Uncaught errors fail every test (helpers/browser.ts).
 */
import type { Page } from 'playwright-core';
import { DEMO } from '../../server/demo';
import { h5Suite, openAs, send, synced } from '../helpers/h5';

jest.setTimeout(120_000);

const suite = h5Suite();
const SESSION = `team-${DEMO.consultationId}`;

const hash = (page: Page) => page.evaluate(() => location.hash);
const CHAT_HASH = new RegExp(`^#/consult/chat/index\\?id=${encodeURIComponent(SESSION)}`);
const listShown = (page: Page) => page.waitForSelector('.sessions .session-item', { state: 'visible' });

test('offline, ‹ 我的问诊 on the first visit to the list opens the list', async () => {
  const page = await openAs(suite.browser, suite.server, DEMO.patient, { sessionId: SESSION });
  await synced(page);
  await page.context().setOffline(true);
  await page.click('.page-back');
  await listShown(page);
  expect(await page.isVisible('.chat')).toBe(false);
  expect(await hash(page)).toMatch(/^#\/consult\/sessions\/index/);
});

test('offline, a consultation tapped in the list on its first visit opens the chat', async () => {
  const page = await openAs(suite.browser, suite.server, DEMO.doctor);
  await listShown(page);
  await page.context().setOffline(true);
  await page.click('.session-item');
  await page.waitForSelector('.chat .input-field', { state: 'visible' });
  expect(await page.isVisible('.sessions')).toBe(false);
  expect(await hash(page)).toMatch(/^#\/consult\/chat\/index/);
});

test('going back from a chat that was opened from the list throws nothing', async () => {
  const page = await openAs(suite.browser, suite.server, DEMO.patient, { sessionId: SESSION });
  await synced(page);
  for (let i = 1; i <= 15; i++) await send(page, `第${i}条消息`);
  await page.waitForFunction(() => [...document.querySelectorAll('.msg-status')].every((e) => e.textContent !== '发送中'));
  await page.click('.page-back');
  await listShown(page);
  await page.click('.session-item');
  await synced(page);
  await page.locator('.chat .msg-text', { hasText: '第15条消息' }).waitFor();
  await page.click('.page-back');
  await listShown(page);
  // Scroll events of the page left behind would arrive about now.
  await page.waitForTimeout(500);
  expect(await page.isVisible('.chat')).toBe(false);
});

test("a chat's address opened where nobody signed in says how to get in; a second tab on the signed-in device opens the chat", async () => {
  const chatUrl = `${suite.server.url}/#/consult/chat/index?id=${encodeURIComponent(SESSION)}`;
  const stranger = await (await suite.browser.newContext()).newPage();
  await stranger.goto(chatUrl);
  await stranger.waitForSelector('.entry-title');
  expect(await stranger.textContent('.entry-title')).toBe('请从短信链接进入');
  expect(await stranger.isVisible('.chat')).toBe(false);

  const page = await openAs(suite.browser, suite.server, DEMO.patient, { sessionId: SESSION });
  await synced(page);
  const tab = await page.context().newPage();
  await tab.goto(chatUrl);
  await synced(tab);
  expect(await hash(tab)).toMatch(/^#\/consult\/chat\/index/);
});

test("‹ 我的问诊 in a chat opened from the SMS link opens the list on top: the browser's back returns to the chat", async () => {
  const page = await openAs(suite.browser, suite.server, DEMO.patient, { sessionId: SESSION });
  await synced(page);
  await page.click('.page-back');
  await listShown(page);
  await page.goBack();
  await page.waitForSelector('.chat .input-field', { state: 'visible' });
  expect(await hash(page)).toMatch(CHAT_HASH);
  expect(await page.isVisible('.sessions')).toBe(false);
});

test("the browser's back a moment after ‹ 我的问诊 returns to a chat that stays shown", async () => {
  const page = await openAs(suite.browser, suite.server, DEMO.patient, { sessionId: SESSION });
  await synced(page);
  // Taro's slide hid the page left behind on a timer that such a back did not cancel: the chat came
  // back, then went blank. It took one to three tries to hit; five leave no chance to miss it.
  for (let i = 0; i < 5; i++) {
    await page.evaluate(() => {
      document.querySelector<HTMLElement>('.chat .page-back')?.click();
      setTimeout(() => history.back(), 10);
    });
    await page.waitForSelector('.sessions', { state: 'detached' });
    // Longer than the slide's timers (300 + 50 ms) were.
    await page.waitForTimeout(500);
    expect(await page.isVisible('.chat .input-field')).toBe(true);
    expect(await hash(page)).toMatch(CHAT_HASH);
  }
});

test("a chat address of someone else's consultation says it is not theirs, offers no input, and leads to their own list", async () => {
  const other = { account: 'patient-wang', name: '王先生', role: 'patient' } as const;
  await suite.server.storage.upsertAccount(other);
  await suite.server.storage.createConsultation({ id: 'c-other', patient: other.account, doctor: DEMO.doctor.account, teamName: '王先生的问诊' });
  const page = await openAs(suite.browser, suite.server, DEMO.patient, { sessionId: 'team-c-other' });
  await page.waitForSelector('.no-input-notMember', { state: 'visible' });
  expect(await page.textContent('.no-input-notMember')).toContain('这不是您的问诊');
  expect(await page.$$('.chat .input-field')).toHaveLength(0);
  await page.click('.chat-to-list');
  await listShown(page);
  expect(await page.$$eval('.session-item .session-name', (els) => els.map((e) => e.textContent))).not.toContain('王先生的问诊');
  expect(await page.$$('.session-item')).not.toHaveLength(0);
});

test.each([
  ['rate', '/consult/rate/index', DEMO.patient],
  ['intake', '/consult/intake/index', DEMO.patient],
  ['identity', '/consult/identity/index', DEMO.patient],
  ['consent', '/consult/consent/index', DEMO.patient],
  ['prescribe', '/consult/prescribe/index', DEMO.doctor],
  ['transfer', '/consult/transfer/index', DEMO.doctor],
])('the %s page opened on its own has a back control on H5 that leads to the chat', async (_name, path, who) => {
  const page = await openAs(suite.browser, suite.server, who, { sessionId: SESSION });
  await synced(page);
  await page.goto(page.url().replace(/#.*/, `#${path}?id=${encodeURIComponent(SESSION)}`));
  await page.waitForSelector('.form .page-back', { state: 'visible' });
  expect(await page.textContent('.form .page-back')).toBe('‹ 返回问诊');
  await page.click('.form .page-back');
  await page.waitForSelector('.chat .input-field', { state: 'visible' });
  expect(await hash(page)).toMatch(CHAT_HASH);
});

test("the 常用语 page has a back control on H5: to the chat it was opened from, or to the doctor's list when opened on its own", async () => {
  const page = await openAs(suite.browser, suite.server, DEMO.doctor, { sessionId: SESSION });
  await synced(page);
  await page.click('.quick-replies-edit');
  await page.waitForSelector('.replies .page-back', { state: 'visible' });
  expect(await page.textContent('.replies .page-back')).toBe('‹ 返回问诊');
  await page.click('.replies .page-back');
  await page.waitForSelector('.chat .input-field', { state: 'visible' });
  expect(await hash(page)).toMatch(CHAT_HASH);

  await page.goto(page.url().replace(/#.*/, '#/consult/replies/index'));
  await page.reload();
  await page.waitForSelector('.replies .page-back', { state: 'visible' });
  expect(await page.textContent('.replies .page-back')).toBe('‹ 我的问诊');
  await page.click('.replies .page-back');
  await listShown(page);
  expect(await hash(page)).toMatch(/^#\/consult\/sessions\/index/);
});
