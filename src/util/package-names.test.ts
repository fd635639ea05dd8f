import { describe, expect, it } from 'vitest';
import { pep503Name } from './package-names.js';

describe('pep503Name', () => {
  it.each([
    ['Django', 'django'],
    ['zope.interface', 'zope-interface'],
    ['Foo__Bar-.baz', 'foo-bar-baz'],
  ])('%s → %s', (name, normalized) => {
    expect(pep503Name(name)).toBe(normalized);
  });
});
