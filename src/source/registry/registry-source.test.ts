import { describe, expect, it } from 'vitest';
import { RegistrySource } from './registry-source.js';

describe('references', () => {
  it.each([
    { registry: 'r', repository: 'Upper', tag: 't' },
    { registry: 'r', repository: '../x', tag: 't' },
    { registry: 'r', repository: 'a?b', tag: 't' },
    { registry: 'r', repository: 'a', tag: '-bad' },
    { registry: 'r', repository: 'a', tag: 'a/b' },
    // The same rules as parsed references: the length limit, the registry, the digest.
    { registry: 'r', repository: 'a/'.repeat(127) + 'ab', tag: 't' },
    { registry: 'r/x', repository: 'a', tag: 't' },
    { registry: 'r', repository: 'a', digest: `sha256:${'A'.repeat(64)}` },
  ])('refuses %j before any request', (ref) => {
    expect(() => new RegistrySource(ref)).toThrow(
      expect.objectContaining({ code: 'invalid-reference' }),
    );
  });
});

describe('RegistrySource', () => {
  it('can be closed twice', async () => {
    const source = new RegistrySource({ registry: 'r.test', repository: 'a', tag: 't' });
    await source.close();
    await expect(source.close()).resolves.toBeUndefined();
  });
});
