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

/**
 * HTTPS only from the first visit on, for a year: people open the chat from SMS links and may later
 * type the address, which a network on the way could otherwise answer over plain HTTP.
 */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000';

/** Headers every answer of ours carries; `https` when the server's public address is (PUBLIC_URL). */
export function baseHeaders(res: ServerResponse, https = false): void {
  if (https) res.setHeader('strict-transport-security', STRICT_TRANSPORT_SECURITY);
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  // For browsers that predate frame-ancestors.
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
}
