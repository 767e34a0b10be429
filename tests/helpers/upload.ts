/** Uploading through the HTTP API as a given account (or a raw token, or none), as clients do. */
import type { FileAttach, MediaKind } from '../../types/media';
import type { Account } from '../../types/message';

export interface UploadResult {
  status: number;
  body: FileAttach & { error?: { code: string; message: string } };
}

export async function uploadAs(
  server: { url: string; auth: { issue(a: Account): Promise<string> } },
  as: Account | string | undefined,
  kind: MediaKind | string,
  name: string,
  bytes: Buffer,
  query = '',
): Promise<UploadResult> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  const token = typeof as === 'string' ? as : as ? await server.auth.issue(as) : undefined;
  const res = await fetch(`${server.url}/api/upload?kind=${kind}${query}`, {
    method: 'POST',
    body: form,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, body: (await res.json()) as UploadResult['body'] };
}
