/**
 * Media, cards and locations through the app's own stack (store + controller + local provider) against
 * a real server: upload progress, the server's measured attach, failed uploads and their resend.
 */
import type { ImageAttach } from '../../types/media';
import type { Account } from '../../types/message';
import type { UploadFn } from '../../src/platform/upload-http';
import { HttpError } from '../../src/platform/http-error';
import { ChatClient, until } from '../helpers/chat-client';
import { doctor, patient, SESSION, startConsultationServer } from '../helpers/consultation';
import { png } from '../helpers/fixtures';
import { nodeUpload } from '../helpers/node-upload';
import type { TestServer } from '../helpers/server';

let server: TestServer;
const running: ChatClient[] = [];

beforeEach(async () => {
  server = await startConsultationServer();
});

afterEach(async () => {
  for (const c of running.splice(0)) c.stop();
  await server.dispose();
});

async function client(account: Account, upload?: UploadFn): Promise<ChatClient> {
  const c = new ChatClient({ url: server.url, token: await server.auth.issue(account), upload });
  running.push(c);
  await c.startSynced();
  return c;
}

test('an image shows at once from the local file, uploads with progress, and reaches the doctor measured', async () => {
  const progress: Array<number | undefined> = [];
  const p = await client(patient);
  p.store.subscribe((s, prev) => {
    if (s.uploads !== prev.uploads) progress.push(Object.values(s.uploads)[0]);
  });
  const d = await client(doctor);
  const bytes = await png(300, 200);
  const blob = new Blob([new Uint8Array(bytes)], { type: 'image/png' });
  const sending = p.controller.sendFile(SESSION, 'image', { path: 'blob:local/1', name: '皮疹.png', size: bytes.length, blob, w: 300, h: 200 });
  // Before the upload finishes the bubble already has the local file and its size.
  expect(p.messages(SESSION)[0]).toMatchObject({ type: 'image', status: 'sending', attach: { url: 'blob:local/1', w: 300, h: 200 } });
  await sending;
  await until(() => d.messages(SESSION).length === 1, 'doctor got the image');
  expect(progress).toEqual([0, 1, undefined]);
  const mine = p.messages(SESSION)[0];
  expect(mine.status).toBe('sent');
  const theirs = d.messages(SESSION)[0].attach as unknown as ImageAttach;
  expect(theirs).toMatchObject({ name: '皮疹.png', w: 300, h: 200, ext: 'png', size: bytes.length });
  const res = await fetch(server.url + theirs.thumbUrl);
  expect(res.headers.get('content-type')).toBe('image/jpeg');
  expect(p.outbox()).toEqual([]);
});

test('a refused upload fails with the server reason; a failed upload is uploaded again on resend', async () => {
  let calls = 0;
  const flaky: UploadFn = async (req) => {
    calls++;
    if (calls === 2) throw new HttpError('network', '上传失败：网络错误');
    return nodeUpload(req);
  };
  const p = await client(patient, flaky);
  const d = await client(doctor);
  const notImage = new Blob(['这不是图片']);
  await p.controller.sendFile(SESSION, 'image', { path: 'blob:x', name: 'x.png', size: 15, blob: notImage });
  const refused = p.messages(SESSION)[0];
  expect(refused.status).toBe('sendFailed');
  expect(refused.error).toContain('不支持的图片格式');

  const bytes = await png(20, 20);
  await p.controller.sendFile(SESSION, 'image', { path: 'blob:y', name: 'y.png', size: bytes.length, blob: new Blob([new Uint8Array(bytes)]) });
  const failed = p.messages(SESSION)[1];
  expect(failed).toMatchObject({ status: 'sendFailed', error: '上传失败：网络错误' });
  await p.controller.resend(SESSION, failed.idClient);
  await until(() => d.messages(SESSION).length === 1, 'doctor got the resent image');
  expect(calls).toBe(3);
  // Acked, it moves before the still-failed one (stored messages first, by seq).
  expect(p.messages(SESSION).map((m) => [m.idClient, m.status])).toEqual([
    [failed.idClient, 'sent'],
    [refused.idClient, 'sendFailed'],
  ]);
});

test('the doctor sends a card and a location; the patient gets them as the server stamped them', async () => {
  const p = await client(patient);
  const d = await client(doctor);
  await d.controller.sendCard(SESSION, { card: 'summary', complaint: '皮肤瘙痒', diagnosis: '过敏性皮炎', advice: '避免接触过敏原' });
  await d.controller.sendLocation(SESSION, { lat: 30.25, lng: 120.17, title: '皮肤科门诊 3 楼' });
  await until(() => p.messages(SESSION).length === 2, 'patient got both');
  const [card, geo] = p.messages(SESSION);
  expect(card).toMatchObject({ type: 'custom', attach: { card: 'summary', doctor: '张医生', diagnosis: '过敏性皮炎' } });
  expect(geo).toMatchObject({ type: 'geo', attach: { lat: 30.25, lng: 120.17, title: '皮肤科门诊 3 楼' } });
  expect(d.messages(SESSION).map((m) => m.status)).toEqual(['sent', 'sent']);
});
