/**
 * Uploaded files: checked by content, measured, stored on disk under a random id (never a name the
 * client chose), and turned into message attachments with signed URLs.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import type { FileAttach, MediaKind } from '../../types/media';
import { extOfName, MAX_AUDIO_MS } from '../../types/media';
import type { MessageType } from '../../types/message';
import { Cipher } from '../crypto';
import { ClientError } from '../errors';
import type { Storage, StoredFile } from '../storage/types';
import type { FileSigner, FileVariant } from './sign';
import { sniff } from './sniff';

const THUMB_PX = 360;
export const FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A display name: no directories, no control or reserved characters, at most 100 characters. */
export function safeName(raw: string, fallbackExt: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  let name = base.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '').replace(/^[.\s]+/, '').trim();
  if (name.length > 100) {
    const ext = extOfName(name);
    name = ext ? `${name.slice(0, 99 - ext.length)}.${ext}` : name.slice(0, 100);
  }
  return name || `file.${fallbackExt}`;
}

/** Stored attach of a media message: what was measured, without URLs (those are signed per view). */
export type StoredMediaAttach = Omit<FileAttach, 'url'> & { w?: number; h?: number; dur?: number };

export class FileService {
  private readonly tmpDir: string;

  constructor(
    readonly dir: string,
    private readonly storage: Storage,
    private readonly signer: FileSigner,
    private readonly cipher: Cipher,
  ) {
    this.tmpDir = join(dir, 'tmp');
    mkdirSync(this.tmpDir, { recursive: true });
  }

  tempPath(): string {
    return join(this.tmpDir, randomUUID());
  }

  pathOf(id: string, variant: FileVariant): string {
    return join(this.dir, variant === 'thumb' ? `${id}.thumb.jpg` : id);
  }

  /**
   * Takes over the temp file at `tmp` (deleting it whatever happens): accepts it if its content is of
   * a format `kind` allows, measures it, and records it for `owner`.
   */
  async accept(tmp: string, owner: string, kind: MediaKind, rawName: string, size: number, dur?: number): Promise<FileAttach> {
    const id = randomUUID();
    try {
      const format = await sniff(tmp, kind, rawName);
      const file: StoredFile = {
        id,
        owner,
        kind,
        name: safeName(rawName, format.ext),
        ext: format.ext,
        mime: format.mime,
        size,
        thumb: false,
        createdAt: Date.now(),
      };
      if (kind === 'image') Object.assign(file, await this.measureImage(tmp, id), { thumb: true });
      if ((kind === 'audio' || kind === 'video') && dur !== undefined) file.dur = Math.min(Math.round(dur), MAX_AUDIO_MS);
      await this.seal(createReadStream(tmp), this.pathOf(id, 'orig'));
      await this.storage.putFile(file);
      return this.attachOf(file);
    } catch (e) {
      for (const variant of ['orig', 'thumb'] as const) await unlink(this.pathOf(id, variant)).catch(() => undefined);
      throw e;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  /** Width and height as shown (EXIF rotation applied), and a small JPEG for the bubble. */
  private async measureImage(path: string, id: string): Promise<{ w: number; h: number }> {
    try {
      const meta = await sharp(path).metadata();
      const turned = (meta.orientation ?? 1) >= 5;
      const thumb = await sharp(path)
        .rotate()
        .resize(THUMB_PX, THUMB_PX, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 75 })
        .toBuffer();
      await this.seal(Readable.from([thumb]), this.pathOf(id, 'thumb'));
      const w = meta.width ?? 0;
      const h = meta.height ?? 0;
      return turned ? { w: h, h: w } : { w, h };
    } catch {
      throw new ClientError('invalidUpload', '图片已损坏，无法读取');
    }
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
        return createReadStream(path, { start: bodyStart, end: bodyStart + end }).pipe(decrypt);
      },
    };
  }

  attachOf(f: Pick<StoredFile, 'id' | 'kind' | 'name' | 'size' | 'ext' | 'mime' | 'w' | 'h' | 'dur'>): FileAttach {
    return this.withUrls(f.kind, this.storedAttach(f)) as unknown as FileAttach;
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

  /** A stored attach as a viewer gets it: with signed URLs. Anything else passes through. */
  withUrls(type: MessageType, attach: Record<string, unknown>): Record<string, unknown> {
    const id = attach.fileId;
    if (typeof id !== 'string') return attach;
    return {
      ...attach,
      url: this.signer.url(id),
      ...(type === 'image' ? { thumbUrl: this.signer.url(id, 'thumb') } : {}),
    };
  }
}
