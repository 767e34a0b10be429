/**
 * Every kind of message through the H5 build in Chromium against a real server: the patient sends a
 * photo, a voice clip (recorded from Chromium's fake microphone) and a document, the doctor sends a
 * prescription card, and each side sees the other's with its content (image loaded, audio played,
 * card fields). A forged document is refused with the server's reason. Screenshots are saved.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEMO } from '../../server/demo';
import { launchChromium } from '../helpers/browser';
import { pdf, png } from '../helpers/fixtures';
import { ARTIFACTS, openAs, startH5Server, synced } from '../helpers/h5';
import type { TestServer } from '../helpers/server';

jest.setTimeout(120_000);

const SESSION = `team-${DEMO.consultationId}`;
let server: TestServer;
let browser: Browser;
let patient: Page;
let doctor: Page;

interface Played {
  src: string;
  /** Furthest playback position reached, seconds. */
  reached: number;
  ended: boolean;
}
const playedIn = (page: Page) => page.evaluate(() => (window as unknown as { __played: Played[] }).__played);

/** Records every media element that starts playing: how far it got and whether it ended. */
function watchPlayback(): void {
  const played: Played[] = [];
  (window as unknown as { __played: Played[] }).__played = played;
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function (this: HTMLMediaElement) {
    const entry = { src: this.src, reached: 0, ended: false };
    played.push(entry);
    this.addEventListener('timeupdate', () => (entry.reached = Math.max(entry.reached, this.currentTime)));
    this.addEventListener('ended', () => (entry.ended = true));
    return play.call(this);
  };
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startH5Server();
  browser = await launchChromium([
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
  ]);
  patient = await openAs(browser, server, DEMO.patient, { sessionId: SESSION });
  doctor = await openAs(browser, server, DEMO.doctor, {
    sessionId: SESSION,
    setup: async (c) => {
      await c.addInitScript(watchPlayback);
    },
  });
  await synced(patient);
  await synced(doctor);
});

afterAll(async () => {
  for (const [name, page] of [
    ['media-patient', patient],
    ['media-doctor', doctor],
  ] as const) {
    await page?.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true }).catch(() => undefined);
  }
  await browser?.close();
  await server?.dispose();
});

async function pickFile(page: Page, item: string, file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
  await page.click('.more-toggle');
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click(`.more-item-${item}`)]);
  await chooser.setFiles(file);
}

test('a photo: the patient sees it at once with progress, the doctor gets it loaded at its known size', async () => {
  await pickFile(patient, 'image', { name: '舌苔.png', mimeType: 'image/png', buffer: await png(600, 400) });
  await patient.waitForSelector('.msg-row.mine .msg-image');
  await doctor.waitForFunction(() => {
    const img = document.querySelector('.msg-row.theirs .msg-image img') as HTMLImageElement | null;
    return Boolean(img && img.complete && img.naturalWidth > 0);
  }, undefined, { timeout: 15_000 });
  const box = await doctor.$eval('.msg-row.theirs .msg-image', (e) => {
    const r = e.getBoundingClientRect();
    return r.width / r.height;
  });
  expect(box).toBeCloseTo(1.5, 1);
  // The thumbnail is what the list loads; its URL is a signed file URL of our server.
  const src = await doctor.$eval('.msg-row.theirs .msg-image img', (e) => (e as HTMLImageElement).src);
  expect(src).toMatch(/\/api\/files\/[0-9a-f-]+\?v=thumb&exp=\d+&sig=/);
  await patient.waitForFunction(() => !document.querySelector('.upload-progress'));
  expect(await patient.textContent('.msg-row.mine .msg-status')).toMatch(/未读|已读/);
});

