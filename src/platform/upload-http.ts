/**
 * The HTTP side of uploads, free of Taro so that Node tests use it too: the request, the server's
 * answer, and the H5 implementation (XMLHttpRequest with FormData: fetch cannot report upload progress).
 */
import type { FileAttach, MediaKind } from '../../types/media';
import { UPLOAD_PATH } from '../../types/media';
import type { ErrorCode } from '../../types/protocol';
import type { LocalFile } from './files';
import { HttpError } from './http-error';

export interface UploadRequest {
  /** Our server, e.g. https://im.example-hospital.cn */
  baseUrl: string;
  token: string;
  kind: MediaKind;
  file: LocalFile;
  /** 0..1 */
  onProgress?: (fraction: number) => void;
}

export type UploadFn = (req: UploadRequest) => Promise<FileAttach>;

/** The upload URL; the display name travels in the query because mini programs send temp names. */
export function uploadUrl(req: Pick<UploadRequest, 'baseUrl' | 'kind' | 'file'>): string {
  const q = [`kind=${req.kind}`, `name=${encodeURIComponent(req.file.name)}`];
  if (req.file.dur !== undefined) q.push(`dur=${Math.round(req.file.dur)}`);
  return `${req.baseUrl}${UPLOAD_PATH}?${q.join('&')}`;
}

/** The server's answer: the attach on 200, its error otherwise. */
export function parseUploadReply(status: number, text: string): FileAttach {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError('network', `上传失败（HTTP ${status}）`);
  }
  if (status === 200) return body as FileAttach;
  const err = (body as { error?: { code?: ErrorCode; message?: string } }).error;
  throw new HttpError(err?.code ?? 'internal', err?.message ?? `上传失败（HTTP ${status}）`);
}

/**
 * An H5 upload that moves no byte for this long is given up. A network that drops packets without a
 * word never fails an XMLHttpRequest, and texts typed after a photo wait for its upload; mini programs'
 * uploadFile gives up after its own 60 s.
 */
export const UPLOAD_STALL_MS = 30_000;

export function browserUpload(Xhr?: typeof XMLHttpRequest): UploadFn {
  return async (req) => {
    const blob = req.file.blob ?? (await (await fetch(req.file.path)).blob());
    const form = new FormData();
    form.append('file', blob, req.file.name);
    return new Promise<FileAttach>((resolve, reject) => {
      const xhr = new (Xhr ?? XMLHttpRequest)();
      let stall: ReturnType<typeof setTimeout> | undefined;
      const watch = () => {
        clearTimeout(stall);
        stall = setTimeout(() => {
          xhr.abort();
          reject(new HttpError('network', '上传中断：网络长时间无响应'));
        }, UPLOAD_STALL_MS);
      };
      xhr.open('POST', uploadUrl(req));
      xhr.setRequestHeader('authorization', `Bearer ${req.token}`);
      xhr.upload.onprogress = (e) => {
        watch();
        if (e.lengthComputable) req.onProgress?.(e.loaded / e.total);
      };
      // The server's answer arriving counts as movement too (it reads a whole image before it answers).
      xhr.onprogress = watch;
      xhr.onload = () => {
        clearTimeout(stall);
        try {
          resolve(parseUploadReply(xhr.status, xhr.responseText));
        } catch (e) {
          reject(e);
        }
      };
      xhr.onerror = () => {
        clearTimeout(stall);
        reject(new HttpError('network', '上传失败：网络错误'));
      };
      watch();
      xhr.send(form);
    });
  };
}
