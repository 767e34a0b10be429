/**
 * File URLs are capabilities: `/api/files/<id>?v=<variant>&exp=<ms>&sig=<hmac>` and whom they were
 * signed for. Mini programs load images and audio by URL and cannot add an Authorization header, so the
 * URL itself must carry the right to read the file, and only for a while. Only members of a
 * conversation ever see its messages, and so its URLs. The hospital's system can send its API key, so
 * the URLs of its record export name the API client and open only with that client's key.
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

/** The uploader a URL of an upload's reply was signed for (`&u=<account>`), before any message carries the file. */
export interface UploadGrant {
  uploader: string;
}

export type AnyGrant = FileGrant | ClientGrant | UploadGrant;

export const isClientGrant = (g: AnyGrant): g is ClientGrant => 'client' in g;
export const isUploadGrant = (g: AnyGrant): g is UploadGrant => 'uploader' in g;

type GrantKind = 'message' | 'client' | 'upload';

const kindOf = (g: AnyGrant): GrantKind => (isClientGrant(g) ? 'client' : isUploadGrant(g) ? 'upload' : 'message');

/** What a grant adds to the signed text, and to the URL's query. */
function named(g: AnyGrant): { signed: string; query: string } {
  if (isClientGrant(g)) return { signed: g.client, query: `&k=${encodeURIComponent(g.client)}` };
  if (isUploadGrant(g)) return { signed: g.uploader, query: `&u=${encodeURIComponent(g.uploader)}` };
  return { signed: `${g.convId}\n${g.seq}\n${g.viewer}`, query: `&c=${encodeURIComponent(g.convId)}&s=${g.seq}&a=${encodeURIComponent(g.viewer)}` };
}

/** The grant a URL names: exactly one of a person's message (c, s, a), an API client (k), an uploader (u). */
function grantOf(q: URLSearchParams): AnyGrant | undefined {
  const message = q.has('c') || q.has('s') || q.has('a');
  if ([message, q.has('k'), q.has('u')].filter(Boolean).length !== 1) return undefined;
  if (q.has('k')) return { client: q.get('k') as string };
  if (q.has('u')) return { uploader: q.get('u') as string };
  const seq = Number(q.get('s') ?? '');
  if (!q.has('c') || !q.has('s') || !q.has('a') || !Number.isSafeInteger(seq)) return undefined;
  return { convId: q.get('c') as string, seq, viewer: q.get('a') as string };
}

/** Expiry is rounded up to the hour so that the same file keeps one URL for an hour (browser caches). */
const ROUND_MS = 3_600_000;

export class FileSigner {
  private readonly keys: Record<GrantKind, Buffer>;

  constructor(
    secret: Uint8Array,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    // Keys of their own, so that a file signature can never stand in for anything else signed by the
    // secret, nor one kind of grant for another (a message's URL for an API client's, whatever its fields hold).
    const derive = (label: string) => createHmac('sha256', Buffer.from(secret)).update(label).digest();
    this.keys = { message: derive('medchat-file-url'), client: derive('medchat-file-url-client'), upload: derive('medchat-file-url-upload') };
  }

  private mac(id: string, variant: FileVariant, exp: number, grant: AnyGrant): string {
    return createHmac('sha256', this.keys[kindOf(grant)]).update(`${id}\n${variant}\n${exp}\n${named(grant).signed}`).digest('base64url');
  }

  /** `maxTtlMs` shortens the lifetime (never lengthens it). */
  url(id: string, variant: FileVariant, grant: AnyGrant, maxTtlMs = this.ttlMs): string {
    const exp = Math.ceil((this.now() + Math.min(this.ttlMs, maxTtlMs)) / ROUND_MS) * ROUND_MS;
    return `${FILE_PATH}${id}?v=${variant}&exp=${exp}&sig=${this.mac(id, variant, exp, grant)}${named(grant).query}`;
  }

  /** 'ok' with the grant the URL names; or why the URL does not open the file. */
  check(id: string, q: URLSearchParams): { verdict: 'ok'; grant: AnyGrant } | { verdict: 'expired' | 'invalid' } {
    const variant = q.get('v');
    if (variant !== 'orig' && variant !== 'thumb') return { verdict: 'invalid' };
    const expMs = Number(q.get('exp') ?? '');
    if (!Number.isSafeInteger(expMs)) return { verdict: 'invalid' };
    const grant = grantOf(q);
    if (!grant) return { verdict: 'invalid' };
    const expected = Buffer.from(this.mac(id, variant, expMs, grant));
    const given = Buffer.from(q.get('sig') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { verdict: 'invalid' };
    if (this.now() > expMs) return { verdict: 'expired' };
    return { verdict: 'ok', grant };
  }
}
