/**
 * Refused HTTP requests get their answer even when the server refuses before reading the whole body.
 * Unread bytes left in the socket reset the connection and the client saw ECONNRESET instead of the
 * reason (found by the fuzz test, FUZZ_SEED=149482; these cases fail without the fix every time).
 */
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(() => server.dispose());

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

test('an oversized JSON body, an unknown route and a bad upload are answered, not reset', async () => {
  const big = await post('/api/login/link', JSON.stringify({ link: 'x'.repeat(300_000) }));
  expect(big.status).toBe(413);
  expect(((await big.json()) as { error: { code: string } }).error.code).toBe('frameTooLarge');
  const nope = await post('/api/nope', 'x'.repeat(100_000));
  expect(nope.status).toBe(404);
  const upload = await post('/api/upload?kind=image', 'y'.repeat(100_000), { authorization: 'Bearer nonsense' });
  expect(upload.status).toBe(401);
});
