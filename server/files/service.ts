/**
 * Uploaded files: checked by content, measured, stored on disk under a random id (never a name the
 * client chose), and turned into message attachments with signed URLs.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline as chain, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp, { type Sharp } from 'sharp';
import type { FileAttach, MediaKind } from '../../types/media';
import { extOfName, IMAGE_MAX_PIXELS, MAX_AUDIO_MS } from '../../types/media';
import type { MessageType } from '../../types/message';
import { Cipher } from '../crypto';
import { ClientError } from '../errors';
import type { Storage, StoredFile } from '../storage/types';
import { displayText } from '../text';
import type { AnyGrant, FileSigner, FileVariant } from './sign';
import { sniff } from './sniff';

const THUMB_PX = 360;
export const FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const HOUR_MS = 3_600_000;

/**
 * Temp files older than this belong to no running request: Node's HTTP server ends a request after
 * 5 minutes (requestTimeout), and what follows the body takes seconds. Younger ones may be uploads in
 * progress in another process sharing FILES_DIR.
 */
const TEMP_STALE_MS = 15 * 60_000;

/**
 * A display name: no directories, no control, format (bidi, zero-width) or reserved characters, at
 * most 100 characters.
 */
export function safeName(raw: string, fallbackExt: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  let name = displayText(base.replace(/[<>:"|?*]/g, '')).replace(/^[.\s]+/, '');
  if (name.length > 100) {
    const ext = extOfName(name);
    name = ext ? `${name.slice(0, 99 - ext.length)}.${ext}` : name.slice(0, 100);
  }
  return name || `file.${fallbackExt}`;
}

/**
 * A photo's, voice clip's or video's name ends in its measured extension. Only documents are checked
 * against their names (sniff), and a clip that also holds a page, named x.html, would be saved as one.
 */
function namedAs(name: string, ext: string): string {
  const given = extOfName(name);
  return given === ext ? name : `${given ? name.slice(0, -given.length - 1) : name}.${ext}`;
}

/** Stored attach of a media message: what was measured, without URLs (those are signed per view). */
export type StoredMediaAttach = Omit<FileAttach, 'url'> & { w?: number; h?: number; dur?: number };

/** Per-account upload limits; they count what storage holds, so they hold across server processes. */
export interface UploadQuota {
  uploadsPerHour: number;
  uploadBytesPerDay: number;
}

interface InFlight {
  count: number;
  bytes: number;
}

/** Formats whose originals are re-encoded without metadata, and how (lossless where the source is). */
const CLEAN: Record<string, (img: Sharp) => Sharp> = {
  jpg: (img) => img.jpeg({ quality: 92 }),
  png: (img) => img.png(),
  webp: (img) => img.webp({ quality: 92 }),
  gif: (img) => img.gif(),
};

/**
 * How long an upload reply's URLs open. The sender previews the file with them only until the send's
 * ack brings the message's own URLs, signed for them and the message (and closed by a recall); a send
 * that waits for the connection (or fails and is sent again) shows its file again from that ack.
 */
export const UPLOAD_URL_TTL_MS = 2 * 3_600_000;

export class FileService {
  private readonly tmpDir: string;
  /** Uploads admitted but not yet recorded, so that parallel ones cannot all pass the same quota check. */
  private readonly inFlight = new Map<string, InFlight>();

  /** Without `quota` uploads are not limited: for tools that only serve or purge files. */
  constructor(
    readonly dir: string,
    private readonly storage: Storage,
    private readonly signer: FileSigner,
    private readonly cipher: Cipher,
    private readonly now: () => number = Date.now,
    private readonly quota?: UploadQuota,
  ) {
    this.tmpDir = join(dir, 'tmp');
    mkdirSync(this.tmpDir, { recursive: true });
  }

  tempPath(): string {
    return join(this.tmpDir, randomUUID());
  }

  /** Removes plaintext left in the temp dir by a process that died mid-upload; returns how many. */
  sweepTemp(): number {
    let removed = 0;
    const staleBefore = Date.now() - TEMP_STALE_MS;
    for (const name of readdirSync(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      try {
        if (statSync(path).mtimeMs < staleBefore) {
          rmSync(path, { recursive: true, force: true });
          removed++;
        }
      } catch {
        // removed meanwhile by its request or by another process's sweep
      }
    }
    return removed;
  }

  pathOf(id: string, variant: FileVariant): string {
    return join(this.dir, variant === 'thumb' ? `${id}.thumb.jpg` : id);
  }

  /** Deletes a stored file's bytes, original and thumbnail (its record is the caller's). */
  async remove(id: string): Promise<void> {
    for (const variant of ['orig', 'thumb'] as const) await unlink(this.pathOf(id, variant)).catch(() => undefined);
  }

  /**
   * Admits an upload of up to `bytes` by `owner` if it keeps the account within its quota, before its
   * body is read, and records it: the quota counts every admitted upload, whatever becomes of it.
   */
  async admit(owner: string, bytes: number): Promise<void> {
    if (!this.quota) return;
    const now = this.now();
    const [hour, day] = await Promise.all([this.storage.uploadsSince(owner, now - HOUR_MS), this.storage.uploadsSince(owner, now - 24 * HOUR_MS)]);
    const pending = this.inFlight.get(owner) ?? { count: 0, bytes: 0 };
    if (hour.count + pending.count >= this.quota.uploadsPerHour) {
      throw new ClientError('rateLimited', `每小时最多上传 ${this.quota.uploadsPerHour} 个文件，请稍后再试`);
    }
    if (day.bytes + pending.bytes + bytes > this.quota.uploadBytesPerDay) {
      throw new ClientError('rateLimited', `每天最多上传 ${Math.floor(this.quota.uploadBytesPerDay / 1024 / 1024)} MB，今天的额度已用完`);
    }
    pending.count++;
    pending.bytes += bytes;
    this.inFlight.set(owner, pending);
    try {
      await this.storage.recordUpload(owner, now, bytes);
    } finally {
      pending.count--;
      pending.bytes -= bytes;
      if (pending.count === 0) this.inFlight.delete(owner);
    }
  }

  /**
   * Takes over the temp file at `tmp` (deleting it whatever happens): accepts it if its content is of
   * a format `kind` allows, measures it, and records it for `owner`. Images are stored re-encoded, so
   * that what a photo carries besides its pixels (GPS position, device, time) never leaves the sender.
   */
  async accept(tmp: string, owner: string, kind: MediaKind, rawName: string, size: number, dur?: number): Promise<FileAttach> {
    const id = randomUUID();
    try {
      const format = await sniff(tmp, kind, rawName);
      const file: StoredFile = {
        id,
        owner,
        kind,
        name: kind === 'file' ? safeName(rawName, format.ext) : namedAs(safeName(rawName, format.ext), format.ext),
        ext: format.ext,
        mime: format.mime,
        size,
        thumb: false,
        createdAt: this.now(),
      };
      const clean = CLEAN[format.ext];
      if (clean) {
        const image = await this.cleanImage(tmp, clean);
        file.size = image.data.length;
        if (kind === 'image') {
          Object.assign(file, { w: image.w, h: image.h, thumb: true });
          await this.seal(Readable.from([await this.thumbnail(image.data)]), this.pathOf(id, 'thumb'));
        }
        await this.seal(Readable.from([image.data]), this.pathOf(id, 'orig'));
      } else {
        await this.seal(createReadStream(tmp), this.pathOf(id, 'orig'));
      }
      if ((kind === 'audio' || kind === 'video') && dur !== undefined) file.dur = Math.min(Math.round(dur), MAX_AUDIO_MS);
      await this.storage.putFile(file);
      return this.attachOf(file);
    } catch (e) {
      await this.remove(id);
      throw e;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  /**
   * The image re-encoded in its own format with its orientation applied and no metadata (sharp keeps
   * none unless asked), and its size as shown: one frame's for an animation.
   */
  private async cleanImage(path: string, encode: (img: Sharp) => Sharp): Promise<{ data: Buffer; w: number; h: number }> {
    try {
      // sharp refuses more pixels from the header, before it decodes any.
      const { data, info } = await encode(sharp(path, { animated: true, limitInputPixels: IMAGE_MAX_PIXELS }).autoOrient()).toBuffer({ resolveWithObject: true });
      return { data, w: info.width, h: info.pageHeight ?? info.height };
    } catch (e) {
      if (e instanceof Error && /pixel limit/.test(e.message)) {
        throw new ClientError('fileTooLarge', `图片尺寸过大：最多 ${IMAGE_MAX_PIXELS / 1_000_000} 百万像素（动图的每一帧都计算在内）`);
      }
      throw new ClientError('invalidUpload', '图片已损坏，无法读取');
    }
  }

  /** A small JPEG for the bubble: the first frame. */
  private thumbnail(image: Buffer): Promise<Buffer> {
    return sharp(image).resize(THUMB_PX, THUMB_PX, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 75 }).toBuffer();
  }

  /** Writes `source` to `path` encrypted; plaintext of an upload never rests outside the temp dir. */
  private seal(source: Readable, path: string): Promise<void> {
    return pipeline(source, this.cipher.encryptStream(), createWriteStream(path));
  }

  /**
   * A stored file's plaintext size and a reader of the bytes start..end (inclusive). GCM decrypts from
   * the beginning, so a range is decrypted up to its end and the part before it skipped.
   */
  async openPlain(id: string, variant: FileVariant): Promise<{ size: number; read(start: number, end: number): Readable }> {
    const path = this.pathOf(id, variant);
    const handle = await open(path, 'r');
    let header: Buffer;
    let tag: Buffer;
    let total: number;
    try {
      total = (await handle.stat()).size;
      const first = Buffer.alloc(1);
      await handle.read(first, 0, 1, 0);
      header = Buffer.alloc(Cipher.headerBytes(first[0]));
      await handle.read(header, 0, header.length, 0);
      tag = Buffer.alloc(Cipher.TAG_BYTES);
      await handle.read(tag, 0, tag.length, total - tag.length);
    } finally {
      await handle.close();
    }
    const bodyStart = header.length;
    const size = total - bodyStart - Cipher.TAG_BYTES;
    return {
      size,
      read: (start, end) => {
        const decipher = this.cipher.decipherFor(header, tag);
        const whole = end === size - 1;
        let offset = 0;
        const decrypt = new Transform({
          transform(chunk: Buffer, _enc, done) {
            const plain = decipher.update(chunk);
            const from = Math.max(0, start - offset);
            const to = Math.min(plain.length, end + 1 - offset);
            offset += plain.length;
            done(null, to > from ? plain.subarray(from, to) : undefined);
          },
          flush(done) {
            // The tag covers the whole file: only a read to the end can check it (a seek is served as is).
            if (!whole) return done();
            try {
              decipher.final();
              done();
            } catch (e) {
              done(e as Error);
            }
          },
        });
        // Chained, not piped: a reader that goes away (a download cut short) then closes the file too.
        return chain(createReadStream(path, { start: bodyStart, end: bodyStart + end }), decrypt, () => undefined);
      },
    };
  }

  /** The upload reply: its URLs, signed for the uploader and no message, open only for UPLOAD_URL_TTL_MS. */
  attachOf(f: Pick<StoredFile, 'id' | 'owner' | 'kind' | 'name' | 'size' | 'ext' | 'mime' | 'w' | 'h' | 'dur'>): FileAttach {
    return this.withUrls(f.kind, this.storedAttach(f), { uploader: f.owner }, UPLOAD_URL_TTL_MS) as unknown as FileAttach;
  }

  private storedAttach(f: Pick<StoredFile, 'id' | 'name' | 'size' | 'ext' | 'mime' | 'w' | 'h' | 'dur'>): StoredMediaAttach {
    return {
      fileId: f.id,
      name: f.name,
      size: f.size,
      ext: f.ext,
      mime: f.mime,
      ...(f.w !== undefined ? { w: f.w } : {}),
      ...(f.h !== undefined ? { h: f.h } : {}),
      ...(f.dur !== undefined ? { dur: f.dur } : {}),
    };
  }

  /**
   * The attach to store for a media message that names an upload: only the uploader may send it, and
   * only as the kind it was uploaded as.
   */
  async resolve(owner: string, type: MessageType, fileId: string): Promise<StoredMediaAttach> {
    const file = FILE_ID.test(fileId) ? await this.storage.getFile(fileId) : undefined;
    if (!file || file.owner !== owner) throw new ClientError('invalidMessage', 'attach.fileId: no upload of yours with this id');
    if (file.kind !== type) throw new ClientError('invalidMessage', `attach.fileId: uploaded as ${file.kind}, not ${type}`);
    return this.storedAttach(file);
  }

  /** A stored attach as `grant`'s reader gets it: with URLs signed for them. Anything else passes through. */
  withUrls(type: MessageType, attach: Record<string, unknown>, grant: AnyGrant, maxTtlMs?: number): Record<string, unknown> {
    const id = attach.fileId;
    if (typeof id !== 'string') return attach;
    return {
      ...attach,
      url: this.signer.url(id, 'orig', grant, maxTtlMs),
      ...(type === 'image' ? { thumbUrl: this.signer.url(id, 'thumb', grant, maxTtlMs) } : {}),
    };
  }
}
