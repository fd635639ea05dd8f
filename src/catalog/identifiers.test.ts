import { describe, expect, it } from 'vitest';
import { cpes, distroQualifier, purl } from './identifiers.js';

describe('purl', () => {
  it('normalises per type and drops empty qualifiers', () => {
    expect(purl({ type: 'pypi', name: 'Django_Rest', version: '1.0' })).toBe(
      'pkg:pypi/django-rest@1.0',
    );
    expect(
      purl({
        type: 'deb',
        namespace: 'debian',
        name: 'libc6',
        version: '2.36-9+deb12u4',
        qualifiers: { arch: 'amd64', distro: 'debian-12', upstream: undefined },
      }),
    ).toBe('pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12');
    expect(purl({ type: 'npm', namespace: '@babel', name: 'core', version: '7.0.0' })).toBe(
      'pkg:npm/%40babel/core@7.0.0',
    );
  });
});

describe('distroQualifier', () => {
  it('joins id and version', () => {
    expect(distroQualifier({ id: 'alpine', versionId: '3.19.1', idLike: [], source: '' })).toBe(
      'alpine-3.19.1',
    );
    expect(distroQualifier({ id: 'arch', idLike: [], source: '' })).toBe('arch');
    expect(distroQualifier(undefined)).toBeUndefined();
  });
});

describe('cpes', () => {
  it('makes one name per vendor and product, escaped', () => {
    expect(cpes(['Apache', 'apache'], ['commons-lang3'], '3.12.0')).toEqual([
      'cpe:2.3:a:apache:commons-lang3:3.12.0:*:*:*:*:*:*:*',
    ]);
    expect(cpes(['a'], ['b'], '1.0+build:2')).toEqual([
      'cpe:2.3:a:a:b:1.0\\+build\\:2:*:*:*:*:*:*:*',
    ]);
  });
});
