import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pyyamlSafeDump } from './pyyaml.js';

/** What anchore-cli prints for `event get`. */
const PYYAML =
  'import json,sys,yaml; sys.stdout.write(yaml.safe_dump(json.load(sys.stdin), default_flow_style=False))';

function pyyaml(value: unknown): string {
  const result = spawnSync('/usr/bin/python3', ['-c', PYYAML], {
    input: JSON.stringify(value),
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

describe('pyyamlSafeDump', () => {
  it('writes an engine event as PyYAML safe_dump does', () => {
    const event = {
      type: 'user.image.vulnerabilities.updated',
      level: 'INFO',
      message: 'vulnerabilities changed: 2 new, 0 gone',
      details: { added: ['CVE-2024-1', 'CVE-2024-2'], removed: [], tags: ['r:5000/team/app:bad'] },
      timestamp: '2024-05-01T12:00:00Z',
      resource: { user_id: 'admin', id: `sha256:${'ab'.repeat(32)}`, type: 'image_digest' },
      source: { servicename: 'drydock', hostid: 'vm:1:2', base_url: null, request_id: null },
    };
    expect(pyyamlSafeDump(event)).toBe(pyyaml(event));
  });

  it('quotes, escapes and folds scalars, and nests collections, as PyYAML does', () => {
    const value = {
      ['k'.repeat(130)]: 'a long key',
      'multi\nline key': { a: [1] },
      '': { '': 1 },
      nested: [{ x: 1, y: [1, [2, 3], {}] }, [], 'z'],
      numbers: [0, -3, 1e-7, 1e20, 1.5e300, -0.5, 1e16, 3.25],
      flags: [true, false, null],
      long: `${'x'.repeat(90)} y y y`,
      words: 'word '.repeat(40).trim(),
      quoted: `it's: a ${'long '.repeat(20)}line`,
      escaped: `tab\there é and a ${'very long '.repeat(8)}line`,
      lines: 'line one\nline two\n\nline four',
      spaceBreak: 'a \nb',
      leadingBreak: '\nx',
      emoji: '🙂',
      implicit: ['', 'true', 'True', 'on', 'y', 'Null', '~', '0755', '0x1F', '190:20:30', '.5'],
      more: ['.inf', '=', '<<', '2024-01-01', '2024-1-1 10:20:30.5 +01:00', '12', '1e3'],
      indicators: ['-', '?', ':', '-x', '#x', 'a#b', 'a #b', 'x:', 'a: b', '--- x', '...', '!'],
      quotes: ['"quoted"', `it's "both"`, "'single'", '@at', '%pct', '`tick', 'a*'],
    };
    expect(pyyamlSafeDump(value)).toBe(pyyaml(value));
    expect(pyyamlSafeDump({})).toBe(pyyaml({}));
  });
});
