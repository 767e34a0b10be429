/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["node", "node-addons"]}
 *
 * The compiled WeChat build (dist/weapp, built by `npm test` first), rendered by WeChat's own template
 * compiler in miniprogram-simulate, talking to a real server through faked wx sockets.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PushFrame } from '../../types/protocol';
import { DEMO } from '../../server/demo';
import { spawnServer, type ServerProcess } from '../helpers/server-process';
import { png } from '../helpers/fixtures';
import { WsClient } from '../helpers/ws-client';
import { createWxFake, type WxFake } from './wx-fake';
import { until, WeappSimulator } from './simulator';

jest.setTimeout(60_000);

const DIST = resolve(__dirname, '../../dist/weapp');
const SESSION = `team-${DEMO.consultationId}`;

let server: ServerProcess;
let fake: WxFake;
let sim: WeappSimulator;

beforeAll(async () => {
  server = await spawnServer();
  fake = createWxFake(server.url);
  sim = new WeappSimulator(DIST, fake.wx);
});

afterAll(async () => {
  for (const ws of fake.sockets) ws.terminate();
  await server.stop();
});

test('without a token the entry page asks for the SMS link', async () => {
  const page = sim.open('pages/entry/index');
  await until(() => page.dom?.textContent?.includes('短信链接') ?? false, 'the hint');
  expect(fake.navigations).toEqual([]);
  page.detach();
});

test('the entry page keeps a host app session token and relaunches into the named chat', async () => {
  const token = server.tokens.patient;
  const page = sim.open('pages/entry/index', { token: encodeURIComponent(token), session: SESSION });
  await until(() => fake.navigations.length > 0, 'a navigation');
  expect(fake.navigations).toEqual([`/consult/chat/index?id=${encodeURIComponent(SESSION)}`]);
  expect(fake.storage.get('medchat.token')).toBe(token);
  page.detach();
});

test('the chat page shows the doctor’s message and a tap on 发送 delivers the patient’s reply', async () => {
  const doctor = await WsClient.loginWithToken(server, server.tokens.doctor);
  await doctor.request('send', {
    msg: { scene: 'team', to: DEMO.consultationId, type: 'text', body: '您好，请描述一下症状', idClient: 'weapp-doc-1' },
  });

  const page = sim.open('consult/chat/index', { id: SESSION });
  const text = () => page.dom?.textContent ?? '';
  await until(() => text().includes('您好，请描述一下症状'), 'the doctor’s message');
  expect(fake.titles).toContain(DEMO.doctor.name);
  // The consultation stays out of screenshots and screen recordings.
  expect(fake.captureEffects).toEqual(['hidden']);

  const input = page.querySelector('.input-field');
  const send = page.querySelector('.input-send');
  expect(input).toBeDefined();
  expect(send).toBeDefined();
  input?.dispatchEvent('input', { detail: { value: '嗓子疼，有点发烧' } });
  await simulateTick();
  send?.dispatchEvent('tap');

  const push = await doctor.waitFor(
    (f): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg' && f.msg.body === '嗓子疼，有点发烧',
  );
  expect(push.msg).toMatchObject({ from: DEMO.patient.account, sessionId: SESSION, seq: 2 });
  await until(() => text().includes('嗓子疼，有点发烧'), 'the sent message in the list');
  doctor.close();
  page.detach();
});

test('on the weapp a message typed while wx reports no network goes out when it is back', async () => {
  const doctor = await WsClient.loginWithToken(server, server.tokens.doctor);
  const page = sim.open('consult/chat/index', { id: SESSION });
  const text = () => page.dom?.textContent ?? '';
  await until(() => fake.network.size > 0 && !text().includes('正在'), 'connected with a network listener');
  const setNetwork = (isConnected: boolean) => {
    for (const cb of fake.network) cb({ isConnected, networkType: isConnected ? 'wifi' : 'none' });
  };

  setNetwork(false);
  await until(() => text().includes('网络不可用'), 'the offline banner').catch((e: Error) => {
    throw new Error(`${e.message}: ${text()}`);
  });
  page.querySelector('.input-field')?.dispatchEvent('input', { detail: { value: '小程序离线时写的' } });
  await simulateTick();
  page.querySelector('.input-send')?.dispatchEvent('tap');
  await until(() => text().includes('发送中'), 'the pending bubble');
  await new Promise((r) => setTimeout(r, 300));
  expect(doctor.pushes.some((f) => f.type === 'msg' && f.msg.body === '小程序离线时写的')).toBe(false);

  setNetwork(true);
  const push = await doctor.waitFor(
    (f): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg' && f.msg.body === '小程序离线时写的',
  );
  expect(push.msg.from).toBe(DEMO.patient.account);
  doctor.close();
  page.detach();
});

