import { describe, expect, it } from 'vitest';
import { boxTable, columns, formatBytes, keyValues, shortDigest, truncate } from './table.js';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [12_345_678, '12.3 MB'],
    [123_456_789, '123 MB'],
    [5e12, '5.0 TB'],
    [5e15, '5000 TB'],
  ])('%d → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('shortDigest and truncate', () => {
  it('keeps the algorithm and 12 hex digits', () => {
    expect(shortDigest(`sha256:${'ab'.repeat(32)}`)).toBe('sha256:abababababab');
    expect(shortDigest(undefined)).toBe('-');
  });

  it('cuts long text with an ellipsis, without splitting characters', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
    expect(truncate('😀😀😀😀😀', 3)).toBe('😀😀…');
  });
});

describe('columns', () => {
  it('aligns columns, right-aligning numbers, without padding the last column', () => {
    const text = columns(
      ['MODE', 'SIZE', 'PATH'],
      [
        ['drwxr-xr-x', '0', '/bin'],
        ['-rwxr-xr-x', '123456', '/bin/busybox'],
      ],
      ['left', 'right'],
    );
    expect(text.split('\n')).toEqual([
      'MODE          SIZE  PATH',
      'drwxr-xr-x       0  /bin',
      '-rwxr-xr-x  123456  /bin/busybox',
    ]);
  });

  it('lays out more rows than a spread of arguments allows', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => ['x', String(i)]);
    expect(columns(['A', 'B'], rows).split('\n')).toHaveLength(300_001);
  });

  it('makes cells printable', () => {
    expect(columns(['PATH'], [['/a\nb']])).toBe('PATH\n/a\\nb');
  });
});

describe('keyValues and boxTable', () => {
  it('aligns values and indents continuation lines', () => {
    expect(
      keyValues([
        ['User', 'root'],
        ['Env', 'A=1\nB=2'],
      ]),
    ).toBe('User:  root\nEnv:   A=1\n       B=2');
  });

  it('draws a box table with printable cells', () => {
    const text = boxTable(['#', 'Created by'], [['0', 'RUN echo \u001b[2J']]);
    expect(text).toContain('RUN echo \\u001b[2J');
    expect(text).not.toContain('\u001b');
    expect(text.split('\n')[0]).toMatch(/^┌/);
  });
});
