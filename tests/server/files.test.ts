/**
 * Uploads and media messages against a real server and SQLite file: content checks, limits, safe
 * names, signed URLs, and who may send which attachment.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ImageAttach, MediaKind } from '../../types/media';
import { UPLOAD_LIMITS } from '../../types/media';
import type { Account, Message, OutgoingMessage } from '../../types/message';
import type { PushFrame } from '../../types/protocol';
import { doctor, patient, SESSION, startConsultationServer, stranger, TEAM } from '../helpers/consultation';
import { jpeg, pdf, png, wav } from '../helpers/fixtures';
import { expectError, WsClient, type TestServer } from '../helpers/server';
import { pharmacist } from '../helpers/rx';
import { uploadAs } from '../helpers/upload';

let server: TestServer;
const clients: WsClient[] = [];

beforeEach(async () => {
  server = await startConsultationServer();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.dispose();
});

async function login(account: Account): Promise<WsClient> {
  const c = await WsClient.login(server, account);
  clients.push(c);
  return c;
}

const upload = (as: Account | string | undefined, kind: MediaKind | string, name: string, bytes: Buffer, query = '') =>
  uploadAs(server, as, kind, name, bytes, query);

/** Nothing of a refused upload may remain: no stored file, no temp file, no row. */
function storedFiles(): { onDisk: string[]; rows: number } {
  const dir = join(server.dir, 'files');
  const onDisk = [...readdirSync(dir).filter((f) => f !== 'tmp'), ...readdirSync(join(dir, 'tmp'))];
  const db = new Database(server.dbPath, { readonly: true });
  const rows = (db.prepare('SELECT COUNT(*) AS n FROM files').get() as { n: number }).n;
  db.close();
  return { onDisk, rows };
}

let idn = 0;
const media = (type: OutgoingMessage['type'], attach: Record<string, unknown>): { msg: OutgoingMessage } => ({
  msg: { scene: 'team', to: TEAM, type, body: '', attach, idClient: `media-${++idn}-${Date.now()}` },
});