test('on the weapp a photo goes through wx.chooseImage and wx.uploadFile; a lab request card renders', async () => {
  const doctor = await WsClient.loginWithToken(server, server.tokens.doctor);
  const page = sim.open('consult/chat/index', { id: SESSION });
  const text = () => page.dom?.textContent ?? '';
  await until(() => fake.network.size > 0 && !text().includes('正在'), 'connected');
  fake.files.set('wxfile://tmp_photo.png', { bytes: await png(320, 240), width: 320, height: 240 });

  // Under load the page may still be rendering: tap only once the button is there.
  await until(() => page.querySelector('.more-toggle') !== undefined, 'the + button', 15_000);
  page.querySelector('.more-toggle')?.dispatchEvent('tap');
  await until(() => page.querySelector('.more-item-image') !== undefined, 'the + panel', 15_000);
  // No document picker is offered where the platform has none; WeChat has chooseMessageFile.
  expect(page.querySelector('.more-item-file')).toBeDefined();
  expect(page.querySelector('.more-item-prescription')).toBeUndefined();
  page.querySelector('.more-item-image')?.dispatchEvent('tap');

  const push = await doctor.waitFor((f): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg' && f.msg.type === 'image');
  expect(push.msg.attach).toMatchObject({ w: 320, h: 240, ext: 'png', name: 'tmp_photo.png' });
  expect(fake.uploads[0]).toMatchObject({ name: 'file', filePath: 'wxfile://tmp_photo.png', header: { authorization: `Bearer ${server.tokens.patient}` } });
  expect(fake.uploads[0].url).toMatch(/\/api\/upload\?kind=image&name=tmp_photo\.png$/);

  await doctor.request('send', {
    msg: {
      scene: 'team',
      to: DEMO.consultationId,
      type: 'custom',
      body: '',
      attach: { card: 'labRequest', items: ['血常规', '胸部 X 线'], reason: '排除肺炎' },
      idClient: 'weapp-doc-card',
    },
  });
  await until(() => text().includes('检查申请单'), 'the card');
  expect(text()).toContain('血常规、胸部 X 线');
  expect(text()).toContain(`${DEMO.doctor.name} 申请于`);
  doctor.close();
  page.detach();
});

function simulateTick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 50));
}

test('the build output holds the pages the app config lists', () => {
  const app = JSON.parse(readFileSync(join(DIST, 'app.json'), 'utf8')) as { pages: string[]; subPackages: unknown };
  expect(app.pages).toEqual(['pages/entry/index']);
  expect(app.subPackages).toEqual([{ root: 'consult', pages: ['sessions/index', 'chat/index'] }]);
});

test('a long chat on the weapp sends each new message to the render thread as a small setData', async () => {
  const doctor = await WsClient.loginWithToken(server, server.tokens.doctor);
  // Signed in as the entry page leaves it (this test may run alone).
  fake.storage.set('medchat.token', server.tokens.patient);
  const page = sim.open('consult/chat/index', { id: SESSION });
  const text = () => page.dom?.textContent ?? '';
  const say = async (body: string, idClient: string) => {
    await doctor.request('send', { msg: { scene: 'team', to: DEMO.consultationId, type: 'text', body, idClient } });
    await until(() => text().includes(body), body);
  };
  await until(() => fake.network.size > 0 && !text().includes('正在'), 'connected');
  // Enough messages to fill the window (120 items) and make it shed its oldest ones.
  const sizes: number[] = [];
  for (let i = 1; i <= 160; i++) {
    const before = sim.setDataSizes.length;
    await say(`长对话第${i}条`, `weapp-long-${i}`);
    sizes.push(sim.setDataSizes.slice(before).reduce((a, b) => a + b, 0));
  }
  const rows = page.querySelectorAll('.msg-row').length;
  expect(rows).toBeLessThanOrEqual(120);
  // A message costs one bubble's worth of data (about 600 bytes). Mini programs re-send a whole child
  // list when an item leaves it, so the window sheds 30 items at a time: only about one message in 30
  // re-sends the list (about 35 KB here; it would be every message, 23 KB each, otherwise).
  const small = sizes.filter((n) => n < 2_000).length;
  expect(small).toBeGreaterThanOrEqual(150);
  expect(Math.max(...sizes)).toBeLessThan(100_000);
  doctor.close();
  page.detach();
});
