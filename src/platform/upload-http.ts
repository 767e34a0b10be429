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

export function browserUpload(Xhr?: typeof XMLHttpRequest): UploadFn {
  return async (req) => {
    const blob = req.file.blob ?? (await (await fetch(req.file.path)).blob());
    const form = new FormData();
    form.append('file', blob, req.file.name);
    return new Promise<FileAttach>((resolve, reject) => {
      const xhr = new (Xhr ?? XMLHttpRequest)();
      xhr.open('POST', uploadUrl(req));
      xhr.setRequestHeader('authorization', `Bearer ${req.token}`);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) req.onProgress?.(e.loaded / e.total);
      };
      xhr.onload = () => {
        try {
          resolve(parseUploadReply(xhr.status, xhr.responseText));
        } catch (e) {
          reject(e);
        }
      };
      xhr.onerror = () => reject(new HttpError('network', '上传失败：网络错误'));
      xhr.send(form);
    });
  };
}
