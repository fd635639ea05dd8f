/**
 * The apk scheme on every vector of apk-tools' own version test data
 * (test/fixtures/version/apk-version.data, see the README beside it), read the way apk-tools'
 * test/unit/version_test.c reads it. There is no apk binary for Debian, so this file is the
 * oracle; src/version/apk.test.ts adds the seeded fuzz and property tests.
 *
 * apk orders even strings it calls invalid (by text at the first bad token); our schemes refuse
 * invalid versions, so for the few vectors that compare an invalid version we check that the
 * invalid side is refused with invalidVersion instead.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DrydockError } from '../src/model/index.js';
import { apkScheme, compareApkPrefix } from '../src/version/apk.js';

const DATA = new URL('./fixtures/version/apk-version.data', import.meta.url);

type Vector =
  | { line: string; kind: 'validity'; version: string; valid: boolean }
  | { line: string; kind: 'comparison'; a: string; op: string; negated: boolean; b: string };

/** version_test_one: `version`, `!version`, `a op b` or `a !op b`; `#` starts a comment. */
function readVectors(text: string): Vector[] {
  const vectors: Vector[] = [];
  for (const raw of text.split('\n')) {
    const line = (raw.split('#')[0] ?? '').trim();
    if (line === '') continue;
    const [a = '', op = '', b] = line.split(' ', 3);
    if (b === undefined) {
      const valid = !a.startsWith('!');
      vectors.push({ line, kind: 'validity', version: valid ? a : a.slice(1), valid });
    } else {
      const negated = op.startsWith('!');
      vectors.push({ line, kind: 'comparison', a, op: negated ? op.slice(1) : op, negated, b });
    }
  }
  return vectors;
}

/** apk_version_match: the operator's characters are the results it accepts. */
function matches(a: string, op: string, b: string): boolean {
  const fuzzy = op.includes('~');
  const r = Math.sign(fuzzy ? compareApkPrefix(a, b) : apkScheme.compare(a, b));
  return Array.from(op).some((c) => (c === '<' ? r < 0 : c === '>' ? r > 0 : r === 0));
}

const vectors = readVectors(readFileSync(DATA, 'utf8'));
const comparisons = vectors.filter((v) => v.kind === 'comparison');
const validities = vectors.filter((v) => v.kind === 'validity');

describe('apk scheme on apk-tools test/unit/version.data', () => {
  it('reads the whole file', () => {
    expect(comparisons).toHaveLength(754);
    expect(validities.filter((v) => v.valid)).toHaveLength(6);
    expect(validities.filter((v) => !v.valid)).toHaveLength(25);
    expect(new Set(comparisons.map((v) => v.op))).toEqual(
      new Set(['<', '>', '=', '~', '<~', '>~']),
    );
  });

  it.each(validities.map((v) => [v.line, v] as const))('%s', (_, vector) => {
    expect(apkScheme.valid(vector.version)).toBe(vector.valid);
  });

  const comparable = comparisons.filter((v) => apkScheme.valid(v.a) && apkScheme.valid(v.b));
  it.each(comparable.map((v) => [v.line, v] as const))('%s', (_, vector) => {
    expect(matches(vector.a, vector.op, vector.b)).toBe(!vector.negated);
  });

  const refused = comparisons.filter((v) => !comparable.includes(v));
  it('refuses the few comparisons of versions apk itself calls invalid', () => {
    expect(refused.map((v) => v.line)).toEqual([
      '23_foo > 4_beta',
      '1.0 < 1.0bc',
      '3.6.9_post1 ~ 3.6',
      '3.6.9_post1 !~ 3.8',
    ]);
    for (const vector of refused) {
      expect(() => matches(vector.a, vector.op, vector.b)).toThrow(DrydockError);
    }
  });
});
