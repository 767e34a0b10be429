/**
 * Uploads against abuse and leaks: a body cut short leaves nothing behind, stored images carry no
 * metadata, display names carry no direction controls, per-account quotas, and uploads no message
 * refers to are swept.
 */
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { startServer } from '../../server/app';
import type { ImageAttach } from '../../types/media';
import type { Account } from '../../types/message';
import { patient, startConsultationServer, TEAM } from '../helpers/consultation';
import { jpeg, pdf, png } from '../helpers/fixtures';
import { testConfig, WsClient, type TestServer } from '../helpers/server';
import { uploadAs } from '../helpers/upload';

let server: TestServer;
const clients: WsClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.dispose();
});

const upload = (as: Account, kind: string, name: string, bytes: Buffer) => uploadAs(server, as, kind, name, bytes);
const filesDir = () => join(server.dir, 'files');
const tmpFiles = () => readdirSync(join(filesDir(), 'tmp'));
const storedOnDisk = () => readdirSync(filesDir()).filter((f) => f !== 'tmp');

/** Paths this process holds open under `dir`. */
function openUnder(dir: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) open.push(target);
    } catch {
      // closed between the listing and the read
    }
  }
  return open;
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function rawSocket(): Promise<Socket> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

const BOUNDARY = 'xSAFETYx';
const partHead = (name: string) => `--${BOUNDARY}\r\ncontent-disposition: form-data; name="file"; filename="${name}"\r\n\r\n`;
const uploadHead = (token: string, kind: string, length: number) =>
  `POST /api/upload?kind=${kind} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${token}\r\n` +
  `content-type: multipart/form-data; boundary=${BOUNDARY}\r\ncontent-length: ${length}\r\n\r\n`;

