import { describe, expect, it } from 'vitest';
import { prettytable } from '../../test/harness/python-oracle.js';
import { plainColumns, type Cell } from './plain-columns.js';

describe('plainColumns', () => {
  const head = ['Package', 'Version', 'Size'];
  const rows: Cell[][] = [
    ['zlib', '1.2', 300],
    ['bash', '5.2', 7164],
    ['bash', '5.1', 7164],
    ['Zed', '1', 12],
    ['漢字', '2', 5],
    ['café', '3', 99999],
    ['e\u0301', '4', 0],
    ['émoji 🙂', '5', 1],
    ['🙂 first?', '6', 2],
    ['\uff5e after the emoji in UTF-16, before it in Python', '7', 3],
  ];

  it('lays out and sorts rows as prettytable does (ties by the whole row, wide characters)', () => {
    expect(plainColumns(head, rows)).toBe(prettytable(head, rows));
    expect(plainColumns(head, rows, { sortBy: 'Package' })).toBe(
      prettytable(head, rows, 'Package'),
    );
    expect(plainColumns(head, rows, { sortBy: 'Size', reverse: true })).toBe(
      prettytable(head, rows, 'Size', true),
    );
  });

  it('prints nothing, not even the header, without rows; escapes control characters', () => {
    expect(plainColumns(head, [])).toBe('');
    expect(plainColumns(['A'], [['line\nbreak\u001b[31m']])).toBe(
      'A                            \nline\\nbreak\\u001b[31m        ',
    );
  });
});
