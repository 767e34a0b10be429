import type { ServerResponse } from 'node:http';

/**
 * NetEase Yunxin, which the NIM build of the H5 page talks to directly: its address server (LBS), the
 * long-link servers LBS names, and NOS, where NIM keeps uploaded media (uploads, and the images and
 * clips the chat shows). The default build uses none of them.
 */
const NETEASE = ['https://*.netease.im', 'wss://*.netease.im', 'https://*.127.net'];

/**
 * What the H5 page may load and who may frame it. Scripts only from our origin (an injected inline
 * script or a foreign one does not run); Taro's components set inline styles, so styles may be
 * inline. Media also come as data: and blob: URLs (picked files, recordings) before they are
 * uploaded. No page may frame ours (clickjacking of the signed-in chat). File downloads replace this
 * with their own stricter policy (files/http.ts).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  `img-src 'self' data: blob: ${NETEASE.join(' ')}`,
  `media-src 'self' data: blob: ${NETEASE.join(' ')}`,
  `connect-src 'self' ${NETEASE.join(' ')}`,
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every answer of ours carries. */
export function baseHeaders(res: ServerResponse): void {
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  // For browsers that predate frame-ancestors.
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
}