describe('an upload cut short', () => {
  test('a body dropped after 50 KB of 1 MB leaves no temp file and no open descriptor', async () => {
    server = await startConsultationServer();
    const s = await rawSocket();
    s.on('error', () => undefined);
    s.write(uploadHead(await server.auth.issue(patient), 'file', 1_000_000) + partHead('report.pdf'));
    s.write(Buffer.concat([pdf(), Buffer.alloc(50 * 1024, 0x20)]));
    // The server has started writing it, so the rest of the test is about the abort, not a race.
    await until('the temp file exists', () => tmpFiles().length === 1);
    s.destroy();
    await until('the temp file is gone', () => tmpFiles().length === 0);
    await until('no descriptor is open on it', () => openUnder(filesDir()).length === 0);
    expect(storedOnDisk()).toEqual([]);
  });

  test('a download dropped midway closes the stored file', async () => {
    server = await startConsultationServer();
    const big = Buffer.concat([pdf(), Buffer.alloc(8 * 1024 * 1024, 0x20)]);
    const { body } = await upload(patient, 'file', 'scan.pdf', big);
    const s = await rawSocket();
    s.on('error', () => undefined);
    const first = new Promise((r) => s.once('data', r));
    s.write(`GET ${body.url} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
    await first;
    s.destroy();
    await until('no descriptor is open on the stored file', () => openUnder(filesDir()).length === 0);
  });

  test('a server starting on the files directory removes temp files left by a crash, not fresh ones of a peer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medchat-test-'));
    try {
      const tmp = join(dir, 'files', 'tmp');
      mkdirSync(tmp, { recursive: true });
      writeFileSync(join(tmp, 'left-by-a-crash'), 'plaintext of an upload');
      const hourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(join(tmp, 'left-by-a-crash'), hourAgo, hourAgo);
      // Several processes may share FILES_DIR: a file being written right now is another's upload.
      writeFileSync(join(tmp, 'in-flight-elsewhere'), 'being written');
      const running = await startServer(testConfig(dir), pino({ level: 'silent' }));
      await running.close();
      expect(readdirSync(tmp)).toEqual(['in-flight-elsewhere']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('image metadata', () => {
  /** A 64×48 photo taken "in portrait" (orientation 6: shown turned 90°), with GPS coordinates. */
  const geotagged = () =>
    sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 10, g: 200, b: 90 } } })
      .jpeg()
      .withExif({ IFD0: { Make: 'PhoneCo', Model: 'Phone 12' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '30/1 16/1 12/1' } })
      .withMetadata({ orientation: 6 })
      .toBuffer();

  const download = async (url: string) => Buffer.from(await (await fetch(server.url + url)).arrayBuffer());

  test('a stored original has no EXIF or GPS, its orientation applied, and its measures are of the stored bytes', async () => {
    server = await startConsultationServer();
    const photo = await geotagged();
    const before = await sharp(photo).metadata();
    // The GPS IFD pointer, tag 0x8825, little-endian as libvips writes it ("II").
    expect(before.exif?.includes(Buffer.from([0x25, 0x88]))).toBe(true);
    expect(before.orientation).toBe(6);

    const { status, body } = await upload(patient, 'image', 'home.jpg', photo);
    expect(status).toBe(200);
    const img = body as ImageAttach;
    expect(img).toMatchObject({ ext: 'jpg', mime: 'image/jpeg', w: 48, h: 64 });
    const stored = await download(img.url);
    expect(img.size).toBe(stored.length);
    const meta = await sharp(stored).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 48, height: 64 });
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect((await sharp(await download(img.thumbUrl)).metadata()).exif).toBeUndefined();
  });

  test('a photo sent as a document loses its metadata too; a PNG stays a PNG', async () => {
    server = await startConsultationServer();
    const asFile = await upload(patient, 'file', 'home.jpg', await geotagged());
    expect(asFile.status).toBe(200);
    const meta = await sharp(await download(asFile.body.url)).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 48, height: 64 });
    expect(meta.exif).toBeUndefined();

    const tagged = await sharp(await png(30, 20)).withExif({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '30/1 16/1 12/1' } }).png().toBuffer();
    const { body } = await upload(patient, 'image', 'scan.png', tagged);
    const stored = await download(body.url);
    expect(body).toMatchObject({ ext: 'png', mime: 'image/png', size: stored.length, w: 30, h: 20 });
    const pngMeta = await sharp(stored).metadata();
    expect(pngMeta.format).toBe('png');
    expect(pngMeta.exif).toBeUndefined();
  });
});

test('display names lose direction controls and other invisible characters', async () => {
  server = await startConsultationServer();
  const { status, body } = await upload(patient, 'file', 'prescription\u202Efdp.txt', Buffer.from('处方'));
  expect(status).toBe(200);
  expect(body.name).toBe('prescriptionfdp.txt');
  const zeroWidth = await upload(patient, 'file', '\u200B\u2066化验\u200D单\u2069.pdf', pdf());
  expect(zeroWidth.body.name).toBe('化验单.pdf');
});

describe('upload quotas', () => {
  test('uploadsPerHour: of 21 parallel uploads one is refused with 429 and nothing of it is stored; an hour later uploads go again', async () => {
    let now = Date.now();
    server = await startConsultationServer({ uploadsPerHour: 20, now: () => now });
    const results = await Promise.all(Array.from({ length: 21 }, (_, i) => upload(patient, 'file', `n${i}.txt`, Buffer.from(`note ${i}`))));
    const refused = results.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(1);
    expect(refused[0].status).toBe(429);
    expect(refused[0].body.error).toMatchObject({ code: 'rateLimited' });
    expect(storedOnDisk()).toHaveLength(20);
    expect(tmpFiles()).toEqual([]);
    now += 3_600_001;
    expect((await upload(patient, 'file', 'later.txt', Buffer.from('later'))).status).toBe(200);
  });

  test('uploadBytesPerDay counts admitted bytes; an announced body over the quota is refused before it is read', async () => {
    server = await startConsultationServer({ uploadBytesPerDay: 100_000 });
    expect((await upload(patient, 'file', 'a.txt', Buffer.alloc(60_000, 'a'))).status).toBe(200);
    const over = await upload(patient, 'file', 'b.txt', Buffer.alloc(60_000, 'b'));
    expect(over.status).toBe(429);
    expect(over.body.error?.message).toMatch(/\d/);
    expect((await upload(patient, 'file', 'c.txt', Buffer.alloc(1_000, 'c'))).status).toBe(200);

    // Headers only: the answer comes without a byte of the body.
    const s = await rawSocket();
    const answer = new Promise<string>((r) => s.once('data', (d: Buffer) => r(d.toString())));
    s.write(uploadHead(await server.auth.issue(patient), 'file', 5_000_000));
    expect(await answer).toMatch(/^HTTP\/1\.1 429/);
    s.destroy();
  });
});

test('refused uploads count against the quota too, and sweeping unsent uploads does not give it back', async () => {
  let now = Date.now();
  server = await startConsultationServer({ uploadsPerHour: 3, orphanUploadHours: 1, now: () => now });
  for (let i = 0; i < 3; i++) expect((await upload(patient, 'image', `bad${i}.png`, Buffer.from('not an image'))).status).toBe(415);
  expect((await upload(patient, 'file', 'ok.txt', Buffer.from('fine'))).status).toBe(429);
  now += 3_600_001;
  expect((await upload(patient, 'file', 'later.txt', Buffer.from('later'))).status).toBe(200);
  await server.sweepOrphans();
  // Two more this hour, then the third of the hour is refused whatever was swept.
  expect((await upload(patient, 'file', 'a.txt', Buffer.from('a'))).status).toBe(200);
  expect((await upload(patient, 'file', 'b.txt', Buffer.from('b'))).status).toBe(200);
  expect((await upload(patient, 'file', 'c.txt', Buffer.from('c'))).status).toBe(429);
});

describe('orphan uploads', () => {
  test('an upload no message refers to is swept after orphanUploadHours; one that was sent stays', async () => {
    let now = Date.now();
    // Swept before its upload reply's URLs expire (two hours), so that the URL finds no file.
    server = await startConsultationServer({ now: () => now, orphanUploadHours: 1, fileUrlTtlSec: 24 * 3600 });
    const p = await WsClient.login(server, patient);
    clients.push(p);
    const orphan = (await upload(patient, 'image', 'never-sent.jpg', await jpeg())).body as ImageAttach;
    const sent = (await upload(patient, 'image', 'sent.jpg', await jpeg())).body as ImageAttach;
    const ack = await p.request('send', { msg: { scene: 'team', to: TEAM, type: 'image', body: '', attach: { fileId: sent.fileId }, idClient: 'orphan-test-1' } });

    now += 30 * 60_000;
    await server.sweepOrphans();
    expect(await server.storage.getFile(orphan.fileId)).toBeDefined();

    now += 60 * 60_000;
    await server.sweepOrphans();
    expect(await server.storage.getFile(orphan.fileId)).toBeUndefined();
    expect(storedOnDisk().sort()).toEqual([sent.fileId, `${sent.fileId}.thumb.jpg`].sort());
    expect((await fetch(server.url + orphan.url)).status).toBe(404);
    expect((await fetch(server.url + orphan.thumbUrl)).status).toBe(404);
    // The sent one opens through its message's URL (the ack's, signed for the sender).
    expect((await fetch(server.url + (ack.attach as unknown as ImageAttach).url)).status).toBe(200);
  });
});
