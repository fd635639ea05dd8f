import { describe, expect, it } from 'vitest';
import { lazyRequire } from './lazy-require.js';

describe('lazyRequire', () => {
  it('loads the package once, on first use', () => {
    const load = lazyRequire<typeof import('yaml')>('yaml');
    const first = load();
    expect(first.parse('a: 1')).toEqual({ a: 1 });
    expect(load()).toBe(first);
  });

  it('throws on use, not on declaration, for a package that is missing', () => {
    const load = lazyRequire('drydock-no-such-package');
    expect(load).toThrow(/Cannot find module/);
  });
});
