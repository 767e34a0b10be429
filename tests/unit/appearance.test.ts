import { LARGE_TEXT_FACTOR, textScale } from '../../src/render/appearance';

describe('textScale', () => {
  test('standard text at the design size, or where the platform does not say, is unscaled', () => {
    expect(textScale('standard', 16)).toBe(1);
    expect(textScale('standard')).toBe(1);
  });

  test('follows a platform font size above the design size, and 大字 multiplies it', () => {
    expect(textScale('standard', 20)).toBe(1.25);
    expect(textScale('large', 16)).toBe(LARGE_TEXT_FACTOR);
    expect(textScale('large', 20)).toBe(1.56);
  });

  test('a platform size below the design size is not followed; the scale stops at 2', () => {
    expect(textScale('standard', 12)).toBe(1);
    expect(textScale('large', 40)).toBe(2);
  });
});
