/**
 * The medical encounter in Chromium against the real server (issue 17). The hospital opens a
 * consultation with the patient's records to confirm and the doctor's verified identity; the patient
 * goes identity → consent → intake → chat; the doctor accepts from the queue, sees the patient panel,
 * adds and inserts a quick reply, issues a prescription; the pharmacist rejects it, the doctor corrects
 * it, the pharmacist approves the correction; the patient sees 已通过 and, once it is closed, rates.
 * Every page is saved in normal, 大字 and dark under test-results/encounter/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { Account } from '../../types/message';
import { png } from '../helpers/fixtures';
import { ARTIFACTS, h5Suite, openAs } from '../helpers/h5';
import { postJson } from '../helpers/post-json';
import { ADMIN_API_KEY } from '../helpers/server';

jest.setTimeout(240_000);

const suite = h5Suite();
const SHOTS = join(ARTIFACTS, 'encounter');
const ID = 'enc-1';
const SESSION = `team-${ID}`;
const patient: Account = { account: 'patient-han', name: '韩梅梅', role: 'patient' };
const doctor: Account = { account: 'doctor-zhou', name: '周医生', role: 'doctor' };
const pharmacist: Account = { account: 'pharmacist-wu', name: '吴药师', role: 'pharmacist' };

/** The visible one of a selector: Taro's H5 router keeps the pages below the top one in the DOM, hidden. */
const shown = (page: Page, selector: string): Locator => page.locator(`${selector} >> visible=true`).first();

/**
 * The page as it is, in the dark scheme and in 大字 (the option as 设置 stores it, read when a page
 * opens and on a reload). A form whose state or way back would not survive a reload is left and opened
 * again from the page below by `reopen` instead.
 */
async function shoot(page: Page, name: string, ready: string, { reopen }: { reopen?: () => Promise<void> } = {}): Promise<void> {
  await shown(page, ready).waitFor();
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(SHOTS, `${name}-dark.png`), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
  const again = async (size: string) => {
    await page.evaluate((s) => localStorage.setItem('appearance.textSize', JSON.stringify({ data: s })), size);
    if (!reopen) return page.reload();
    await page.goBack();
    await reopen();
  };
  await again('large');
  await shown(page, `.text-large ${ready}`).waitFor();
  // A page opened again slides in: shot once it stands.
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));
  await page.screenshot({ path: join(SHOTS, `${name}-large.png`), fullPage: true });
  await again('standard');
  await shown(page, `.text-standard ${ready}`).waitFor();
}

/** The chat's + panel item `item` (the panel may still be open from before). */
const fromMore = (page: Page, item: string) => async (): Promise<void> => {
  if (!(await shown(page, `.more-item-${item}`).isVisible())) await shown(page, '.chat .more-toggle').click();
  await shown(page, `.more-item-${item}`).click();
};

async function fill(page: Page, selector: string, value: string): Promise<void> {
  await shown(page, `${selector} input, ${selector} textarea`).fill(value);
}

async function accountCreated(): Promise<void> {
  const created = await postJson(
    `${suite.server.url}/api/consultations`,
    {
      id: ID,
      patient: { account: patient.account, name: patient.name },
      doctor: { account: doctor.account, name: doctor.name },
      identities: [
        { name: '韩梅梅', idNumber: '110101199001011234', sex: 'female', birthDate: '1990-01-01', relation: 'self' },
        {
          name: '李小明',
          idNumber: '110101202301011235',
          sex: 'male',
          birthDate: '2023-01-01',
          relation: 'child',
          guardian: { name: '韩梅梅', idNumber: '110101199001011234' },
        },
      ],
      doctorIdentity: { title: '主任医师', department: '心血管内科', licence: '110330000123456' },
    },
    { authorization: `Bearer ${ADMIN_API_KEY}` },
  );
  expect(created.status).toBe(201);
  await suite.server.storage.upsertAccount(pharmacist);
}

