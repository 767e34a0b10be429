/**
 * HTTP side of files: `POST /api/upload?kind=<kind>[&name=<display name>][&dur=<ms>]` (multipart, field `file`, bearer
 * token) and `GET /api/files/<id>?v&exp&sig` (signed URL, byte ranges for audio and video; the record
 * export's URLs also need the API key).
 */
import busboy from 'busboy';
import { LRUCache } from 'lru-cache';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileAttach, MediaKind } from '../../types/media';
import { MEDIA_KINDS, UPLOAD_LIMITS } from '../../types/media';
import type { Audit } from '../audit';
import type { Auth } from '../auth';
import { accountMayRequest, type SignInSource } from '../bearer';
import { ClientError } from '../errors';
import { type Limit, retryAfter } from '../limits';
import { sendError, sendErrorAfterBody, sendJson } from '../reply';
import type { Storage } from '../storage/types';
import type { FileService } from './service';
import { FILE_ID } from './service';
import { type AnyGrant, type FileGrant, type FileSigner, isClientGrant, isUploadGrant } from './sign';

const MB = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;

interface ParsedUpload {
  tmp: string;
  name: string;
  size: number;
}

/**
 * Streams the one `file` part to a temp file, refusing it once it passes `limit` bytes. Whatever ends
 * the request early (the client goes away, the request timeout, a malformed body) closes and deletes
 * the temp file before this rejects: it holds the upload in clear.
 */
async function receiveFile(req: IncomingMessage, files: FileService, limit: number, kind: MediaKind): Promise<ParsedUpload> {
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { files: 1, fileSize: limit, fields: 10, parts: 12 } });
  } catch {
    throw new ClientError('invalidUpload', 'expected multipart/form-data with a "file" field');
  }
  let writing: Promise<ParsedUpload> | undefined;
  bb.on('file', (field, stream, info) => {
    if (field !== 'file' || writing) {
      stream.resume();
      return;
    }
    writing = writeTemp(stream, files.tempPath(), limit, kind, info.filename ?? '');
    // Awaited below, once the body has ended; until then a refusal is not unhandled.
    writing.catch(() => undefined);
  });
  try {
    // Unlike req.pipe, pipeline destroys busboy when the request ends early, and busboy the file stream.
    await pipeline(req, bb);
  } catch {
    await writing?.catch(() => undefined);
    throw new ClientError('invalidUpload', 'malformed or incomplete multipart body');
  }
  if (!writing) throw new ClientError('invalidUpload', 'no "file" field in the upload');
  return writing;
}

