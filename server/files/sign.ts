/**
 * File URLs are capabilities: `/api/files/<id>?v=<variant>&exp=<ms>&sig=<hmac>`. Mini programs load
 * images and audio by URL and cannot add an Authorization header, so the URL itself must carry the
 * right to read the file, and only for a while. Only members of a conversation ever see its messages,
 * and so its URLs. The hospital's system can send its API key, so the URLs of its record export name
 * the API client and open only with that client's key.
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

/**
 * The API client a URL of the hospital's record export was signed for (`&k=<client>`): it opens with
 * that client's API key only, whatever message it came from (the record keeps recalled ones).
 */
export interface ClientGrant {
  client: string;
}

export type AnyGrant = FileGrant | ClientGrant;

export const isClientGrant = (g: AnyGrant): g is ClientGrant => 'client' in g;

/** Expiry is rounded up to the hour so that the same file keeps one URL for an hour (browser caches). */
const ROUND_MS = 3_600_000;

export class FileSigner {
  private readonly key: Buffer;
  private readonly clientKey: Buffer;

  constructor(
    secret: Uint8Array,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    // A key of its own, so that a file signature can never stand in for anything else signed by the secret.
    this.key = createHmac('sha256', Buffer.from(secret)).update('medchat-file-url').digest();
    // And one for API clients' URLs, so that no URL signed for a person, or for nobody, passes for one.
    this.clientKey = createHmac('sha256', Buffer.from(secret)).update('medchat-file-url-client').digest();
  }

  private mac(id: string, variant: FileVariant, exp: number, grant?: AnyGrant): string {
    if (grant && isClientGrant(grant)) return createHmac('sha256', this.clientKey).update(`${id}\n${variant}\n${exp}\n${grant.client}`).digest('base64url');
    const granted = grant ? `\n${grant.convId}\n${grant.seq}\n${grant.viewer}` : '';
    return createHmac('sha256', this.key).update(`${id}\n${variant}\n${exp}${granted}`).digest('base64url');
  }

  private static query(grant?: AnyGrant): string {
    if (!grant) return '';
    if (isClientGrant(grant)) return `&k=${encodeURIComponent(grant.client)}`;
    return `&c=${encodeURIComponent(grant.convId)}&s=${grant.seq}&a=${encodeURIComponent(grant.viewer)}`;
  }

  /**
   * Without a grant: the uploader's own upload before any message carries it. `maxTtlMs` shortens the
   * lifetime (never lengthens it).
   */
  url(id: string, variant: FileVariant = 'orig', grant?: AnyGrant, maxTtlMs = this.ttlMs): string {
    const exp = Math.ceil((this.now() + Math.min(this.ttlMs, maxTtlMs)) / ROUND_MS) * ROUND_MS;
    return `${FILE_PATH}${id}?v=${variant}&exp=${exp}&sig=${this.mac(id, variant, exp, grant)}${FileSigner.query(grant)}`;
  }

  /** 'ok' with the grant the URL names, if any; or why the URL does not open the file. */
  check(id: string, q: URLSearchParams): { verdict: 'ok'; grant?: AnyGrant } | { verdict: 'expired' | 'invalid' } {
    const variant = q.get('v');
    if (variant !== 'orig' && variant !== 'thumb') return { verdict: 'invalid' };
    const expMs = Number(q.get('exp') ?? '');
    if (!Number.isSafeInteger(expMs)) return { verdict: 'invalid' };
    const [convId, seq, viewer, client] = [q.get('c'), Number(q.get('s') ?? ''), q.get('a'), q.get('k')];
    const named = convId !== null || q.has('s') || viewer !== null;
    if (named && (convId === null || viewer === null || !q.has('s') || !Number.isSafeInteger(seq))) return { verdict: 'invalid' };
    // A URL names a person's message or an API client, never both.
    if (named && client !== null) return { verdict: 'invalid' };
    const grant: AnyGrant | undefined = client !== null ? { client } : named ? { convId: convId as string, seq, viewer: viewer as string } : undefined;
    const expected = Buffer.from(this.mac(id, variant, expMs, grant));
    const given = Buffer.from(q.get('sig') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { verdict: 'invalid' };
    if (this.now() > expMs) return { verdict: 'expired' };
    return grant ? { verdict: 'ok', grant } : { verdict: 'ok' };
  }
}
