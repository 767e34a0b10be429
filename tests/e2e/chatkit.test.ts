/**
 * Issue 20 in the H5 build in Chromium against a real server: quote and reply (and the jump to an old
 * original across a history page), search and jump, a draft that survives a reload, the doctor's
 * presence as the patient sees it, and 已送达 before 已读.
 */
import type { Page } from 'playwright-core';
import type { Account } from '../../types/message';
import { DEMO } from '../../server/demo';
import { h5Suite, openAs as open, send, synced } from '../helpers/h5';
import { seedLongChat } from '../helpers/long-chat';
import { WsClient } from '../helpers/ws-client';
import Database from 'better-sqlite3';
import { CONSENTED } from '../helpers/consultation';

jest.setTimeout(120_000);

const suite = h5Suite();
const CONSULT = `team-${DEMO.consultationId}`;
const LONG = 'kit-long';
const LONG_SESSION = `team-${LONG}`;
const TOTAL = 100;

beforeAll(() => seedLongChat(suite.server.storage, LONG, TOTAL));

const pages: Page[] = [];
afterEach(async () => {
  for (const p of pages.splice(0)) await p.context().close();
});

async function openAs(account: Account, sessionId?: string): Promise<Page> {
  const page = await open(suite.browser, suite.server, account, { sessionId });
  pages.push(page);
  return page;
}

/**
 * Waits until the row of `idClient` is inside the list's viewport. A jump flashes the row as the window
 * moves to it and scrolls once the row is measured, a frame or more later; the test fails only if it
 * never gets there.
 */
const scrolledTo = (page: Page, idClient: string) =>
  page.waitForFunction(
    (id) => {
      const row = document.getElementById(`m-${id}`);
      const list = document.getElementById('msg-list');
      if (!row || !list) return false;
      const r = row.getBoundingClientRect();
      const l = list.getBoundingClientRect();
      return r.bottom > l.top && r.top < l.bottom;
    },
    idClient,
    { timeout: 5_000 },
  );

/** Taro's H5 View fires longpress from a touch held 350 ms; then the action sheet offers `item`. */
async function longPressAndPick(page: Page, selector: string, item: string): Promise<void> {
  await page.locator(selector).dispatchEvent('touchstart');
  await page.click(`.taro-actionsheet__cell:has-text("${item}")`);
}

test('reply to a message, then jump to an old original across a history page', async () => {
  const patient = await openAs(DEMO.patient, LONG_SESSION);
  await synced(patient);
  await patient.waitForSelector(`text=第${TOTAL}条`);

  // 引用 from the long-press menu: the composer shows the quoted line, the reply shows it above.
  await longPressAndPick(patient, `#m-seed-${LONG}-${TOTAL} .msg-bubble`, '引用');
  expect(await patient.textContent('.composer-quote-text')).toBe(`引用 ${DEMO.doctor.name}：第${TOTAL}条`);
  await send(patient, '收到，谢谢');
  await patient.waitForSelector('.composer-quote', { state: 'detached' });
  const reply = patient.locator('.msg-row.mine', { hasText: '收到，谢谢' });
  await reply.locator('.msg-quote').waitFor();
  expect(await reply.locator('.msg-quote').textContent()).toBe(`${DEMO.doctor.name}：第${TOTAL}条`);

  // The doctor answers the patient's third message, far above what the patient has loaded.
  const doctor = await WsClient.login(suite.server, DEMO.doctor);
  try {
    await doctor.request('send', {
      msg: { scene: 'team', to: LONG, type: 'text', body: '关于您第三条说的', idClient: 'kit-reply-old', replyTo: { idClient: `seed-${LONG}-3`, seq: 3 } },
    });
  } finally {
    doctor.close();
  }
  const quote = patient.locator('#m-kit-reply-old .msg-quote');
  await quote.waitFor();
  expect(await quote.textContent()).toBe('我：第3条');
  expect(await patient.$(`#m-seed-${LONG}-3`)).toBeNull();

  await quote.click();
  await patient.waitForSelector(`#m-seed-${LONG}-3.msg-flash`);
  await patient.waitForFunction(
    (id) => {
      const row = document.getElementById(id)?.getBoundingClientRect();
      const list = document.getElementById('msg-list')?.getBoundingClientRect();
      return Boolean(row && list && row.bottom > list.top && row.top < list.bottom);
    },
    `m-seed-${LONG}-3`,
  );
  // The window stays bounded: it moved to the original instead of rendering everything.
  expect(await patient.$$eval('.msg-row', (els) => els.length)).toBeLessThan(TOTAL);
});

