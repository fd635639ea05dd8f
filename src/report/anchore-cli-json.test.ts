import { describe, expect, it } from 'vitest';
import { python, PYTHON_JSON } from '../../test/harness/python-oracle.js';
import { anchoreCliJson } from './anchore-cli-json.js';

describe('anchoreCliJson', () => {
  it('prints a document byte for byte as Python json.dumps(indent=4, sort_keys=True) does', () => {
    const value = {
      zeta: [1, 1.5, -1, { Z: 'é 漢 🙂 \u007f', a: null, _: false }],
      Alpha: {},
      _under: [],
      'a b': true,
      nested: { y: 2, x: 'tab\t"quote" \\ \n' },
    };
    expect(anchoreCliJson(value)).toBe(python(PYTHON_JSON, value));
  });
});
