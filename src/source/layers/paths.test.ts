import { describe, expect, it } from 'vitest';
import { DrydockError } from '../../model/index.js';
import { baseName, childPath, normalizeEntryPath, parentPath } from './paths.js';

describe('normalizeEntryPath', () => {
  it.each([
    ['usr/bin/env', '/usr/bin/env', false, false],
    ['./usr/bin/env', '/usr/bin/env', false, false],
    ['/usr/bin/env', '/usr/bin/env', false, true],
    ['usr/lib/', '/usr/lib', false, false],
    ['usr//lib///x', '/usr/lib/x', false, false],
    ['usr/./lib/../bin/./sh', '/usr/bin/sh', false, false],
    ['./', '/', false, false],
    ['.', '/', false, false],
    ['', '/', false, false],
    ['/', '/', false, true],
    ['../../etc/passwd', '/etc/passwd', true, false],
    ['usr/../../etc/shadow', '/etc/shadow', true, false],
    ['/../x', '/x', true, true],
    ['a/..', '/', false, false],
    ['..foo/bar..', '/..foo/bar..', false, false],
  ])('%j → %s', (name, path, clamped, absolute) => {
    expect(normalizeEntryPath(name)).toEqual({ path, clamped, absolute });
  });

  it('rejects NUL bytes', () => {
    expect(() => normalizeEntryPath('a\0b')).toThrow(DrydockError);
  });
});

describe('path helpers', () => {
  it.each([
    ['/usr/bin/env', '/usr/bin', 'env'],
    ['/usr', '/', 'usr'],
    ['/', '/', ''],
  ])('%s has parent %s and base name %j', (path, parent, base) => {
    expect(parentPath(path)).toBe(parent);
    expect(baseName(path)).toBe(base);
    if (path !== '/') expect(childPath(parent, base)).toBe(path);
  });
});