test('search: held matches at once, the server’s on enter, tap jumps to the message', async () => {
  const patient = await openAs(DEMO.patient, LONG_SESSION);
  await synced(patient);
  await patient.waitForSelector(`text=第${TOTAL}条`);
  await patient.click('.more-toggle');
  await patient.click('.more-item-search');
  await patient.locator('.search-input input').fill('第7');
  // 第79条 is held (the newest page): listed before the server is asked; 第7条 comes from the server.
  await patient.waitForSelector('.search-hit-line:has-text("第79条")');
  await patient.locator('.search-input input').press('Enter');
  const old = patient.locator('.search-hit-line', { hasText: /^第7条$/ });
  await old.waitFor();
  await old.click();
  await patient.waitForSelector('.search-panel', { state: 'detached' });
  await patient.waitForFunction((id) => Boolean(document.getElementById(id)?.classList.contains('msg-flash')), `m-seed-${LONG}-7`);
  await scrolledTo(patient, `seed-${LONG}-7`);

  // A type filter with nothing of that type: said so, nothing listed.
  await patient.click('.more-toggle');
  await patient.click('.more-item-search');
  await patient.click('.search-filter:has-text("图片")');
  await patient.waitForSelector('text=没有找到相关的聊天记录');
  expect(await patient.$$('.search-hit')).toHaveLength(0);
});

test('a draft survives a reload, shows as 【草稿】 in the list, and sending clears it', async () => {
  const patient = await openAs(DEMO.patient, CONSULT);
  await synced(patient);
  await patient.locator('.input-field input').fill('药吃完了，还要继续吗');
  // Kept in storage shortly after the last keystroke.
  await patient.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith('medchat.drafts.') && (localStorage.getItem(k) ?? '').includes('药吃完了')));
  await patient.reload();
  await synced(patient);
  await patient.waitForFunction(() => (document.querySelector('.input-field input') as HTMLInputElement | null)?.value === '药吃完了，还要继续吗');

  await patient.click('.page-back');
  const item = patient.locator('.session-item', { hasText: '【草稿】' });
  await item.waitFor();
  expect(await item.locator('.session-preview').textContent()).toBe('【草稿】药吃完了，还要继续吗');
  await item.click();
  await synced(patient);
  await patient.waitForFunction(() => (document.querySelector('.input-field input') as HTMLInputElement | null)?.value === '药吃完了，还要继续吗');
  await patient.locator('.input-send').click();
  await patient.waitForSelector('.msg-row.mine:has-text("药吃完了，还要继续吗")');
  await patient.click('.page-back');
  await patient.waitForSelector('.session-item');
  expect(await patient.$('.session-draft')).toBeNull();
  expect(await patient.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('medchat.drafts.')))).toEqual([]);
});

test('the patient sees 已送达 once the doctor’s device has the message, 已读 once read, and the doctor go offline', async () => {
  const patient = await openAs(DEMO.patient, CONSULT);
  await synced(patient);
  // Nobody else is connected as the doctor in this suite now: offline, or never seen.
  expect(await patient.$('.chat-presence.online')).toBeNull();

  const doctor = await openAs(DEMO.doctor);
  await doctor.waitForSelector('.session-item');
  await patient.waitForSelector('.chat-presence.online:has-text("医生在线")');

  // The doctor is on the list, not in the chat: delivered, not read.
  await send(patient, '今天血压140/90');
  const status = patient.locator('.msg-row.mine', { hasText: '今天血压140/90' }).locator('.msg-status');
  await patient.waitForFunction(
    () => [...document.querySelectorAll('.msg-row.mine')].find((r) => r.textContent?.includes('今天血压140/90'))?.querySelector('.msg-status')?.textContent === '已送达',
  );
  await doctor.click('.session-item');
  await doctor.waitForSelector('.msg-text:has-text("今天血压140/90")');
  await patient.waitForFunction(
    () => [...document.querySelectorAll('.msg-row.mine')].find((r) => r.textContent?.includes('今天血压140/90'))?.querySelector('.msg-status')?.textContent === '已读',
  );
  expect(await status.textContent()).toBe('已读');

  // The doctor's tab closes: the patient's header turns to the last-seen time.
  await doctor.context().close();
  pages.splice(pages.indexOf(doctor), 1);
  await patient.waitForSelector('.chat-presence:not(.online)');
  expect(await patient.textContent('.chat-presence')).toMatch(/^最近在线 /);
});

