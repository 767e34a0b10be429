/**
 * Reads of signed file URLs against a real server and SQLite file: what a URL's check costs (one per
 * grant and file for a while), how long a recall takes to close it, the per-person limit on reads, and
 * who the audit record names as the reader.
 */
import type { VideoAttach } from '../../types/media';
import type { Message } from '../../types/message';
import { UPLOAD_URL_TTL_MS } from '../../server/files/service';
import { VERDICT_TTL_MS } from '../../server/files/verdicts';
import { type StoredMessage, teamConvId } from '../../server/storage/types';
import { doctor, patient, serverPerTest, SESSION, startConsultationServer, TEAM } from '../helpers/consultation';
import { png } from '../helpers/fixtures';
import { rxClientId } from '../helpers/rx';
import { uploadAs } from '../helpers/upload';

const METRICS_TOKEN = 'file-reads-metrics-token-0123456789';
const READS_PER_MIN = 60;
let clock = Date.now();
/** A day, as in production, where a test needs URLs to outlive the upload reply's; else the tests' hour. */
let fileUrlTtlSec: number | undefined;

const ctx = serverPerTest(async () => {
  clock = Date.now();
  return startConsultationServer({ now: () => clock, metricsToken: METRICS_TOKEN, fileReadsPerMinute: READS_PER_MIN, ...(fileUrlTtlSec ? { fileUrlTtlSec } : {}) });
});

/** An MP4 as file-type recognises it: an `ftyp` box, then 64 KB of `mdat` to read in ranges. */
function mp4(): Buffer {
  const ftyp = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.from([0, 0, 2, 0]), Buffer.from('isommp41')]);
  const mdat = Buffer.alloc(64 * 1024);
  mdat.writeUInt32BE(mdat.length, 0);
  mdat.write('mdat', 4);
  return Buffer.concat([ftyp, mdat]);
}

