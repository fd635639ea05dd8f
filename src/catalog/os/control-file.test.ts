import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutate, randomText } from '../../../test/harness/mutate.js';
import { seededRandom } from '../../../test/harness/random.js';
import { firstLine, parseControl } from './control-file.js';

const STATUS = resolve(
  import.meta.dirname,
  '../../../test/fixtures/dpkg/rootfs/var/lib/dpkg/status',
);

describe('parseControl', () => {
  it('splits paragraphs on blank lines and joins continuation lines', () => {
    const { paragraphs, problems } = parseControl(
      'Package: a\nDescription: short\n long line\n .\n\tafter a blank\n\n \t\nPACKAGE:b\nX-Empty:\n',
    );
    expect(problems).toEqual([]);
    expect(paragraphs).toEqual([
      {
        line: 1,
        fields: new Map([
          ['package', 'a'],
          ['description', 'short\nlong line\n\nafter a blank'],
        ]),
      },
      {
        line: 8,
        fields: new Map([
          ['package', 'b'],
          ['x-empty', ''],
        ]),
      },
    ]);
    expect(firstLine(paragraphs[0]?.fields.get('description'))).toBe('short');
  });

  it('keeps the first of duplicate fields and skips lines that are not fields', () => {
    const { paragraphs, problems } = parseControl(
      ' orphan continuation\nA: 1\nA: 2\n continues the skipped A\nno colon\n#comment: x\n-dash: y\n: empty\nB : 3\r\n',
    );
    expect(paragraphs).toHaveLength(1);
    expect(paragraphs[0]?.fields).toEqual(
      new Map([
        ['a', '1'],
        ['b', '3'],
      ]),
    );
    expect(problems).toEqual([
      'line 1: continuation line outside a paragraph',
      'line 3: duplicate field a; the first is kept',
      'line 5: not a field',
      'line 6: not a field',
      'line 7: not a field',
      'line 8: not a field',
    ]);
  });

  it('bounds paragraphs, fields, value length and the problems it keeps', () => {
    const limits = { maxParagraphs: 2, maxFieldsPerParagraph: 2, maxValueChars: 10 };
    const parsed = parseControl(
      'A: 1\nB: 2\nC: 3\n\nD: 0123456789abcdef\n more\n\nE: 5\n\nF: 6\n',
      limits,
    );
    expect(parsed.paragraphs.map((p) => Object.fromEntries(p.fields))).toEqual([
      { a: '1', b: '2' },
      { d: '0123456789' },
    ]);
    expect(parsed.problems).toEqual([
      'line 3: more than 2 fields',
      'more than 2 paragraphs; the rest is ignored',
    ]);
    const noisy = parseControl('x\n'.repeat(100));
    expect(noisy.problems).toHaveLength(21);
    expect(noisy.problems.at(-1)).toBe('… and 80 more problems');
  });

  it('never throws on random or mutated input, and stays bounded (seeded fuzz)', async () => {
    const sample = await readFile(STATUS);
    const random = seededRandom(0xdeb822);
    const limits = { maxParagraphs: 50, maxFieldsPerParagraph: 20, maxValueChars: 300 };
    for (let round = 0; round < 500; round += 1) {
      const input =
        round % 2 === 0
          ? mutate(sample, random)
          : randomText('Pa:b \t.\n\n\r#-:\xff\x00', 3000, random);
      const { paragraphs, problems } = parseControl(input.toString('utf8'), limits);
      expect(paragraphs.length).toBeLessThanOrEqual(50);
      expect(problems.length).toBeLessThanOrEqual(21);
      for (const { fields } of paragraphs) {
        expect(fields.size).toBeLessThanOrEqual(20);
        for (const value of fields.values()) expect(value.length).toBeLessThanOrEqual(300);
      }
    }
  });
});
