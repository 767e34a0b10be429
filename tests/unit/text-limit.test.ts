/** How far a text is over the one limit of a text message (types/message.ts), as the composer shows it. */
import { TEXT_MAX_CHARS, textOverLimit } from '../../types/message';

test('a text up to the limit is not over it; each character beyond counts one', () => {
  expect(textOverLimit('')).toBe(0);
  expect(textOverLimit('头'.repeat(TEXT_MAX_CHARS))).toBe(0);
  expect(textOverLimit('头'.repeat(TEXT_MAX_CHARS + 345))).toBe(345);
});

test('characters are counted as people count them: an emoji outside the BMP is one, not two UTF-16 units', () => {
  expect(textOverLimit('😀'.repeat(TEXT_MAX_CHARS))).toBe(0);
  expect(textOverLimit('😀'.repeat(TEXT_MAX_CHARS + 1))).toBe(1);
});

test('the spaces and line breaks around a text, which sending drops, do not count', () => {
  expect(textOverLimit(`  \n${'a'.repeat(TEXT_MAX_CHARS)}\n  `)).toBe(0);
});