/** The doctor's + panel → 处方 → the form, filled with one drug, submitted. */
async function prescribe(page: Page, drug: { name: string; quantity: string }, diagnosis?: string): Promise<void> {
  if (diagnosis !== undefined) await fill(page, '.rx-diagnosis', diagnosis);
  await fill(page, '.rx-drug-name', drug.name);
  await fill(page, '.rx-drug-specification', '0.25g×24粒/盒');
  await fill(page, '.rx-drug-dosage', '每次 0.5g');
  await fill(page, '.rx-drug-usage', '口服，每日 3 次');
  await fill(page, '.rx-drug-quantity', drug.quantity);
  await shown(page, '.rx-submit').click();
  await shown(page, '.chat .input-field').waitFor();
}

/** On the pharmacist's open page: the prescription arrives there by push, no reload. */
async function review(page: Page, decision: 'approve' | 'reject', reason?: string): Promise<void> {
  const item = shown(page, '.review-item');
  await item.waitFor();
  if (reason) await item.locator('.review-reason input').fill(reason);
  await item.locator(decision === 'approve' ? '.review-approve' : '.review-reject').click();
  await shown(page, '.review-empty').waitFor();
}

test('identity → consent → intake → chat; queue, quick reply, prescription reviewed, rejected, corrected, approved; rating', async () => {
  mkdirSync(SHOTS, { recursive: true });
  await accountCreated();

  // The patient: no composer before identity and consent; the doctor's verified identity is shown.
  const p = await openAs(suite.browser, suite.server, patient, { sessionId: SESSION });
  await shown(p, '.encounter-doctor-licence').waitFor();
  expect(await shown(p, '.encounter-doctor').textContent()).toContain('周医生主任医师 · 心血管内科执业证号 110330000123456');
  expect(await p.$$('.input-field')).toHaveLength(0);
  await shoot(p, 'patient-chat-gate', '.encounter-go-identity');
  await shown(p, '.encounter-go-identity').click();

  await shoot(p, 'identity', '.identity-option');
  const options = await p.$$eval('.identity-option', (els) => els.map((e) => e.textContent ?? ''));
  expect(options[0]).toContain('韩** · 女');
  expect(options[0]).toContain('110***********1234');
  expect(options[1]).toContain('李** · 男');
  expect(options[1]).toContain('监护人 韩**');
  expect(options.join('')).not.toContain('韩梅梅');
  await shown(p, '.identity-confirm').click();

  await shoot(p, 'consent', '.consent-version');
  const disabled = () => shown(p, '.consent-submit').evaluate((el) => (el as HTMLElement & { disabled?: boolean }).disabled === true);
  expect(await disabled()).toBe(true);
  await shown(p, '.consent-agree').click();
  expect(await disabled()).toBe(false);
  await shown(p, '.consent-submit').click();

  await shoot(p, 'intake', '.intake-submit');
  await fill(p, '.intake-complaint', '头晕两周，血压偏高');
  await fill(p, '.intake-duration', '2周');
  await shown(p, '.intake-symptom >> text=头晕').click();
  await fill(p, '.intake-allergies', '青霉素');
  await fill(p, '.intake-diagnosis', '原发性高血压');
  // An earlier record attached: uploaded as it is chosen, shown with its thumbnail, removable.
  const attach = async (name: string) => {
    const [chooser] = await Promise.all([p.waitForEvent('filechooser'), shown(p, '.intake-attach-image').click()]);
    await chooser.setFiles({ name, mimeType: 'image/png', buffer: await png(320, 240) });
  };
  await attach('血压记录.png');
  await attach('检查报告.png');
  await p.waitForFunction(() => document.querySelectorAll('.intake-attachment.uploaded').length === 2);
  expect(await shown(p, '.intake-attachment img').getAttribute('src')).toBeTruthy();
  await shown(p, '.intake-attachment-remove').click();
  expect(await p.$$eval('.intake-attachment-name', (els) => els.map((e) => e.textContent))).toEqual(['检查报告.png']);
  await shown(p, '.intake-submit').click();

  // Back in the chat: the intake is the first card, and the patient may write.
  await shown(p, '.msg-card-intake').waitFor();
  expect(await shown(p, '.msg-card-intake .intake-allergies').textContent()).toBe('青霉素');
  await shown(p, '.input-field input:not([disabled])').fill('医生您好，最近血压 150/95');
  await shown(p, '.input-send').click();
  await p.waitForFunction(() => [...document.querySelectorAll('.msg-status')].some((e) => e.textContent !== '发送中'));
  await shoot(p, 'patient-chat', '.msg-card-intake');

  // The doctor: the queue shows the waiting patient with the waiting time; 接诊 opens the chat.
  const d = await openAs(suite.browser, suite.server, doctor);
  await shown(d, '.queue-waiting').waitFor();
  expect(await shown(d, '.queue-waiting .session-time').textContent()).toMatch(/刚刚发起|已等待/);
  expect(await shown(d, '.queue-waiting .session-name').textContent()).toBe('韩梅梅');
  expect(await shown(d, '.queue-waiting .queue-subject').textContent()).toBe('女 · 36岁');
  await shoot(d, 'doctor-queue', '.queue-waiting');
  await fill(d, '.search-bar', '王');
  await shown(d, '.sessions-empty').waitFor();
  await fill(d, '.search-bar', '韩');
  await shown(d, '.queue-accept').click();
  await shown(d, '.chat .patient-panel-allergies').waitFor();
  expect(await shown(d, '.patient-panel-allergies').textContent()).toBe('过敏：青霉素');
  expect(await shown(d, '.chat .msg-card-intake').textContent()).toContain('资料检查报告.png');
  // The doctor opens the record from the card: the signed file, as the patient uploaded it.
  const [record] = await Promise.all([d.context().waitForEvent('page'), shown(d, '.msg-card-intake .intake-attachment.link').click()]);
  await record.waitForLoadState();
  expect(record.url()).toMatch(/\/api\/files\//);
  expect(await record.evaluate(() => document.contentType)).toBe('image/png');
  await record.close();
  const red = await shown(d, '.patient-panel-allergies').evaluate((el) => getComputedStyle(el).color);
  expect(red).toBe('rgb(220, 38, 38)');

  // 常用语: added in the editor, inserted with one tap, sent.
  await shown(d, '.quick-replies-edit').click();
  await shoot(d, 'quick-replies', '.reply-input');
  await fill(d, '.reply-input', '您好，我是周医生，已收到您的问诊单。');
  await shown(d, '.reply-save').click();
  await shown(d, '.reply-item').waitFor();
  await d.goBack();
  await shown(d, '.quick-reply').click();
  // In the input (a draft read later must not replace it: the send below carries it).
  await d.waitForFunction(() => document.querySelector<HTMLInputElement>('.input-field input')?.value === '您好，我是周医生，已收到您的问诊单。');
  await shown(d, '.input-send').click();
  await shown(p, '.msg-row.theirs .msg-text >> text=已收到您的问诊单').waitFor();
  await shoot(d, 'doctor-chat', '.patient-panel');

  // A prescription: the form, then 待审核 on both sides.
  await shown(d, '.more-toggle').click();
  await shown(d, '.more-item-prescription').click();
  await shoot(d, 'prescribe', '.rx-submit', { reopen: fromMore(d, 'prescription') });
  await prescribe(d, { name: '苯磺酸氨氯地平片', quantity: '30' }, '原发性高血压');
  await shown(p, '.msg-card-rx .rx-state-pending').waitFor();
  expect(await shown(d, '.msg-card-rx .rx-state').textContent()).toBe('待审核');

  // The pharmacist rejects with a reason; the doctor sees it and corrects.
  const ph = await openAs(suite.browser, suite.server, pharmacist);
  await shown(ph, '.review-item').waitFor();
  expect(await shown(ph, '.review-item').textContent()).toContain('苯磺酸氨氯地平片');
  // What the review needs beside the card: the masked patient and the intake, allergies in red.
  expect(await shown(ph, '.review-item').textContent()).toContain('韩** · 女 · 36岁');
  expect(await shown(ph, '.review-item .intake-allergies').textContent()).toBe('青霉素');
  expect(await ph.$$('.input-field')).toHaveLength(0);
  await shoot(ph, 'review', '.review-item');
  await review(ph, 'reject', '数量超过 4 周用量');
  await shown(d, '.msg-card-rx .rx-state-rejected').waitFor();
  expect(await shown(d, '.msg-card-rx .rx-reason').textContent()).toBe('未通过原因：数量超过 4 周用量');
  await shown(p, '.msg-card-rx .rx-state-rejected').waitFor();
  await shown(d, '.rx-correct').click();
  await shown(d, '.rx-submit').waitFor();
  expect(await shown(d, '.rx-diagnosis input').inputValue()).toBe('原发性高血压');
  await prescribe(d, { name: '苯磺酸氨氯地平片', quantity: '2' });
  await shown(d, '.msg-card-rx .rx-state-pending').waitFor();
  expect(await d.$$('.rx-correct >> visible=true')).toHaveLength(0);

  await review(ph, 'approve');
  await shown(p, '.msg-card-rx .rx-state-approved').waitFor();
  const states = await p.$$eval('.chat .msg-card-rx .rx-state', (els) => els.map((e) => e.textContent));
  expect(states).toEqual(['未通过', '已通过']);
  expect(await shown(p, '.rx-renew').isVisible()).toBe(true);
  await shoot(p, 'patient-prescription', '.rx-state-approved');

  // Closed: the patient rates once.
  await shown(d, '.consultation-close').click();
  await shown(d, '.taro-model__confirm').click();
  await shown(p, '.encounter-rate').click();
  await shoot(p, 'rate', '.rate-submit');
  await shown(p, '.star-4').click();
  await shown(p, '.rate-tag >> text=解答清楚').click();
  await fill(p, '.rate-comment-input', '很耐心');
  await shown(p, '.rate-submit').click();
  await shown(p, '.rate-comment').waitFor();
  expect(await p.$$('.rate-submit >> visible=true')).toHaveLength(0);
  expect(await p.$$eval('.star.on', (els) => els.length)).toBe(4);
});

test('转诊: the doctor hands the consultation to another doctor, who takes it over; the first keeps reading only', async () => {
  const other: Account = { account: 'doctor-qian', name: '钱医生', role: 'doctor' };
  const created = await postJson(
    `${suite.server.url}/api/consultations`,
    {
      id: 'enc-2',
      patient: { account: 'patient-lei', name: '李雷' },
      doctor: { account: doctor.account, name: doctor.name },
      identity: { name: '李雷', idNumber: '110101198801011236', sex: 'male', birthDate: '1988-01-01', relation: 'self' },
      consent: { version: 'hospital-1', acceptedAt: Date.now() },
    },
    { authorization: `Bearer ${ADMIN_API_KEY}` },
  );
  expect(created.status).toBe(201);
  await suite.server.storage.upsertAccount(other);
  await suite.server.storage.putDoctorProfile(other.account, { title: '副主任医师', department: '神经内科', licence: '110330000654321' }, Date.now());

  const d = await openAs(suite.browser, suite.server, doctor, { sessionId: 'team-enc-2' });
  await shown(d, '.consultation-accept').click();
  await shown(d, '.taro-model__confirm').click();
  await shown(d, '.chat .more-toggle').click();
  await shown(d, '.more-item-transfer').click();
  // The hospital's other doctors, with their verified title and department; not the doctor themselves.
  await shoot(d, 'transfer', '.transfer-doctor', { reopen: fromMore(d, 'transfer') });
  const listed = await d.$$eval('.transfer-doctor', (els) => els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => e.textContent ?? ''));
  expect(listed).toContain('钱医生副主任医师 · 神经内科');
  expect(listed.join('')).not.toContain(doctor.name);
  await fill(d, '.transfer-filter', '钱');
  await shown(d, '.transfer-doctor >> text=钱医生').click();
  expect(await shown(d, '.transfer-submit').textContent()).toBe('转诊给钱医生');
  await shown(d, '.transfer-submit').click();
  await shown(d, '.taro-model__confirm').click();
  await shown(d, '.sessions').waitFor();

  const q = await openAs(suite.browser, suite.server, other);
  await shown(q, '.queue-inProgress .session-name >> text=李雷').click();
  await shown(q, '.chat .input-field').waitFor();
  expect(await shown(q, '.patient-panel-who').textContent()).toBe('李雷 · 男 · 38岁');

  const old = await openAs(suite.browser, suite.server, doctor, { sessionId: 'team-enc-2' });
  await shown(old, '.transferred-away').waitFor();
  expect(await old.$$('.input-field >> visible=true')).toHaveLength(0);
  expect(await old.$$('.consultation-close >> visible=true')).toHaveLength(0);
});