/** How often the server's storage was asked for one message: once per check of a URL's grant (mayOpenFile). */
async function checks(): Promise<number> {
  const text = await (await fetch(`${ctx.server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const line = /^medchat_storage_seconds_count\{op="messageAt"\} (\d+)$/m.exec(text);
  return line ? Number(line[1]) : 0;
}

const get = async (path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${ctx.server.url}${path}`, { headers });
  await res.arrayBuffer();
  return res;
};

/** The patient sends `fileId` as a message of the consultation; the doctor's view of it, its URLs signed for the doctor. */
async function sentToDoctor(type: 'image' | 'video', fileId: string): Promise<Message> {
  const p = await ctx.login(patient);
  const d = await ctx.login(doctor);
  await p.request('send', { msg: { scene: 'team', to: TEAM, type, body: '', idClient: rxClientId(), attach: { fileId } } });
  const [seen] = (await d.request('history', { sessionId: SESSION, limit: 1 })).msgs;
  return seen;
}

describe('a URL signed for a viewer and a message is checked once per file for a while', () => {
  test('a video read as forty range requests (two at a time) costs one check; after VERDICT_TTL_MS the next read checks again', async () => {
    const bytes = mp4();
    const up = await uploadAs(ctx.server, patient, 'video', 'clip.mp4', bytes);
    expect(up.status).toBe(200);
    const { url } = (await sentToDoctor('video', up.body.fileId)).attach as unknown as VideoAttach;
    expect(url).toContain(`&a=${doctor.account}`);

    const before = await checks();
    const chunk = 1600;
    for (let i = 0; i < 40; i += 2) {
      const pair = await Promise.all(
        [i, i + 1].map((n) => get(url, { range: `bytes=${n * chunk}-${n * chunk + chunk - 1}` })),
      );
      expect(pair.map((r) => r.status)).toEqual([206, 206]);
      expect(pair[1].headers.get('content-range')).toBe(`bytes ${(i + 1) * chunk}-${(i + 2) * chunk - 1}/${bytes.length}`);
    }
    expect((await checks()) - before).toBe(1);

    clock += VERDICT_TTL_MS + 1;
    expect((await get(url, { range: 'bytes=0-99' })).status).toBe(206);
    expect((await checks()) - before).toBe(2);
  });

  test('a recall made here closes the file at once; one this process is not told of (another process) within VERDICT_TTL_MS', async () => {
    const p = await ctx.login(patient);
    const d = await ctx.login(doctor);
    const photo = async () => {
      const up = await uploadAs(ctx.server, patient, 'image', 'rash.png', await png(32, 24));
      const idClient = rxClientId();
      await p.request('send', { msg: { scene: 'team', to: TEAM, type: 'image', body: '', idClient, attach: { fileId: up.body.fileId } } });
      const [seen] = (await d.request('history', { sessionId: SESSION, limit: 1 })).msgs;
      return { idClient, url: (seen.attach as { url: string }).url };
    };

    const here = await photo();
    expect((await get(here.url)).status).toBe(200);
    await p.request('recall', { sessionId: SESSION, idClient: here.idClient });
    expect((await get(here.url)).status).toBe(403);

    const elsewhere = await photo();
    expect((await get(elsewhere.url)).status).toBe(200);
    // Recalled through the storage itself, as another server process on the same database would.
    const target = await ctx.server.storage.findMessage(teamConvId(TEAM), patient.account, elsewhere.idClient);
    expect(target).toBeDefined();
    await ctx.server.storage.recall(target as StoredMessage, {
      conv: { id: teamConvId(TEAM), scene: 'team', teamId: TEAM },
      idClient: `recall:${elsewhere.idClient}`,
      from: patient.account,
      scene: 'team',
      to: TEAM,
      type: 'notification',
      body: '',
      attach: { recall: { idClient: elsewhere.idClient, by: patient.account } },
      members: [],
    });
    // This process still believes its 'yes' until it expires, and no longer.
    expect((await get(elsewhere.url)).status).toBe(200);
    clock += VERDICT_TTL_MS + 1;
    expect((await get(elsewhere.url)).status).toBe(403);
  });
});

describe('file reads are limited per person', () => {
  test('past FILE_READS_PER_MIN the viewer gets 429 with Retry-After; another viewer of the same file, and forged URLs naming them, do not share it', async () => {
    const up = await uploadAs(ctx.server, patient, 'image', 'rash.png', await png(32, 24));
    const { url } = (await sentToDoctor('image', up.body.fileId)).attach as unknown as { url: string };
    const p = await ctx.login(patient);
    const [mine] = (await p.request('history', { sessionId: SESSION, limit: 1 })).msgs;
    const patientUrl = (mine.attach as { url: string }).url;

    // The doctor's signature with the patient's name: refused before anything is charged to the patient.
    const forged = url.replace(`a=${doctor.account}`, `a=${patient.account}`);
    for (let i = 0; i < READS_PER_MIN; i++) expect((await get(forged)).status).toBe(403);

    for (let i = 0; i < READS_PER_MIN; i++) expect((await get(url)).status).toBe(200);
    const refused = await fetch(`${ctx.server.url}${url}`);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('rateLimited');
    expect(body.error.message).toContain('秒后再试');

    expect((await get(patientUrl)).status).toBe(200);
    // The uploader's own URL is signed for nobody: counted by address, apart from the viewers.
    expect((await get(up.body.url)).status).toBe(200);
  });
});

describe('the audit record of a file read', () => {
  test('names the viewer the URL was signed for, once per reader and file; a URL signed for nobody is "url"; no file name', async () => {
    const up = await uploadAs(ctx.server, patient, 'image', '舌苔照片.png', await png(32, 24));
    const { url } = (await sentToDoctor('image', up.body.fileId)).attach as unknown as { url: string };
    const p = await ctx.login(patient);
    const [mine] = (await p.request('history', { sessionId: SESSION, limit: 1 })).msgs;

    for (const path of [url, url, (mine.attach as { url: string }).url, up.body.url]) expect((await get(path)).status).toBe(200);
    const reads = (await ctx.server.storage.auditRecords(0, 1000)).filter((r) => r.action === 'file.read');
    expect(reads.map((r) => [r.actor, r.target])).toEqual([
      [doctor.account, up.body.fileId],
      [patient.account, up.body.fileId],
      ['url', up.body.fileId],
    ]);
    for (const r of reads) expect(r.detail).not.toMatch(/舌苔|png/);
  });
});

describe('the sender previews an upload only until the send binds it', () => {
  beforeAll(() => (fileUrlTtlSec = 24 * 3600));
  afterAll(() => (fileUrlTtlSec = undefined));

  test('an upload reply’s URLs open for two hours, not the day a message’s do; the send’s ack brings URLs signed for the sender and the message, closed by its recall', async () => {
    const up = await uploadAs(ctx.server, patient, 'image', 'x.png', await png(32, 32));
    expect(up.status).toBe(200);
    const exp = Number(new URL(up.body.url, ctx.server.url).searchParams.get('exp'));
    // Rounded up to the hour.
    expect(exp - clock).toBeGreaterThanOrEqual(UPLOAD_URL_TTL_MS);
    expect(exp - clock).toBeLessThan(UPLOAD_URL_TTL_MS + 3_600_000);

    const p = await ctx.login(patient);
    const idClient = rxClientId();
    const ack = await p.request('send', { msg: { scene: 'team', to: TEAM, type: 'image', body: '', idClient, attach: { fileId: up.body.fileId } } });
    const attach = ack.attach as { url: string; thumbUrl: string; fileId: string };
    expect(attach.fileId).toBe(up.body.fileId);
    for (const u of [attach.url, attach.thumbUrl]) {
      const q = new URL(u, ctx.server.url).searchParams;
      expect([q.get('a'), q.get('s'), q.get('c')]).toEqual([patient.account, String(ack.seq), teamConvId(TEAM)]);
    }
    expect(Number(new URL(attach.url, ctx.server.url).searchParams.get('exp')) - clock).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect((await get(attach.url)).status).toBe(200);
    await p.request('recall', { sessionId: SESSION, idClient });
    expect((await get(attach.url)).status).toBe(403);
  });
});
