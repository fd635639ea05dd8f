import { describe, expect, it } from 'vitest';
import { oneLine, printable } from './text.js';

describe('printable', () => {
  it('escapes terminal control sequences and bidi overrides from untrusted text', () => {
    expect(printable('/app/\u001b[31mred')).toBe('/app/\\u001b[31mred');
    expect(printable('a\nb\tc\r')).toBe('a\\nb\\tc\\r');
    expect(printable('evil\u202etxt.exe')).toBe('evil\\u202etxt.exe');
    expect(printable('\u009b2J')).toBe('\\u009b2J');
    expect(printable('a\u061cb')).toBe('a\\u061cb');
  });

  it('leaves ordinary text, including non-ASCII, alone', () => {
    expect(printable('/usr/share/zoneinfo/América/São_Paulo')).toBe(
      '/usr/share/zoneinfo/América/São_Paulo',
    );
  });

  it('keeps at most maxChars characters', () => {
    expect(printable('abcdef', 3)).toBe('abc');
    expect(printable('\u0000bc', 1)).toBe('\\u0000');
  });
});

describe('oneLine', () => {
  it('joins lines, dropping surrounding spaces and `\\` continuations', () => {
    expect(oneLine('  apt-get update \\\n\t&& apt-get install  x\r\n\n done ')).toBe(
      'apt-get update && apt-get install  x done',
    );
    expect(oneLine('one line')).toBe('one line');
  });

  it('is linear on long runs of spaces', () => {
    const spaces = ' '.repeat(1024 * 1024);
    expect(oneLine(`a${spaces}\n${spaces}b`)).toBe('a b');
    expect(oneLine(spaces)).toBe('');
  });
});
