/**
 * The H5 build as served: hashed assets precompressed (brotli, else gzip) and immutable, index.html
 * revalidated every time (no-cache, with an ETag that answers 304). Needs a fresh `taro build --type h5`
 * (the build writes the .br/.gz files, scripts/compress-h5.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startTestServer, type TestServer } from '../helpers/server';

const DIST = resolve(__dirname, '../../dist/h5');
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ staticDir: DIST });
});
afterAll(() => server?.dispose());

/** The app's main script as index.html names it. */
function appScript(): string {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const src = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]).find((s) => /\/js\/app\./.test(s));
  if (!src) throw new Error('no app script in index.html');
  return src;
}

test('a hashed asset is sent brotli- or gzip-compressed as the client accepts, cached as immutable', async () => {
  const path = appScript();
  expect(path).toMatch(/\/js\/app\.[0-9a-f]{8}\.js$/);
  expect(existsSync(join(DIST, `${path}.br`))).toBe(true);
  const raw = readFileSync(join(DIST, path));
  const br = await fetch(`${server.url}${path}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
  expect(br.status).toBe(200);
  expect(br.headers.get('content-encoding')).toBe('br');
  expect(br.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(br.headers.get('vary')).toMatch(/accept-encoding/i);
  expect(br.headers.get('content-type')).toMatch(/javascript/);
  // fetch() would decode it; the body on the wire is the .br file, smaller than a third of the script.
  const wire = Number(br.headers.get('content-length'));
  expect(wire).toBeLessThan(raw.length / 3);
  expect(brotliDecompressSync(readFileSync(join(DIST, `${path}.br`))).equals(raw)).toBe(true);

  const gz = await fetch(`${server.url}${path}`, { headers: { 'accept-encoding': 'gzip' } });
  expect(gz.headers.get('content-encoding')).toBe('gzip');
  expect(gunzipSync(readFileSync(join(DIST, `${path}.gz`))).equals(raw)).toBe(true);
  const plain = await fetch(`${server.url}${path}`, { headers: { 'accept-encoding': 'identity' } });
  expect(plain.headers.get('content-encoding')).toBeNull();
  expect(Buffer.from(await plain.arrayBuffer()).equals(raw)).toBe(true);
});

test('index.html (and every hash-router address) is no-cache, revalidated by ETag', async () => {
  for (const path of ['/', '/index.html']) {
    const res = await fetch(`${server.url}${path}`, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const etag = res.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await fetch(`${server.url}${path}`, { headers: { 'if-none-match': etag as string } });
    expect(again.status).toBe(304);
  }
  expect((await fetch(`${server.url}/js/app.00000000.js`)).status).toBe(404);
});
