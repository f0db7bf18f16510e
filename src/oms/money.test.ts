import { describe, expect, it } from 'vitest';
import { formatCents, toCents } from './money';

describe('money', () => {
  it('parses decimals exactly and formats with two places', () => {
    expect(toCents('19.9')).toBe(1990n);
    expect(toCents(19.9)).toBe(1990n);
    expect(toCents('0.10')).toBe(10n);
    expect(toCents(3)).toBe(300n);
    expect(formatCents(toCents('0.1')! * 3n)).toBe('0.30'); // not 0.30000000000000004
    expect(formatCents(123456789012345n)).toBe('1234567890123.45');
  });
  it('refuses negatives, three places, exponents and junk', () => {
    for (const bad of ['-1', '1.234', '1e3', 'abc', '', '1.', '.5', Number.NaN, -0.5, 1e20]) {
      expect(toCents(bad as string | number), String(bad)).toBeUndefined();
    }
  });
});
