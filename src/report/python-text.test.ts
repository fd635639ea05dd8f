import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pythonFloat, pythonRepr, pythonStr, pythonTruthy } from './python-text.js';

/** What Python prints for each value json.loads made: str() and bool(), one JSON line each. */
function python(values: unknown[]): { str: string; truthy: boolean }[] {
  const code =
    'import json,sys\nfor v in json.load(sys.stdin): print(json.dumps({"str": str(v), "truthy": bool(v)}))';
  const result = spawnSync('/usr/bin/python3', ['-c', code], {
    input: JSON.stringify(values),
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { str: string; truthy: boolean });
}

describe('pythonStr', () => {
  it("prints JSON values as Python's str() does", () => {
    const values = [
      null,
      true,
      false,
      0,
      -7,
      12345678901234567000,
      1.5,
      -0.25,
      0.0001,
      0.00001,
      1.2345e-7,
      1e16,
      2.5e20,
      1e21,
      123456.789,
      '',
      'plain text',
      [],
      {},
      { subscriptions: [{ subscription_type: 'tag_update', subscription_key: 'r:5000/a:b' }] },
      [
        "it's",
        'say "hi"',
        `both ' and "`,
        'tab\there\nnew',
        'back\\slash',
        'é 漢 🙂',
        '\u00a0\u200b\u007f\u0085',
      ],
      { nested: { list: [1, 2.5, null, true, 'x'] }, '': 'empty key' },
    ];
    const expected = python(values);
    values.forEach((value, i) => {
      expect(pythonStr(value)).toBe(expected[i]?.str);
      expect(pythonTruthy(value)).toBe(expected[i]?.truthy);
    });
  });

  it('formats floats as Python reprs them, and refuses a missing value', () => {
    expect(pythonFloat(5)).toBe('5.0');
    expect(pythonFloat(0.5)).toBe('0.5');
    expect(pythonFloat(-0)).toBe('-0.0');
    expect(() => pythonRepr(undefined)).toThrow(/missing/);
  });
});
