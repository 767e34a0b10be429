/**
 * The H5 app's files. Taro's build names its JS and CSS by content hash, so those never change under
 * their name: `Cache-Control: public, max-age=31536000, immutable` (a repeat visit does not even ask).
 * `index.html` and anything else unhashed (and every hash-router address, which is index.html) is
 * `no-cache`: revalidated by ETag each time, so a deploy shows at once. Precompressed `.br` / `.gz`
 * files made at build time (scripts/compress-h5.ts) go to clients that accept them, with
 * `Vary: Accept-Encoding`.
 */
import type { ServerResponse } from 'node:http';
import sirv from 'sirv';

/** A webpack content hash in the file name: `app.3f9c1a2b.js`, `chunk-12.0a1b2c3d4e.css`. */
const HASHED = /[.-][0-9a-f]{8,}\.(js|mjs|css|woff2?|ttf|otf|svg|png|jpe?g|gif|webp|avif|wasm)$/i;

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';

export function cacheControlFor(pathname: string): string {
  return HASHED.test(pathname) ? IMMUTABLE : REVALIDATE;
}

export function staticAssets(dir: string) {
  return sirv(dir, {
    etag: true,
    gzip: true,
    brotli: true,
    // Taro's H5 build uses a hash router: every page is index.html.
    single: true,
    setHeaders: (res: ServerResponse, pathname: string) => res.setHeader('Cache-Control', cacheControlFor(pathname)),
  });
}
