/**
 * The H5 build in Debian Chromium against a real server and SQLite file: a patient and a doctor, each
 * in their own browser context, chat through the UI and both see every message once, in one order.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Account } from '../../types/message';
import { TEXT_MAX_CHARS } from '../../types/message';
import { DEMO } from '../../server/demo';
import { ARTIFACTS, h5Suite, openAs as open, send, synced, texts } from '../helpers/h5';
import { ADMIN_API_KEY } from '../helpers/server';

jest.setTimeout(120_000);

const SESSION = `team-${DEMO.consultationId}`;

const suite = h5Suite();

const openAs = (account: Account, sessionId?: string): Promise<Page> => open(suite.browser, suite.server, account, { sessionId });

async function waitForTexts(page: Page, expected: string[]): Promise<void> {
  await page.waitForFunction(
    (n) => document.querySelectorAll('.msg-text').length >= n,
    expected.length,
    { timeout: 15_000 },
  );
  // A short settle so that a duplicate arriving late would be counted.
  await page.waitForTimeout(300);
}

test('patient and doctor exchange messages and both see them in order exactly once', async () => {
  const patient = await openAs(DEMO.patient, SESSION);
  await synced(patient);
  await send(patient, '医生您好，我头痛三天了', 'click');

  // The doctor starts from the sessions list and sees the unread consultation.
  const doctor = await openAs(DEMO.doctor);
  await doctor.waitForSelector('.session-item');
  await doctor.waitForFunction(() => document.querySelector('.session-unread')?.textContent === '1');
  expect(await doctor.textContent('.session-name')).toBe(DEMO.patient.name);
  expect(await doctor.textContent('.session-preview')).toBe('医生您好，我头痛三天了');
  await doctor.click('.session-item');
  await synced(doctor);
  await waitForTexts(doctor, ['医生您好，我头痛三天了']);

  await send(doctor, '您好，头痛是持续的还是阵发的？', 'enter');
  await patient.waitForFunction(() => document.querySelectorAll('.msg-text').length >= 2);

  // Both type at once: the server's order must be the one both sides show.
  const burst = [
    send(patient, '阵发的，下午更厉害', 'click'),
    send(doctor, '有没有发烧？', 'enter'),
  ];
  await Promise.all(burst);
  await send(patient, '没有发烧', 'enter');
  await send(doctor, '好的，建议先测量血压', 'click');

  const all = [
    '医生您好，我头痛三天了',
    '您好，头痛是持续的还是阵发的？',
    '阵发的，下午更厉害',
    '有没有发烧？',
    '没有发烧',
    '好的，建议先测量血压',
  ];
  await waitForTexts(patient, all);
  await waitForTexts(doctor, all);
  const seenByPatient = await texts(patient);
  const seenByDoctor = await texts(doctor);
  expect(seenByPatient).toEqual(seenByDoctor);
  expect([...seenByPatient].sort()).toEqual([...all].sort());
  expect(new Set(seenByPatient).size).toBe(seenByPatient.length);

  // Sides: each person's own messages on the right.
  const mineForPatient = await patient.$$eval('.msg-row.mine .msg-text', (els) => els.map((e) => e.textContent));
  expect(mineForPatient).toEqual(seenByPatient.filter((t) => ['医生您好，我头痛三天了', '阵发的，下午更厉害', '没有发烧'].includes(t)));

  // The doctor has the chat open, so the patient's messages are shown as read.
  await patient.waitForFunction(() =>
    [...document.querySelectorAll('.msg-row.mine .msg-status')].every((e) => e.textContent === '已读'),
  );

  // A reload shows the same conversation from the server, still once each.
  await patient.reload();
  await synced(patient);
  await waitForTexts(patient, all);
  expect(await texts(patient)).toEqual(seenByDoctor);

  await patient.screenshot({ path: join(ARTIFACTS, 'chat-patient.png') });
  await doctor.screenshot({ path: join(ARTIFACTS, 'chat-doctor.png') });
});

test('a link without a token explains how to get in', async () => {
  const context = await suite.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${suite.server.url}/#/pages/entry/index`);
  await page.waitForSelector('.entry-hint');
  await page.waitForFunction(() => document.querySelector('.entry-hint')?.textContent?.includes('短信链接'));
  await context.close();
});

test('a forged token shows a sign-in error instead of a chat; a token= parameter is not accepted at all', async () => {
  const context = await suite.browser.newContext();
  const page = await context.newPage();
  // Nobody can start the app in a session of their choosing through the address.
  await page.goto(`${suite.server.url}/#/pages/entry/index?token=not-a-real-token`);
  await page.waitForFunction(() => document.querySelector('.entry-hint')?.textContent?.includes('短信链接'));
  // A forged token held by the tab is refused by the server, and the chat says so.
  await context.addInitScript(() => {
    // Not on about:blank, which has no storage.
    if (location.protocol.startsWith('http')) window.sessionStorage.setItem('medchat.token', JSON.stringify('not-a-real-token'));
  });
  const tab = await context.newPage();
  await tab.goto(`${suite.server.url}/#/pages/entry/index`);
  await tab.waitForSelector('.banner-authFailed');
  expect(await tab.textContent('.banner-authFailed')).toContain('登录凭证无效');
  await context.close();
});

test('signed out by the hospital, the chat says so where the input was instead of taking messages that cannot go', async () => {
  const patient = await openAs(DEMO.patient, SESSION);
  await synced(patient);
  const revoked = await fetch(`${suite.server.url}/api/sessions/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ account: DEMO.patient.account }),
  });
  expect(revoked.status).toBe(200);
  await patient.waitForSelector('.signed-out');
  expect(await patient.textContent('.signed-out')).toContain('本设备无法发送消息');
  expect(await patient.$('.input-field')).toBeNull();
  await patient.context().close();
});

test('a paste over the limit is kept whole, says how far over it is and cannot be sent until it fits', async () => {
  const patient = await openAs(DEMO.patient, SESSION);
  await synced(patient);
  const before = (await texts(patient)).length;
  const pasted = '我的既往病史：'.repeat(335); // 2,345 characters
  await patient.locator('.input-field input').fill(pasted);
  await patient.waitForSelector('.composer-over');
  expect(await patient.textContent('.composer-over')).toBe(`超出 345 字（每条最多 ${TEXT_MAX_CHARS} 字），请删减或分段发送`);
  expect(await patient.inputValue('.input-field input')).toBe(pasted);
  // Neither 发送 nor Enter sends it: were it sent, it would come before the text that fits below.
  await patient.locator('.input-send').click();
  await patient.locator('.input-field input').press('Enter');
  expect(await patient.inputValue('.input-field input')).toBe(pasted);

  const fits = pasted.slice(0, TEXT_MAX_CHARS);
  await patient.locator('.input-field input').fill(fits);
  await patient.waitForSelector('.composer-over', { state: 'detached' });
  await patient.locator('.input-send').click();
  await patient.waitForFunction((n) => document.querySelectorAll('.msg-text').length > n, before);
  expect((await texts(patient)).slice(before)).toEqual([fits]);
  const stored = await suite.server.storage.history(SESSION, undefined, 100);
  expect(stored.map((m) => m.body)).toContain(fits);
  expect(stored.filter((m) => m.body.startsWith('我的既往病史'))).toHaveLength(1);
});