test('a voice clip recorded from the microphone plays on the doctor side', async () => {
  await patient.click('.voice-toggle');
  await patient.click('.voice-start');
  await patient.waitForSelector('.voice-recording');
  await patient.waitForTimeout(1_800);
  await patient.click('.voice-send');
  await doctor.waitForSelector('.msg-row.theirs .msg-voice', { timeout: 15_000 });
  const dur = await doctor.textContent('.msg-row.theirs .msg-voice-dur');
  expect(dur).toMatch(/^[23]"$/);
  await doctor.click('.msg-row.theirs .msg-voice');
  await doctor.waitForSelector('.msg-voice.playing');
  // It played to the end, then the bubble left its playing state.
  await doctor.waitForFunction(() => !document.querySelector('.msg-voice.playing'), undefined, { timeout: 15_000 });
  const [played] = await playedIn(doctor);
  expect(played.src).toMatch(/\/api\/files\/[0-9a-f-]+\?v=orig/);
  expect(played.ended).toBe(true);
  expect(played.reached).toBeGreaterThan(1);
  await patient.click('.voice-toggle');
});

test('a document arrives with its name and size; a forged one is refused with the reason', async () => {
  await pickFile(patient, 'file', { name: '血常规报告.pdf', mimeType: 'application/pdf', buffer: pdf() });
  await doctor.waitForFunction(() => document.querySelector('.msg-row.theirs .msg-file-name')?.textContent === '血常规报告.pdf');
  expect(await doctor.textContent('.msg-row.theirs .msg-file-size')).toMatch(/^\d+ B$/);
  expect(await doctor.textContent('.msg-row.theirs .msg-file-badge')).toBe('PDF');

  await pickFile(patient, 'file', { name: '化验单.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<html>not a pdf</html>') });
  await patient.waitForSelector('.msg-failed');
  expect(await patient.textContent('.msg-failed')).toContain('不支持的文件格式');
  await doctor.waitForTimeout(300);
  expect(await doctor.$$eval('.msg-row.theirs .msg-file', (els) => els.length)).toBe(1);
});

test('only the doctor has cards; the prescription arrives with its fields', async () => {
  await patient.click('.more-toggle');
  expect(await patient.$$('.more-item-prescription')).toHaveLength(0);
  await patient.click('.more-toggle');

  await doctor.click('.more-toggle');
  await doctor.click('.more-item-prescription');
  // The prescription form (issue 17): what is missing is said before anything is sent.
  await doctor.click('.rx-submit');
  await doctor.waitForSelector('text=请填写诊断');
  await doctor.fill('.rx-diagnosis input', '慢性浅表性胃炎');
  await doctor.fill('.rx-drug-name input', '奥美拉唑肠溶胶囊');
  await doctor.fill('.rx-drug-specification input', '20mg×14粒/盒');
  await doctor.fill('.rx-drug-dosage input', '每次 20mg');
  await doctor.fill('.rx-drug-usage input', '口服，每日 1 次，早餐前');
  await doctor.fill('.rx-note textarea', '忌辛辣，规律饮食');
  await doctor.screenshot({ path: join(ARTIFACTS, 'media-card-composer.png') });
  await doctor.click('.rx-submit');
  await doctor.waitForSelector('.rx-submit', { state: 'hidden' });

  await patient.waitForSelector('.msg-row.theirs .msg-card-rx', { timeout: 15_000 });
  const card = await patient.$$eval('.msg-row.theirs .msg-card-rx', ([el]) => ({
    title: el.querySelector('.msg-card-title')?.textContent,
    state: el.querySelector('.rx-state')?.textContent,
    values: [...el.querySelectorAll('.msg-card-value')].map((v) => v.textContent),
    footer: el.querySelector('.msg-card-footer')?.textContent,
  }));
  expect(card.title).toBe('电子处方');
  expect(card.state).toBe('待审核');
  expect(card.values).toEqual(['慢性浅表性胃炎', '奥美拉唑肠溶胶囊（20mg×14粒/盒）× 1盒，每次 20mg，口服，每日 1 次，早餐前', '忌辛辣，规律饮食']);
  expect(card.footer).toMatch(/^张医生 开具于 \d{4}年\d+月\d+日 \d\d:\d\d$/);
});

test('emoji from the panel render as emoji and markup stays text', async () => {
  await patient.click('.emoji-toggle');
  await patient.click('.emoji-item[aria-label="谢谢"]');
  await patient.fill('.input-field input', `${await patient.inputValue('.input-field input')}<img src=x onerror="window.__xss=1">`);
  await patient.click('.input-send');
  await doctor.waitForFunction(
    () => [...document.querySelectorAll('.msg-row.theirs')].pop()?.querySelector('.msg-emoji')?.textContent === '🙏',
    undefined,
    { timeout: 15_000 },
  );
  const last = await doctor.$$eval('.msg-row.theirs .msg-text', (els) => els[els.length - 1].textContent);
  expect(last).toBe('🙏<img src=x onerror="window.__xss=1">');
  expect(await doctor.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await doctor.$$('.msg-text img')).toHaveLength(0);
});
