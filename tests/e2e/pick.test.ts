/**
 * Photos and videos chosen in the + panel of the H5 build, as a person picks them: a video clip reaches
 * the doctor (the File itself is uploaded, not a data: URL the page's CSP refuses to read), and a photo
 * Chromium cannot decode is not dropped without a word: its bubble shows the server's reason. Uncaught
 * errors and CSP violations fail every test (helpers/browser.ts).
 */
import type { Page } from 'playwright-core';
import { DEMO } from '../../server/demo';
import { webmClip } from '../helpers/fixtures';
import { h5Suite, openAs, synced } from '../helpers/h5';

jest.setTimeout(120_000);

const suite = h5Suite();
const SESSION = `team-${DEMO.consultationId}`;

async function pick(page: Page, item: 'image' | 'video', file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
  await page.click('.more-toggle');
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click(`.more-item-${item}`)]);
  await chooser.setFiles(file);
}

async function both(): Promise<{ patient: Page; doctor: Page }> {
  const patient = await openAs(suite.browser, suite.server, DEMO.patient, { sessionId: SESSION });
  const doctor = await openAs(suite.browser, suite.server, DEMO.doctor, { sessionId: SESSION });
  await synced(patient);
  await synced(doctor);
  return { patient, doctor };
}

test('a video clip chosen in the + panel reaches the doctor under its own name', async () => {
  const { patient, doctor } = await both();
  await pick(patient, 'video', { name: '咳嗽.webm', mimeType: 'video/webm', buffer: await webmClip(suite.browser) });
  await doctor.waitForSelector('.msg-row.theirs .msg-video', { timeout: 15_000 });
  await patient.waitForFunction(() => /未读|已读/.test(document.querySelector('.msg-row.mine .msg-status')?.textContent ?? ''));
  const stored = (await suite.server.storage.history(SESSION, undefined, 10)).filter((m) => m.type === 'video');
  expect(stored).toHaveLength(1);
  expect(stored[0].attach).toMatchObject({ name: '咳嗽.webm', ext: 'webm' });
});

test('a photo the browser cannot decode gets a bubble with the reason instead of vanishing', async () => {
  const { patient, doctor } = await both();
  await pick(patient, 'image', { name: 'IMG_0001.png', mimeType: 'image/png', buffer: Buffer.from('not a picture at all') });
  await patient.waitForSelector('.msg-row.mine .msg-failed', { timeout: 15_000 });
  expect(await patient.textContent('.msg-row.mine .msg-failed')).toContain('不支持的图片格式');
  expect(await doctor.$$('.msg-row.theirs .msg-image')).toHaveLength(0);
});
