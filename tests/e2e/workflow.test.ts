/**
 * The medical workflow in Chromium: SMS links sign in once (reopening in the same tab continues, a
 * second device is told the link was used, an expired link says so), and the doctor sends a
 * prescription and closes the consultation while the patient sees the card and a closed input.
 */
import { join } from 'node:path';
import type { Account } from '../../types/message';
import { entryLink } from '../../server/api';
import { DEMO } from '../../server/demo';
import { ARTIFACTS, h5Suite, openAs, send, synced } from '../helpers/h5';

jest.setTimeout(120_000);

const SESSION = `team-${DEMO.consultationId}`;
const suite = h5Suite();

test('an SMS link signs in once: reload continues, another device is refused, an expired link says so', async () => {
  const link = await entryLink(suite.server.url, suite.server.auth, DEMO.patient, SESSION);
  const context = await suite.browser.newContext({ viewport: { width: 390, height: 760 } });
  const page = await context.newPage();
  await page.goto(link);
  await synced(page);
  // Opening the same SMS again in this tab continues with the session it already has.
  await page.goto('about:blank');
  await page.goto(link);
  await synced(page);

  const other = await (await suite.browser.newContext()).newPage();
  await other.goto(link);
  await other.waitForSelector('.entry-title');
  expect(await other.textContent('.entry-title')).toBe('链接已使用过');
  expect(await other.textContent('.entry-hint')).toContain('联系医院重新发送');

  const expired = `${suite.server.url}/#/pages/entry/index?link=${encodeURIComponent(await suite.server.auth.issueLink(DEMO.patient, -10))}`;
  await other.goto('about:blank');
  await other.goto(expired);
  await other.waitForSelector('.entry-title');
  expect(await other.textContent('.entry-title')).toBe('链接已过期');
  await other.screenshot({ path: join(ARTIFACTS, 'workflow-link-expired.png') });
});

test('the doctor sends a prescription and closes the consultation; the patient sees the card and a closed input', async () => {
  const patient = await openAs(suite.browser, suite.server, DEMO.patient, { sessionId: SESSION });
  const doctor = await openAs(suite.browser, suite.server, DEMO.doctor, { sessionId: SESSION });
  await synced(patient);
  await synced(doctor);
  expect(await patient.textContent('.consultation-status')).toBe('问诊中');
  expect(await patient.$$('.consultation-close')).toHaveLength(0);

  await doctor.click('.more-toggle');
  // The prescription form (issue 17): signed by the server, pending a pharmacist's review.
  await doctor.click('.more-item-prescription');
  await doctor.fill('.rx-diagnosis input', '急性咽炎');
  await doctor.fill('.rx-drug-name input', '蓝芩口服液');
  await doctor.fill('.rx-drug-specification input', '10ml×12支/盒');
  await doctor.fill('.rx-drug-dosage input', '每次 10ml');
  await doctor.fill('.rx-drug-usage input', '口服，每日 3 次');
  await doctor.click('.rx-submit');
  await patient.waitForSelector('.msg-row.theirs .msg-card-rx', { timeout: 15_000 });

  await doctor.click('.consultation-close');
  await doctor.click('.taro-model__confirm');
  await patient.waitForSelector('.consultation-ended', { timeout: 15_000 });
  expect(await patient.textContent('.consultation-ended')).toContain('本次问诊已结束');
  expect(await patient.$$('.input-field')).toHaveLength(0);
  expect(await patient.textContent('.consultation-status')).toBe('已结束');
  const tips = await patient.$$eval('.msg-tip', (els) => els.map((e) => e.textContent));
  expect(tips).toContain('张医生已结束本次问诊');
  expect(await patient.textContent('.msg-row.theirs .msg-card-rx .msg-card-value')).toBe('急性咽炎');
  await doctor.waitForSelector('.consultation-ended');
  await patient.screenshot({ path: join(ARTIFACTS, 'workflow-closed-patient.png') });

  // The sessions list shows it as ended too.
  await patient.goto(`${suite.server.url}/#/consult/sessions/index`);
  await patient.waitForSelector('.session-status');
  expect(await patient.textContent('.session-status')).toBe('已结束');
});

test('closed while both have the chat open, a consultation with 追问 keeps the input open for its follow-ups, then closes it', async () => {
  const id = 'follow-up-live';
  await suite.server.storage.createConsultation({
    id,
    patient: DEMO.patient.account,
    doctor: DEMO.doctor.account,
    teamName: '复诊',
    status: 'inProgress',
    followUp: { messages: 1, days: 3 },
    consent: { version: 'demo', acceptedAt: Date.now(), by: 'hospital' },
    identity: { name: '李秀英', idNumber: '110101198503071234', sex: 'female', birthDate: '1985-03-07', relation: 'self' },
  });
  const session = `team-${id}`;
  const patient = await openAs(suite.browser, suite.server, DEMO.patient, { sessionId: session });
  const doctor = await openAs(suite.browser, suite.server, DEMO.doctor, { sessionId: session });
  await synced(patient);
  await synced(doctor);

  await doctor.click('.consultation-close');
  await doctor.click('.taro-model__confirm');
  await patient.waitForFunction(() => document.querySelector('.consultation-status')?.textContent === '已结束');
  await patient.waitForFunction(() => document.querySelector('.encounter-follow-up')?.textContent === '问诊已结束，还可追问 1 条');
  expect(await patient.$$('.consultation-ended')).toHaveLength(0);
  await send(patient, '药吃完了还需要复查吗？');
  await doctor.locator('.msg-text', { hasText: '药吃完了还需要复查吗？' }).waitFor();

  await patient.waitForSelector('.consultation-ended');
  expect(await patient.$$('.input-field')).toHaveLength(0);
  await patient.waitForSelector('.encounter-follow-up', { state: 'detached' });
  // The doctor answers in the window.
  expect(await doctor.$$('.consultation-ended')).toHaveLength(0);
  await send(doctor, '不需要，按时复诊即可');
  await patient.locator('.msg-text', { hasText: '不需要，按时复诊即可' }).waitFor();
});

test('an SMS link reopened after it expired continues on the device signed in as its person; another person’s is still expired', async () => {
  const context = await suite.browser.newContext({ viewport: { width: 390, height: 760 } });
  const page = await context.newPage();
  await page.goto(await entryLink(suite.server.url, suite.server.auth, DEMO.patient, SESSION));
  // The chat (an earlier test closed this consultation: no input to wait for).
  await page.waitForSelector('.chat', { state: 'visible' });
  const expiredLink = async (account: Account) =>
    `${suite.server.url}/#/pages/entry/index?link=${encodeURIComponent(await suite.server.auth.issueLink(account, -10))}&session=${SESSION}`;

  const tab = await context.newPage();
  await tab.goto(await expiredLink(DEMO.patient));
  await tab.waitForSelector('.chat', { state: 'visible' });
  expect(await tab.evaluate(() => location.hash)).toMatch(/^#\/consult\/chat\/index/);

  const other = await context.newPage();
  await other.goto(await expiredLink(DEMO.doctor));
  await other.waitForSelector('.entry-title');
  expect(await other.textContent('.entry-title')).toBe('链接已过期');
});
