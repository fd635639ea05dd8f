import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { anchoreCliJson } from './anchore-cli-json.js';

/** What anchore-cli does with an engine response under --json. */
const PYTHON_JSON =
  'import json,sys; print(json.dumps(json.load(sys.stdin), indent=4, sort_keys=True))';

describe('anchoreCliJson', () => {
  it('prints a document byte for byte as Python json.dumps(indent=4, sort_keys=True) does', () => {
    const value = {
      zeta: [1, 1.5, -1, { Z: 'é 漢 🙂 \u007f', a: null, _: false }],
      Alpha: {},
      _under: [],
      'a b': true,
      nested: { y: 2, x: 'tab\t"quote" \\ \n' },
    };
    const python = spawnSync('/usr/bin/python3', ['-c', PYTHON_JSON], {
      input: JSON.stringify(value),
      encoding: 'utf8',
    });
    expect(python.status, python.stderr).toBe(0);
    expect(anchoreCliJson(value)).toBe(python.stdout);
  });
});
