import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Cipher, dataKeysFrom } from '../../server/crypto';

const key = () => randomBytes(32).toString('base64');

test('records name their key: after rotation old records still open, new ones use the new key', () => {
  const k1 = key();
  const k2 = key();
  const before = new Cipher(dataKeysFrom({ DATA_KEYS: `k1:${k1}` }, ':memory:'));
  const old = before.seal('过敏史：青霉素');
  expect(old.startsWith('enc1:k1:')).toBe(true);
  expect(old).not.toContain('青霉素');

  const after = new Cipher(dataKeysFrom({ DATA_KEYS: `k1:${k1},k2:${k2}`, DATA_KEY_ID: 'k2' }, ':memory:'));
  expect(after.open(old)).toBe('过敏史：青霉素');
  const fresh = after.seal('新记录');
  expect(fresh.startsWith('enc1:k2:')).toBe(true);
  // A key taken out of DATA_KEYS makes its records unreadable, with a message saying which key.
  const retired = new Cipher(dataKeysFrom({ DATA_KEYS: `k2:${k2}` }, ':memory:'));
  expect(() => retired.open(old)).toThrow('data key "k1" is not configured');
  expect(retired.open(fresh)).toBe('新记录');
});

test('a changed ciphertext is detected (GCM), and bad key configuration is refused at start', () => {
  const c = new Cipher(dataKeysFrom({ DATA_KEYS: `a:${key()}` }, ':memory:'));
  const sealed = c.seal('hello');
  const raw = Buffer.from(sealed.split(':')[2], 'base64');
  raw[raw.length - 1] ^= 1;
  expect(() => c.open(`enc1:a:${raw.toString('base64')}`)).toThrow();
  expect(() => dataKeysFrom({ DATA_KEYS: 'a:short' }, ':memory:')).toThrow('base64-of-32-bytes');
  expect(() => dataKeysFrom({ DATA_KEYS: `a:${key()}`, DATA_KEY_ID: 'b' }, ':memory:')).toThrow('DATA_KEY_ID');
});

test('file streams round-trip through the header, ciphertext and tag', async () => {
  const c = new Cipher(dataKeysFrom({ DATA_KEYS: `files:${key()}` }, ':memory:'));
  const plain = randomBytes(100_000);
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from([plain.subarray(0, 1000), plain.subarray(1000)]).pipe(c.encryptStream())) chunks.push(chunk as Buffer);
  const sealed = Buffer.concat(chunks);
  expect(sealed.includes(plain.subarray(0, 64))).toBe(false);
  const header = sealed.subarray(0, Cipher.headerBytes(sealed[0]));
  const tag = sealed.subarray(sealed.length - Cipher.TAG_BYTES);
  const d = c.decipherFor(header, tag);
  const out = Buffer.concat([d.update(sealed.subarray(header.length, sealed.length - Cipher.TAG_BYTES)), d.final()]);
  expect(out.equals(plain)).toBe(true);
});
