/**
 * Reads of signed file URLs against a real server and SQLite file: what a URL's check costs (one per
 * grant and file for a while), how long a recall takes to close it, the per-person limit on reads, and
 * who the audit record names as the reader; the upload reply's URLs, the uploader's; the hospital's
 * record export's URLs, bound to its API client and limited by their own budget.
 */
import type { ImageAttach, VideoAttach } from '../../types/media';
import type { Message } from '../../types/message';
import { type ConsultationRecord, RECORD_PATH } from '../../types/protocol';
import { API_CLIENT } from '../../server/audit';
import { FAILED_SIGNINS } from '../../server/limits';
import { UPLOAD_URL_TTL_MS } from '../../server/files/service';
import { VERDICT_TTL_MS } from '../../server/files/verdicts';
import { type StoredMessage, teamConvId } from '../../server/storage/types';
import { doctor, patient, serverPerTest, SESSION, startConsultationServer, TEAM } from '../helpers/consultation';
import { png } from '../helpers/fixtures';
import { rxClientId } from '../helpers/rx';
import { ADMIN_API_KEY } from '../helpers/server';
import { uploadAs } from '../helpers/upload';

const METRICS_TOKEN = 'file-reads-metrics-token-0123456789';
const READS_PER_MIN = 60;
const EXPORT_READS_PER_MIN = 150;
let clock = Date.now();
/** A day, as in production, where a test needs URLs to outlive the upload reply's; else the tests' hour. */
let fileUrlTtlSec: number | undefined;

const ctx = serverPerTest(async () => {
  clock = Date.now();
  return startConsultationServer({ now: () => clock, metricsToken: METRICS_TOKEN, fileReadsPerMinute: READS_PER_MIN, fileExportReadsPerMinute: EXPORT_READS_PER_MIN, ...(fileUrlTtlSec ? { fileUrlTtlSec } : {}) });
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
    // The uploader's own URL is the uploader's, apart from the doctor's.
    expect((await get(up.body.url)).status).toBe(200);
  });

  test("the upload reply's URLs are signed for the uploader and spend the uploader's reads; named for someone else, or for no one, they open nothing", async () => {
    const up = await uploadAs(ctx.server, patient, 'image', 'rash.png', await png(32, 24));
    for (const u of [up.body.url, (up.body as unknown as ImageAttach).thumbUrl]) {
      const q = new URL(u, ctx.server.url).searchParams;
      expect([q.get('u'), q.get('a'), q.get('k')]).toEqual([patient.account, null, null]);
    }
    const { url: doctorUrl } = (await sentToDoctor('image', up.body.fileId)).attach as unknown as { url: string };
    // Refused before anything is charged to the doctor; without a name the URL is no one's, and opens nothing.
    const forged = up.body.url.replace(`u=${patient.account}`, `u=${doctor.account}`);
    for (let i = 0; i < READS_PER_MIN; i++) expect((await get(forged)).status).toBe(403);
    expect((await get(up.body.url.replace(/&u=[^&]*/, ''))).status).toBe(403);

    for (let i = 0; i < READS_PER_MIN; i++) expect((await get(up.body.url)).status).toBe(200);
    expect((await get(up.body.url)).status).toBe(429);
    const p = await ctx.login(patient);
    const [mine] = (await p.request('history', { sessionId: SESSION, limit: 1 })).msgs;
    expect((await get((mine.attach as { url: string }).url)).status).toBe(429);
    expect((await get(doctorUrl)).status).toBe(200);
  });
});