async function writeTemp(stream: Readable, tmp: string, limit: number, kind: MediaKind, name: string): Promise<ParsedUpload> {
  let size = 0;
  let truncated = false;
  stream.on('data', (chunk: Buffer) => (size += chunk.length));
  stream.on('limit', () => (truncated = true));
  try {
    await pipeline(stream, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
    if (truncated) throw new ClientError('fileTooLarge', `${LABELS[kind]}不能超过 ${MB(limit)}`);
    if (size === 0) throw new ClientError('invalidUpload', '文件是空的');
    return { tmp, name, size };
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

const LABELS: Record<MediaKind, string> = { image: '图片', audio: '语音', video: '视频', file: '文件' };


export async function handleUpload(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { auth: Auth; storage: Storage; files: FileService; audit: Audit; caller: SignInSource },
): Promise<void> {
  try {
    if (req.method !== 'POST') throw new ClientError('badFrame', 'use POST');
    const owner = (await accountMayRequest('upload', req, deps.auth, deps.storage, deps.caller)).account;
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const kind = query.get('kind') as MediaKind;
    if (!MEDIA_KINDS.includes(kind)) throw new ClientError('invalidUpload', `kind must be one of ${MEDIA_KINDS.join(', ')}`);
    const durRaw = query.get('dur');
    const dur = durRaw === null ? undefined : Number(durRaw);
    if (dur !== undefined && !(Number.isFinite(dur) && dur >= 0)) throw new ClientError('invalidUpload', 'dur must be milliseconds');
    const limit = UPLOAD_LIMITS[kind];
    // Refuse an announced oversize body before reading it; multipart framing adds a little.
    if (Number(req.headers['content-length'] ?? 0) > limit + 64 * 1024) {
      throw new ClientError('fileTooLarge', `${LABELS[kind]}不能超过 ${MB(limit)}`);
    }
    // Before the body: a refused upload costs its sender a round trip, not us its bytes.
    await deps.files.admit(owner, Number(req.headers['content-length']) || limit);
    const upload = await receiveFile(req, deps.files, limit, kind);
    // Mini programs send their temp file name in the form; the real one comes in the query.
    const name = query.get('name') || upload.name;
    const attach: FileAttach = await deps.files.accept(upload.tmp, owner, kind, name, upload.size, dur);
    await deps.audit.record(owner, 'file.upload', attach.fileId, { kind, size: attach.size, ext: attach.ext });
    sendJson(res, 200, attach);
  } catch (e) {
    // The rest of a refused body is read and dropped, so that the client gets the answer, not a reset.
    if (e instanceof ClientError) sendErrorAfterBody(req, res, e.code, e.message);
    else sendErrorAfterBody(req, res, 'internal', 'upload failed');
  }
}

const INLINE = new Set<MediaKind>(['image', 'audio', 'video']);

/**
 * Files read recently, by reader, so that one person's reads of one file within the window are one audit
 * record: a video plays as many range requests, and a page reloads its images.
 */
export const newReadLog = (): LRUCache<string, true> => new LRUCache({ max: 10_000, ttl: 10 * 60_000 });

/**
 * Who reads through a URL whose signature holds (the reader its audit record names), once they may:
 * spends a read of their budget, asks whether a person's message is still theirs to read, and whether
 * the caller holds the key of the API client an export URL was signed for. Otherwise throws the
 * refusal (RateLimited with its wait). A person's URL is the capability: whoever holds it reads as them.
 */
async function readerOf(req: IncomingMessage, id: string, grant: AnyGrant, deps: FileDeps): Promise<string> {
  if (isClientGrant(grant)) {
    // Not a bearer link: the key comes with every read, checked before anything is charged.
    if ((await deps.apiClient(req)) !== grant.client) throw new ClientError('forbidden', 'this link was signed for another API client');
    await deps.exportLimit.spend(`client:${grant.client}`);
    return grant.client;
  }
  // Charged only once the signature holds: a forged name must not spend someone else's reads. The
  // uploader's own URL, before any message carries the file, is theirs whatever becomes of the upload.
  if (isUploadGrant(grant)) {
    await deps.limit.spend(`viewer:${grant.uploader}`);
    return grant.uploader;
  }
  await deps.limit.spend(`viewer:${grant.viewer}`);
  if (!(await deps.mayOpen(grant, id))) throw new ClientError('forbidden', 'the message was recalled or is no longer yours to read');
  return grant.viewer;
}

interface FileDeps {
  storage: Storage;
  files: FileService;
  signer: FileSigner;
  audit: Audit;
  reads: LRUCache<string, true>;
  /** Whether the message a URL names is still there and still its viewer's to read (ChatService.mayOpenFile, briefly cached). */
  mayOpen: (grant: FileGrant, fileId: string) => Promise<boolean>;
  /** File reads per person a URL was signed for (a message's viewer, an upload's uploader). */
  limit: Limit;
  /** Reads of the record export's URLs, per API client: its archive is not a person. */
  exportLimit: Limit;
  /** The API client whose key the request carries, or the refusal (wrong keys counted per address). */
  apiClient: (req: IncomingMessage) => Promise<string>;
}

export async function handleFile(req: IncomingMessage, res: ServerResponse, deps: FileDeps): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const id = url.pathname.split('/').pop() ?? '';
  if (!FILE_ID.test(id)) return sendError(res, 'notFound', 'no such file');
  const q = url.searchParams;
  const variant = q.get('v') ?? '';
  const checked = deps.signer.check(id, q);
  if (checked.verdict !== 'ok') return sendError(res, 'forbidden', checked.verdict === 'expired' ? 'file link expired' : 'invalid file link');
  let reader: string;
  try {
    reader = await readerOf(req, id, checked.grant, deps);
  } catch (e) {
    if (!(e instanceof ClientError)) throw e;
    retryAfter(res, e);
    return sendError(res, e.code, e.message);
  }
  const file = await deps.storage.getFile(id);
  if (!file || (variant === 'thumb' && !file.thumb)) return sendError(res, 'notFound', 'no such file');
  const plain = await deps.files.openPlain(id, variant === 'thumb' ? 'thumb' : 'orig');
  const size = plain.size;
  const disposition = INLINE.has(file.kind) ? 'inline' : 'attachment';
  const headers: Record<string, string | number> = {
    'content-type': variant === 'thumb' ? 'image/jpeg' : file.mime,
    'content-disposition': `${disposition}; filename*=UTF-8''${encodeURIComponent(file.name)}`,
    // A person's device reloads its images; the hospital's archive reads each file once, and keeps it.
    'cache-control': isClientGrant(checked.grant) ? 'no-store' : 'private, max-age=3600',
    'accept-ranges': 'bytes',
    // Whatever a file contains, it never runs as a page of our origin.
    'content-security-policy': "default-src 'none'; sandbox",
  };
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  let start = 0;
  let end = size - 1;
  let status = 200;
  if (range && (range[1] || range[2])) {
    start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
    end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start > end || start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}` });
      res.end();
      return;
    }
    status = 206;
    headers['content-range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['content-length'] = end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (variant === 'orig' && !deps.reads.has(`${reader}\n${id}`)) {
    deps.reads.set(`${reader}\n${id}`, true);
    await deps.audit.record(reader, 'file.read', id, { range: status === 206 ? `${start}-${end}` : null });
  }
  await pipeline(plain.read(start, end), res).catch(() => undefined);
}
