/**
 * What the H5 build fetches on the way from the SMS link to the chat (issue 18), by the requests
 * Chromium makes, not by timing: the chat's chunk (the `consult` subpackage) is fetched while the
 * sign-in is still unanswered and only once; a sign-in without network is explained; neither hls.js nor the image viewer (Swiper) is on the
 * way; a video in the chat loads nothing until it is tapped, then plays; the viewer comes with the
 * first tap on a photo. Needs a fresh `taro build --type h5`.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { entryLink } from '../../server/api';
import { DEMO } from '../../server/demo';
import { until } from '../helpers/chat-client';
import { png, webmClip } from '../helpers/fixtures';
import { h5Suite, openAs, synced } from '../helpers/h5';
import { uploadAs } from '../helpers/upload';
import { WsClient } from '../helpers/ws-client';

jest.setTimeout(120_000);

const suite = h5Suite();
const SESSION = `team-${DEMO.consultationId}`;
const CONSULT_JS = /^\/chunk\/consult\.[0-9a-f]{8}\.js$/;
const HLS_JS = /^\/chunk\/hls\.[0-9a-f]{8}\.js$/;
const VIEWER_JS = /^\/chunk\/image-viewer\.[0-9a-f]{8}\.js$/;
const SIGN_IN = '/api/login/link';

/** The paths of every request the context's pages make, and of those whose response has arrived. */
function recordRequests(context: BrowserContext): { requested: string[]; finished: string[] } {
  const seen = { requested: [] as string[], finished: [] as string[] };
  context.on('request', (r) => seen.requested.push(new URL(r.url()).pathname));
  context.on('requestfinished', (r) => seen.finished.push(new URL(r.url()).pathname));
  return seen;
}

/** The patient, over the protocol, sends a file uploaded as `kind` to the demo consultation. */
async function patientSends(type: 'image' | 'video', fileId: string): Promise<void> {
  const patient = await WsClient.login(suite.server, DEMO.patient);
  try {
    await patient.request('send', {
      msg: { scene: 'team', to: DEMO.consultationId, type, body: '', attach: { fileId }, idClient: `first-load-${type}-${Date.now()}` },
    });
  } finally {
    patient.ws.close();
  }
}

/** The doctor's chat open and synced, every request of it recorded, when the patient sends the upload. */
async function doctorReceives(type: 'image' | 'video', fileId: string): Promise<{ doctor: Page; seen: ReturnType<typeof recordRequests> }> {
  let seen!: ReturnType<typeof recordRequests>;
  const doctor = await openAs(suite.browser, suite.server, DEMO.doctor, {
    sessionId: SESSION,
    setup: async (c) => void (seen = recordRequests(c)),
  });
  await synced(doctor);
  await patientSends(type, fileId);
  return { doctor, seen };
}

test('the chat chunk is fetched while the sign-in is unanswered, once; neither hls.js nor the image viewer is on the way to the composer', async () => {
  let seen!: ReturnType<typeof recordRequests>;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let answered = false;
  const page: Page = await openAs(suite.browser, suite.server, DEMO.patient, {
    sessionId: SESSION,
    setup: async (c) => {
      seen = recordRequests(c);
      await c.route(`**${SIGN_IN}`, async (route) => {
        await held;
        answered = true;
        await route.continue();
      });
    },
  });
  await until(() => seen.requested.includes(SIGN_IN), 'the sign-in request');
  await until(() => seen.finished.some((p) => CONSULT_JS.test(p)), 'the chat chunk, with the sign-in held');
  expect(answered).toBe(false);
  expect(await page.isVisible('.input-field')).toBe(false);

  release();
  await synced(page);
  // The router's navigation to the chat used the chunk fetched during sign-in.
  expect(seen.requested.filter((p) => CONSULT_JS.test(p))).toHaveLength(1);
  expect(seen.requested.filter((p) => HLS_JS.test(p) || VIEWER_JS.test(p))).toEqual([]);
});

test('a sign-in without network is explained, and the link stays unused', async () => {
  const context = await suite.browser.newContext({ viewport: { width: 390, height: 760 } });
  try {
    await context.route(`**${SIGN_IN}`, (route) => route.abort('internetdisconnected'));
    const page = await context.newPage();
    const link = await entryLink(suite.server.url, suite.server.auth, DEMO.patient, SESSION);
    await page.goto(link);
    await page.waitForSelector('.entry-title');
    expect(await page.textContent('.entry-title')).toBe('网络连接失败');

    // Back on the network, the same SMS link opens the chat.
    await context.unroute(`**${SIGN_IN}`);
    await page.goto('about:blank');
    await page.goto(link);
    await synced(page);
  } finally {
    await context.close();
  }
});

test('a video in the chat loads nothing until tapped; the tap plays it (hls.js stays unloaded for a file that is not HLS)', async () => {
  const clip = await webmClip(suite.browser);
  const up = await uploadAs(suite.server, DEMO.patient, 'video', '复查.webm', clip, '&dur=1000');
  expect(up.status).toBe(200);

  const { doctor, seen } = await doctorReceives('video', up.body.fileId);
  const start = doctor.locator('.msg-row.theirs .msg-video-start');
  await start.waitFor();
  const fileRequests = () => seen.requested.filter((p) => p.startsWith('/api/files/'));
  expect(await doctor.$$('video')).toHaveLength(0);
  expect(fileRequests()).toEqual([]);

  await start.click();
  await doctor.waitForFunction(
    () => [...document.querySelectorAll('.msg-row.theirs video')].some((v) => (v as HTMLVideoElement).currentTime > 0.3),
    undefined,
    { timeout: 20_000 },
  );
  expect(fileRequests().length).toBeGreaterThan(0);
  expect(seen.requested.filter((p) => HLS_JS.test(p))).toEqual([]);
});

test('a photo opens in the image viewer, whose code comes with that first tap', async () => {
  const up = await uploadAs(suite.server, DEMO.patient, 'image', '舌苔.png', await png(300, 200));
  expect(up.status).toBe(200);
  const { doctor, seen } = await doctorReceives('image', up.body.fileId);
  const photo = doctor.locator('.msg-row.theirs .msg-image-img').last();
  await photo.waitFor();
  expect(seen.requested.filter((p) => VIEWER_JS.test(p))).toEqual([]);

  await photo.click();
  await doctor.waitForSelector('.preview-image taro-swiper-item-core img');
  expect(seen.requested.filter((p) => VIEWER_JS.test(p))).toHaveLength(1);
});