describe('the audit record of a file read', () => {
  test("names the viewer the URL was signed for, once per reader and file (the upload reply's: its uploader); no file name", async () => {
    const up = await uploadAs(ctx.server, patient, 'image', '舌苔照片.png', await png(32, 24));
    const { url } = (await sentToDoctor('image', up.body.fileId)).attach as unknown as { url: string };
    const p = await ctx.login(patient);
    const [mine] = (await p.request('history', { sessionId: SESSION, limit: 1 })).msgs;

    for (const path of [up.body.url, url, url, (mine.attach as { url: string }).url]) expect((await get(path)).status).toBe(200);
    const reads = (await ctx.server.storage.auditRecords(0, 1000)).filter((r) => r.action === 'file.read');
    expect(reads.map((r) => [r.actor, r.target])).toEqual([
      [patient.account, up.body.fileId],
      [doctor.account, up.body.fileId],
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

describe("the hospital's record export: its file URLs are its API client's", () => {
  const admin = { authorization: `Bearer ${ADMIN_API_KEY}` };

  /** A photo the patient sent, in the record the hospital's system fetches with its key; and the doctor's own view of it. */
  async function exportedPhoto() {
    const up = await uploadAs(ctx.server, patient, 'image', '舌苔照片.png', await png(32, 24));
    const seen = await sentToDoctor('image', up.body.fileId);
    const res = await fetch(`${ctx.server.url}${RECORD_PATH}?id=${TEAM}`, { headers: admin });
    expect(res.status).toBe(200);
    const [m] = ((await res.json()) as ConsultationRecord).messages.filter((x) => x.type === 'image');
    return { up, exported: m.attach as unknown as ImageAttach, doctorUrl: (seen.attach as unknown as ImageAttach).url };
  }

  test("read past a person's FILE_READS_PER_MIN up to the client's FILE_EXPORT_READS_PER_MIN, then 429 with Retry-After; people's budgets stay their own", async () => {
    const { up, exported, doctorUrl } = await exportedPhoto();
    for (const u of [exported.url, exported.thumbUrl]) {
      const q = new URL(u, ctx.server.url).searchParams;
      expect([q.get('k'), q.get('a'), q.get('c'), q.get('s')]).toEqual([API_CLIENT, null, null, null]);
    }

    for (let i = 0; i < EXPORT_READS_PER_MIN; i++) expect((await get(exported.url, admin)).status).toBe(200);
    const refused = await fetch(`${ctx.server.url}${exported.url}`, { headers: admin });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error).toEqual({ code: 'rateLimited', message: expect.stringContaining('FILE_EXPORT_READS_PER_MIN') });

    // From the same address, people read on their own budgets, and still meet their limit.
    expect((await get(up.body.url)).status).toBe(200);
    for (let i = 0; i < READS_PER_MIN; i++) expect((await get(doctorUrl)).status).toBe(200);
    expect((await get(doctorUrl)).status).toBe(429);
  });

  test('opens only with the API key, never altered, never after it expires; its reads are audited as the API client', async () => {
    const { up, exported, doctorUrl } = await exportedPhoto();
    const { url, thumbUrl } = exported;
    const refusal = async (path: string, headers: Record<string, string> = admin) => {
      const res = await fetch(`${ctx.server.url}${path}`, { headers });
      return [res.status, ((await res.json()) as { error: { code: string } }).error.code];
    };

    // Not a bearer link: whoever holds it without the key reads nothing.
    expect(await refusal(url, {})).toEqual([401, 'unauthenticated']);
    expect(await refusal(url, { authorization: 'Bearer not-the-admin-key-not-the-admin' })).toEqual([401, 'unauthenticated']);
    // Altered: another client, another signature, its client dropped, a person's message added.
    expect(await refusal(url.replace(`k=${API_CLIENT}`, 'k=other-client'))).toEqual([403, 'forbidden']);
    expect(await refusal(url.replace(/sig=[^&]+/, 'sig=AAAA'))).toEqual([403, 'forbidden']);
    expect(await refusal(url.replace(/&k=[^&]*/, ''))).toEqual([403, 'forbidden']);
    expect(await refusal(`${url}&c=${teamConvId(TEAM)}&s=1&a=${doctor.account}`)).toEqual([403, 'forbidden']);
    // Nor does any other URL pass for the client's: the uploader's, nor the doctor's.
    expect(await refusal(`${up.body.url}&k=${API_CLIENT}`)).toEqual([403, 'forbidden']);
    expect(await refusal(`${doctorUrl.replace(/&c=.*$/, '')}&k=${API_CLIENT}`)).toEqual([403, 'forbidden']);

    for (const path of [url, url, thumbUrl]) expect((await get(path, admin)).status).toBe(200);
    const reads = (await ctx.server.storage.auditRecords(0, 1000)).filter((r) => r.action === 'file.read');
    expect(reads.map((r) => [r.actor, r.target])).toEqual([[API_CLIENT, up.body.fileId]]);
    for (const r of reads) expect(r.detail).not.toMatch(/舌苔|png/);

    // Expiry is rounded up to the hour: two hours on, the tests' one-hour URL has expired.
    clock += 2 * 3_600_000 + 1;
    const expired = await fetch(`${ctx.server.url}${url}`, { headers: admin });
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as { error: { message: string } }).error.message).toBe('file link expired');
  });

  test("wrong keys on its URLs count as the hospital API's failed keys: after FAILED_SIGNINS.points the address waits, the API too", async () => {
    const { exported } = await exportedPhoto();
    const wrong = { authorization: 'Bearer not-the-admin-key-not-the-admin' };
    for (let i = 0; i < FAILED_SIGNINS.points; i++) expect((await get(exported.url, wrong)).status).toBe(401);
    for (const path of [exported.url, `${RECORD_PATH}?id=${TEAM}`]) {
      const waits = await fetch(`${ctx.server.url}${path}`, { headers: admin });
      expect(waits.status).toBe(429);
      expect(Number(waits.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await waits.arrayBuffer();
    }
  });
});
