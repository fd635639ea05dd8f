import { describe, expect, it } from 'vitest';
import { isInstalledManifest, parsePackageJson } from './npm.js';

describe('isInstalledManifest', () => {
  it.each([
    ['/app/node_modules/ms/package.json', true],
    ['/app/node_modules/@types/ms/package.json', true],
    ['/app/node_modules/debug/node_modules/ms/package.json', true],
    ['/app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json', true],
    ['/usr/lib/node_modules/npm/package.json', true],
    ['/usr/share/nodejs/acorn/package.json', true],
    ['/usr/share/nodejs/@babel/core/package.json', true],
    ['/usr/lib/x86_64-linux-gnu/nodejs/bufferutil/package.json', true],
    // below a package root: fixtures, examples, sub-path exports
    ['/app/node_modules/ms/test/fixtures/package.json', false],
    ['/app/node_modules/@types/ms/sub/package.json', false],
    ['/app/node_modules/.bin/package.json', false],
    ['/app/node_modules/@/x/package.json', false],
    ['/app/node_modules/package.json', false],
    ['/app/package.json', false],
    ['/usr/share/nodejs/package.json', false],
    ['/app/node_modules/ms/package.json.bak', false],
  ])('%s → %s', (path, expected) => {
    expect(isInstalledManifest(path)).toBe(expected);
  });
});

describe('parsePackageJson', () => {
  it('reads name, version, an SPDX expression, the author string and homepage', () => {
    const text = JSON.stringify({
      name: '@scope/pkg',
      version: '1.2.3',
      license: '(MIT OR Apache-2.0)',
      author: 'Isaac Z. Schlueter <i@izs.me> (http://blog.izs.me)',
      homepage: 'https://example.org',
    });
    expect(parsePackageJson(`\uFEFF${text}`)).toEqual({
      name: '@scope/pkg',
      version: '1.2.3',
      licenses: ['(MIT OR Apache-2.0)'],
      author: 'Isaac Z. Schlueter <i@izs.me> (http://blog.izs.me)',
      homepage: 'https://example.org',
      private: false,
    });
  });

  it('reads the legacy license object and licenses array, and the author object', () => {
    expect(
      parsePackageJson('{"name":"a","version":"1.0.0","license":{"type":"BSD","url":"x"}}')
        ?.licenses,
    ).toEqual(['BSD']);
    const legacy = parsePackageJson(
      JSON.stringify({
        name: 'a',
        version: '1.0.0',
        licenses: [{ type: 'MIT' }, 'GPL-2.0', { url: 'only-a-url' }, 7],
        author: { name: 'Jane', email: 'j@example.org', url: 'https://j.example.org' },
        private: true,
      }),
    );
    expect(legacy?.licenses).toEqual(['MIT', 'GPL-2.0']);
    expect(legacy?.author).toBe('Jane <j@example.org> (https://j.example.org)');
    expect(legacy?.private).toBe(true);
  });

  it('is undefined without a name or a version, or for anything but a JSON object', () => {
    expect(parsePackageJson('{"name":"a"}')).toBeUndefined();
    expect(parsePackageJson('{"version":"1.0.0"}')).toBeUndefined();
    expect(parsePackageJson('{"name":"","version":"1.0.0"}')).toBeUndefined();
    expect(parsePackageJson('{"name":5,"version":"1.0.0"}')).toBeUndefined();
    expect(parsePackageJson('["a"]')).toBeUndefined();
    expect(parsePackageJson('{')).toBeUndefined();
  });
});
