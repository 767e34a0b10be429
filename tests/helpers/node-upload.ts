/** The app's upload contract over Node's fetch: what the H5 and mini-program shims do, for Node tests. */
import type { UploadFn } from '../../src/platform/upload-http';
import { parseUploadReply, uploadUrl } from '../../src/platform/upload-http';

export const nodeUpload: UploadFn = async (req) => {
  const form = new FormData();
  form.append('file', req.file.blob as Blob, req.file.name);
  const res = await fetch(uploadUrl(req), { method: 'POST', body: form, headers: { authorization: `Bearer ${req.token}` } });
  req.onProgress?.(1);
  return parseUploadReply(res.status, await res.text());
};