test('a chat under the list opened on top of it reads nothing: the message stays unread and the doctor sees no 已读 until the patient is back in it', async () => {
  const patient = await openAs(DEMO.patient, CONSULT);
  await synced(patient);
  const doctor = await openAs(DEMO.doctor, CONSULT);
  await synced(doctor);
  const TEXT = '请上传检查报告';
  const statusIs = (status: string) =>
    doctor.waitForFunction(
      ([text, want]) => [...document.querySelectorAll('.msg-row.mine')].find((r) => r.textContent?.includes(text))?.querySelector('.msg-status')?.textContent === want,
      [TEXT, status],
    );

  await patient.click('.page-back');
  await patient.waitForSelector('.sessions .session-item', { state: 'visible' });
  await send(doctor, TEXT);
  await statusIs('已送达');
  await patient.waitForFunction(() => document.querySelector('.session-unread')?.textContent === '1');
  // Longer than the read mark's window (300 ms), within which a chat taken as on screen sends it.
  await patient.waitForTimeout(1_000);
  expect(await doctor.locator('.msg-row.mine', { hasText: TEXT }).locator('.msg-status').textContent()).toBe('已送达');

  await patient.goBack();
  await patient.waitForSelector(`.chat .msg-text:has-text("${TEXT}")`, { state: 'visible' });
  await statusIs('已读');
});

test('a doctor filters consultations by patient name and finds a message across them, opening the chat at it', async () => {
  const doctor = await openAs(DEMO.doctor);
  await doctor.waitForSelector('.session-item');
  const items = () => doctor.$$eval('.session-item .session-name', (els) => els.map((e) => e.textContent ?? ''));
  const all = await items();
  expect(all.length).toBeGreaterThan(1);
  const search = doctor.locator('.search-input input');
  await search.fill('不存在的姓名');
  await doctor.waitForFunction(() => document.querySelectorAll('.session-item').length === 0);
  // The queue matches the patient's name whatever the consultation is called (tests/unit/encounter-view covers which).
  await search.fill(DEMO.patient.name);
  await doctor.waitForFunction(() => document.querySelectorAll('.session-item').length > 0);

  await search.fill('第42条');
  await search.press('Enter');
  const hit = doctor.locator('.search-hit', { hasText: '第42条' });
  await hit.waitFor();
  await hit.click();
  await doctor.waitForFunction((id) => Boolean(document.getElementById(id)?.classList.contains('msg-flash')), `m-seed-${LONG}-42`);
  await scrolledTo(doctor, `seed-${LONG}-42`);
});

test('a doctor finds a consultation closed days ago by its patient’s name (the workbench holds only today’s) and opens it', async () => {
  const earlier: Account = { account: 'kit-earlier', name: '陈大爷', role: 'patient' };
  await suite.server.storage.upsertAccount(earlier);
  await suite.server.storage.createConsultation({ id: 'kit-earlier', patient: earlier.account, doctor: DEMO.doctor.account, teamName: '复诊', ...CONSENTED });
  const db = new Database(suite.server.dbPath);
  db.prepare("UPDATE consultations SET status = 'closed', closed_at = ? WHERE id = 'kit-earlier'").run(Date.now() - 5 * 86_400_000);
  db.close();

  const doctor = await openAs(DEMO.doctor);
  await doctor.waitForSelector('.session-item');
  const search = doctor.locator('.search-input input');
  await search.fill('陈大爷');
  // Not on the workbench: the filter finds no patient there until the server is asked.
  await doctor.waitForFunction(() => document.querySelectorAll('.queue .session-item').length === 0);
  await search.press('Enter');
  const row = doctor.locator('.sessions-earlier .session-item', { hasText: '陈大爷' });
  await row.waitFor();
  expect(await row.locator('.session-status').textContent()).toBe('已结束');
  await row.click();
  await doctor.waitForURL(/consult\/chat/);
  await doctor.waitForSelector('.consultation-ended');
});

test('a doctor hides their presence in 设置: the patient sees nothing, shown again it comes back', async () => {
  const patient = await openAs(DEMO.patient, CONSULT);
  await synced(patient);
  const doctor = await openAs(DEMO.doctor);
  await doctor.waitForSelector('.session-item');
  await patient.waitForSelector('.chat-presence.online');

  await doctor.click('.sessions-settings');
  const toggle = doctor.locator('.settings-presence-switch input');
  await toggle.waitFor({ state: 'attached' });
  expect(await toggle.isChecked()).toBe(true);
  await doctor.click('.settings-presence-switch');
  await patient.waitForSelector('.chat-presence', { state: 'detached' });
  await doctor.waitForFunction(() => (document.querySelector('.settings-presence-switch input') as HTMLInputElement | null)?.checked === false);

  await doctor.click('.settings-presence-switch');
  await patient.waitForSelector('.chat-presence.online:has-text("医生在线")');
});
