/**
 * File URLs are capabilities: `/api/files/<id>?v=<variant>&exp=<ms>&sig=<hmac>`. Mini programs load
 * images and audio by URL and cannot add an Authorization header, so the URL itself must carry the
 * right to read the file, and only for a while. Only members of a conversation ever see its messages,
 * and so its URLs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { FILE_PATH } from '../../types/media';

export type FileVariant = 'orig' | 'thumb';

/**
 * The message a URL was signed for and who it was signed for, named by the URL and covered by its
 * signature: opening it asks again whether that message is still there (not recalled) and still theirs
 * to read (a transfer or a closed private chat ends that), so a URL handed out before outlives neither.
 */
export interface FileGrant {
  convId: string;
  seq: number;
  viewer: string;
}

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

  private mac(id: string, variant: FileVariant, exp: number, grant?: FileGrant): string {
    const granted = grant ? `\n${grant.convId}\n${grant.seq}\n${grant.viewer}` : '';
    return createHmac('sha256', this.key).update(`${id}\n${variant}\n${exp}${granted}`).digest('base64url');
  }

  /**
   * Without a grant: the uploader's own upload before any message carries it, or the hospital's record.
   * `maxTtlMs` shortens the lifetime (never lengthens it).
   */
  url(id: string, variant: FileVariant = 'orig', grant?: FileGrant, maxTtlMs = this.ttlMs): string {
    const exp = Math.ceil((this.now() + Math.min(this.ttlMs, maxTtlMs)) / ROUND_MS) * ROUND_MS;
    const granted = grant ? `&c=${encodeURIComponent(grant.convId)}&s=${grant.seq}&a=${encodeURIComponent(grant.viewer)}` : '';
    return `${FILE_PATH}${id}?v=${variant}&exp=${exp}&sig=${this.mac(id, variant, exp, grant)}${granted}`;
  }

  /** 'ok' with the grant the URL names, if any; or why the URL does not open the file. */
  check(id: string, q: URLSearchParams): { verdict: 'ok'; grant?: FileGrant } | { verdict: 'expired' | 'invalid' } {
    const variant = q.get('v');
    if (variant !== 'orig' && variant !== 'thumb') return { verdict: 'invalid' };
    const expMs = Number(q.get('exp') ?? '');
    if (!Number.isSafeInteger(expMs)) return { verdict: 'invalid' };
    const [convId, seq, viewer] = [q.get('c'), Number(q.get('s') ?? ''), q.get('a')];
    const named = convId !== null || q.has('s') || viewer !== null;
    if (named && (convId === null || viewer === null || !q.has('s') || !Number.isSafeInteger(seq))) return { verdict: 'invalid' };
    const grant = named ? { convId: convId as string, seq, viewer: viewer as string } : undefined;
    const expected = Buffer.from(this.mac(id, variant, expMs, grant));
    const given = Buffer.from(q.get('sig') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { verdict: 'invalid' };
    if (this.now() > expMs) return { verdict: 'expired' };
    return grant ? { verdict: 'ok', grant } : { verdict: 'ok' };
  }
}