describe('upload', () => {
  test('an image is measured, thumbnailed and served back with its content type', async () => {
    const bytes = await png(640, 480);
    const { status, body } = await upload(patient, 'image', '舌苔照片.png', bytes);
    expect(status).toBe(200);
    const img = body as ImageAttach;
    expect(img).toMatchObject({ name: '舌苔照片.png', ext: 'png', mime: 'image/png', size: bytes.length, w: 640, h: 480 });
    const orig = await fetch(server.url + img.url);
    expect(orig.status).toBe(200);
    expect(orig.headers.get('content-type')).toBe('image/png');
    expect(orig.headers.get('content-security-policy')).toContain('sandbox');
    expect(Buffer.from(await orig.arrayBuffer()).equals(bytes)).toBe(true);
    const thumb = await fetch(server.url + img.thumbUrl);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    const thumbBytes = Buffer.from(await thumb.arrayBuffer());
    expect(thumbBytes.subarray(0, 3).toString('hex')).toBe('ffd8ff');
    expect(thumbBytes.length).toBeLessThan(bytes.length);
  });

  test('audio serves byte ranges (seeking in a player)', async () => {
    const bytes = wav(1200);
    const { status, body } = await upload(patient, 'audio', 'voice.wav', bytes, '&dur=1200');
    expect(status).toBe(200);
    expect(body).toMatchObject({ ext: 'wav', mime: 'audio/wav', dur: 1200 });
    const part = await fetch(server.url + body.url, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true);
  });

  test('too large: refused with fileTooLarge, nothing stored', async () => {
    const big = Buffer.concat([await jpeg(), Buffer.alloc(UPLOAD_LIMITS.image)]);
    const res = await upload(patient, 'image', 'big.jpg', big);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'fileTooLarge' });
    expect(res.body.error?.message).toContain('10 MB');
    expect(storedFiles()).toEqual({ onDisk: [], rows: 0 });
  });

  test('too large without a content-length (chunked): stopped at the limit, nothing stored', async () => {
    const chunks = [await jpeg(), Buffer.alloc(UPLOAD_LIMITS.audio + 1024)];
    const boundary = 'xBOUNDARYx';
    const head = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a.mp3"\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const part of [head, ...chunks, tail]) c.enqueue(new Uint8Array(part));
        c.close();
      },
    });
    const res = await fetch(`${server.url}/api/upload?kind=audio&dur=1000`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { authorization: `Bearer ${await server.auth.issue(patient)}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(storedFiles()).toEqual({ onDisk: [], rows: 0 });
  });

  test('wrong type by content: a PDF sent as an image, a text file sent as audio', async () => {
    const asImage = await upload(patient, 'image', 'report.pdf', pdf());
    expect(asImage.status).toBe(415);
    expect(asImage.body.error).toMatchObject({ code: 'invalidUpload' });
    expect(asImage.body.error?.message).toContain('pdf');
    const asAudio = await upload(patient, 'audio', 'voice.mp3', Buffer.from('not audio at all'), '&dur=1000');
    expect(asAudio.status).toBe(415);
    expect(storedFiles()).toEqual({ onDisk: [], rows: 0 });
  });

  test('forged extension: a page named .jpg, a PDF named .jpg as a document, a corrupt PNG', async () => {
    const html = Buffer.from('<html><script>alert(1)</script></html>');
    expect((await upload(patient, 'image', 'photo.jpg', html)).status).toBe(415);
    const forged = await upload(patient, 'file', 'photo.jpg', pdf());
    expect(forged.status).toBe(415);
    expect(forged.body.error?.message).toContain('扩展名');
    const corrupt = Buffer.concat([(await png()).subarray(0, 60)]);
    const broken = await upload(patient, 'image', 'x.png', corrupt);
    expect(broken.status).toBe(415);
    expect(broken.body.error?.message).toContain('损坏');
    expect(storedFiles()).toEqual({ onDisk: [], rows: 0 });
  });

  test('traversal names are reduced to a plain display name; the file is stored under a random id', async () => {
    const res = await upload(patient, 'file', '../../../etc/化验单.pdf', pdf());
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('化验单.pdf');
    const { onDisk } = storedFiles();
    expect(onDisk).toEqual([res.body.fileId]);
    const served = await fetch(server.url + res.body.url);
    expect(served.headers.get('content-disposition')).toBe(`attachment; filename*=UTF-8''${encodeURIComponent('化验单.pdf')}`);
    // Ids are checked before any path is built.
    const traversal = await fetch(`${server.url}/api/files/..%2F..%2Fchat.sqlite`);
    expect(traversal.status).toBe(404);
  });

  test('plain text is accepted only as valid UTF-8 named .txt', async () => {
    expect((await upload(patient, 'file', '病史.txt', Buffer.from('三年前做过阑尾手术'))).status).toBe(200);
    expect((await upload(patient, 'file', 'bin.txt', Buffer.from([0xff, 0xfe, 0x00, 0x41]))).status).toBe(415);
    expect((await upload(patient, 'file', 'notes', Buffer.from('no extension'))).status).toBe(415);
  });

  test('no token, a bad token, an unknown kind, an empty file, no file field', async () => {
    expect((await upload(undefined, 'image', 'a.png', await png())).status).toBe(401);
    const bad = await upload('not-a-token', 'image', 'a.png', await png());
    expect(bad.status).toBe(401);
    expect(bad.body.error).toMatchObject({ code: 'authFailed' });
    expect((await upload(patient, 'exe', 'a.png', await png())).status).toBe(415);
    expect((await upload(patient, 'image', 'a.png', Buffer.alloc(0))).status).toBe(415);
    const noFile = await fetch(`${server.url}/api/upload?kind=image`, {
      method: 'POST',
      body: new URLSearchParams({ a: 'b' }),
      headers: { authorization: `Bearer ${await server.auth.issue(patient)}` },
    });
    expect(noFile.status).toBe(415);
    expect(storedFiles()).toEqual({ onDisk: [], rows: 0 });
  });

  test('a pharmacist, who takes part in no conversation, uploads nothing: refused before the body, nothing stored', async () => {
    await server.storage.upsertAccount(pharmacist);
    const refused = await upload(pharmacist, 'image', 'a.png', await png());
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({ code: 'forbidden', message: 'a pharmacist cannot upload' });
    expect(storedFiles()).toEqual({ onDisk: [], rows: 0 });
  });

  test('file URLs: a changed signature, another variant or another file id is refused', async () => {
    const { body } = await upload(patient, 'file', 'a.pdf', pdf());
    const url = new URL(server.url + body.url);
    const tampered = new URL(url);
    tampered.searchParams.set('sig', `${url.searchParams.get('sig')?.slice(0, -2)}AA`);
    expect((await fetch(tampered)).status).toBe(403);
    const thumb = new URL(url);
    thumb.searchParams.set('v', 'thumb');
    expect((await fetch(thumb)).status).toBe(403);
    const later = new URL(url);
    later.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 3_600_000));
    expect((await fetch(later)).status).toBe(403);
  });
});

test('file URLs expire', async () => {
  await server.dispose();
  let now = Date.now();
  server = await startConsultationServer({ now: () => now, fileUrlTtlSec: 60 });
  const { body } = await upload(patient, 'file', 'a.pdf', pdf());
  expect((await fetch(server.url + body.url)).status).toBe(200);
  now += 2 * 3_600_000;
  const expired = await fetch(server.url + body.url);
  expect(expired.status).toBe(403);
  expect(((await expired.json()) as { error: { message: string } }).error.message).toContain('expired');
});

describe('media messages', () => {
  test('an image message reaches the doctor with measured fields and working URLs', async () => {
    const p = await login(patient);
    const d = await login(doctor);
    const { body } = await upload(patient, 'image', 'rash.jpg', await jpeg(64, 48));
    // What the client claims besides the file id is not trusted: only the id may be sent.
    await expectError(p.request('send', media('image', { fileId: body.fileId, w: 9999 })), 'invalidMessage');
    const ack = await p.request('send', media('image', { fileId: body.fileId }));
    const push = await d.waitFor((f): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg');
    expect(push.msg).toMatchObject({ type: 'image', seq: ack.seq, attach: { w: 64, h: 48, ext: 'jpg', name: 'rash.jpg' } });
    const attach = push.msg.attach as unknown as ImageAttach;
    expect((await fetch(server.url + attach.thumbUrl)).status).toBe(200);
    // History carries fresh URLs too.
    const page = await d.request('history', { sessionId: SESSION, limit: 10 });
    expect((page.msgs[0].attach as unknown as ImageAttach).url).toMatch(/^\/api\/files\/.+sig=/);
  });

  test("another account's upload, or an upload of another kind, cannot be sent", async () => {
    const p = await login(patient);
    const s = await login(stranger);
    const { body } = await upload(stranger, 'image', 'x.png', await png(10, 10));
    await expectError(p.request('send', media('image', { fileId: body.fileId })), 'invalidMessage');
    await expectError(p.request('send', media('file', { fileId: body.fileId })), 'invalidMessage');
    await expectError(p.request('send', media('image', { fileId: 'nope' })), 'invalidMessage');
    await expectError(p.request('send', media('image', {})), 'invalidMessage');
    // And the stranger cannot post into the consultation with it either.
    await expectError(s.request('send', media('image', { fileId: body.fileId })), 'forbidden');
  });

  test('voice needs its duration; it is capped at 300 s', async () => {
    const p = await login(patient);
    const noDur = await upload(patient, 'audio', 'v.wav', wav(1000));
    await expectError(p.request('send', media('audio', { fileId: noDur.body.fileId })), 'invalidMessage');
    const long = await upload(patient, 'audio', 'v.wav', wav(1000), '&dur=900000');
    expect(long.body).toMatchObject({ dur: 300_000 });
    expect((await upload(patient, 'audio', 'v.wav', wav(1000), '&dur=abc')).status).toBe(415);
  });

  test('locations are validated', async () => {
    const p = await login(patient);
    const d = await login(doctor);
    await expectError(p.request('send', media('geo', { lat: 91, lng: 0, title: 'x' })), 'invalidMessage');
    await expectError(p.request('send', media('geo', { lat: 30, lng: 120 })), 'invalidMessage');
    await p.request('send', media('geo', { lat: 30.27, lng: 120.16, title: '浙江大学医学院附属第一医院' }));
    const push = await d.waitFor((f): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg');
    expect(push.msg.attach).toEqual({ lat: 30.27, lng: 120.16, title: '浙江大学医学院附属第一医院' });
  });
});

describe('cards', () => {
  const prescription = {
    card: 'prescription',
    diagnosis: '急性上呼吸道感染',
    drugs: [{ name: '布洛芬缓释胶囊', spec: '0.3g×20粒', dosage: '每次 1 粒', frequency: '每日 2 次', days: 3 }],
  };

  const summary = { card: 'summary', complaint: '咽痛三天', diagnosis: '急性上呼吸道感染', advice: '多饮水，三天后复诊' };

  test('a patient cannot send a doctor’s card; the doctor can, stamped by the server; a prescription is issued, not sent', async () => {
    const p = await login(patient);
    const d = await login(doctor);
    const msg = await expectError(p.request('send', media('custom', summary)), 'forbidden');
    expect(msg).toContain('医生');
    // Valid only signed and reviewed: tests/server/prescription*.test.ts.
    expect(await expectError(d.request('send', media('custom', prescription)), 'forbidden')).toMatch(/开方/);
    const before = Date.now();
    await d.request('send', media('custom', summary));
    const push = await p.waitFor((f): f is Extract<PushFrame, { type: 'msg' }> => f.type === 'msg');
    const got = push.msg as Message;
    expect(got.attach).toMatchObject({ ...summary, doctor: doctor.name });
    expect((got.attach as { issuedAt: number }).issuedAt).toBeGreaterThanOrEqual(before);
  });

  test('card schemas: no drugs, unknown card, extra fields, forged doctor are refused', async () => {
    const d = await login(doctor);
    await expectError(d.request('send', media('custom', { ...prescription, drugs: [] })), 'invalidMessage');
    await expectError(d.request('send', media('custom', { card: 'coupon', amount: 5 })), 'invalidMessage');
    await expectError(d.request('send', media('custom', { ...prescription, doctor: '王主任' })), 'invalidMessage');
    await expectError(d.request('send', media('custom', { card: 'labRequest', items: ['血常规'] })), 'invalidMessage');
    await d.request('send', media('custom', { card: 'labRequest', items: ['血常规', 'C反应蛋白'], reason: '排除细菌感染' }));
    await d.request('send', media('custom', { card: 'followUp', at: Date.now() + 7 * 86_400_000, note: '一周后复诊' }));
  });
});
