import { describe, expect, it } from 'vitest';
import { compareNumerals, compareRanges, memoize } from './compare-util.js';

describe('memoize', () => {
  it('parses each version once while it is remembered, and forgets when full', () => {
    const seen: string[] = [];
    const parse = memoize((version: string) => {
      seen.push(version);
      return version.length > 1 ? version : undefined;
    }, 2);
    expect([parse('a'), parse('a'), parse('bb'), parse('bb')]).toEqual([
      undefined,
      undefined,
      'bb',
      'bb',
    ]);
    expect(seen).toEqual(['a', 'bb']);
    parse('ccc');
    parse('a');
    expect(seen).toEqual(['a', 'bb', 'ccc', 'a']);
  });
});

describe('compareNumerals', () => {
  it('orders by length first, then digit by digit, past 2^64', () => {
    expect(compareNumerals('9', '10')).toBe(-1);
    expect(compareNumerals('18446744073709551617', '18446744073709551616')).toBe(1);
    expect(compareNumerals('123', '123')).toBe(0);
  });
});

describe('compareRanges', () => {
  it('compares the ranges only, a prefix first', () => {
    expect(compareRanges('xabcx', 1, 4, 'abd', 0, 3)).toBe(-1);
    expect(compareRanges('ab', 0, 2, 'zabc', 1, 4)).toBe(-1);
    expect(compareRanges('1.0', 0, 1, '1', 0, 1)).toBe(0);
  });
});
