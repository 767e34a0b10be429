/**
 * File URLs are capabilities: `/api/files/<id>?v=<variant>&exp=<ms>&sig=<hmac>`. Mini programs load
 * images and audio by URL and cannot add an Authorization header, so the URL itself must carry the
 * right to read the file, and only for a while. Only members of a conversation ever see its messages,
 * and so its URLs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { FILE_PATH } from '../../types/media';

export type FileVariant = 'orig' | 'thumb';

/** Expiry is rounded up to the hour so that the same file keeps one URL for an hour (browser caches). */
const ROUND_MS = 3_600_000;

export class FileSigner {
  private readonly key: Buffer;

  constructor(
    secret: Uint8Array,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    // A key of its own, so that a file signature can never stand in for anything else signed by the secret.
    this.key = createHmac('sha256', Buffer.from(secret)).update('medchat-file-url').digest();
  }

  private mac(id: string, variant: FileVariant, exp: number): string {
    return createHmac('sha256', this.key).update(`${id}\n${variant}\n${exp}`).digest('base64url');
  }

  url(id: string, variant: FileVariant = 'orig'): string {
    const exp = Math.ceil((this.now() + this.ttlMs) / ROUND_MS) * ROUND_MS;
    return `${FILE_PATH}${id}?v=${variant}&exp=${exp}&sig=${this.mac(id, variant, exp)}`;
  }

  /** 'ok', or why the URL does not open the file. */
  check(id: string, variant: string, exp: string, sig: string): 'ok' | 'expired' | 'invalid' {
    if (variant !== 'orig' && variant !== 'thumb') return 'invalid';
    const expMs = Number(exp);
    if (!Number.isSafeInteger(expMs)) return 'invalid';
    const expected = Buffer.from(this.mac(id, variant, expMs));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return this.now() > expMs ? 'expired' : 'ok';
  }
}
