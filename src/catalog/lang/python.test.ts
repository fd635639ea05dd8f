import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseInstalledFiles, parseMetadata, parseRecord } from './python.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/python/${name}`, import.meta.url), 'utf8');

describe('parseMetadata', () => {
  it('reads a PKG-INFO: License field over classifiers, Home-page, Author', () => {
    expect(parseMetadata(fixture('requests.PKG-INFO'))).toEqual({
      name: 'requests',
      version: '2.28.1',
      licenses: ['Apache 2.0'],
      author: 'Kenneth Reitz',
      authorEmail: 'me@kennethreitz.org',
      homepage: 'https://requests.readthedocs.io',
    });
  });

  it('reads a METADATA (dist-info)', () => {
    const pip = parseMetadata(fixture('pip.METADATA'));
    expect(pip).toMatchObject({ name: 'pip', version: '23.0.1', licenses: ['MIT'] });
  });

  it('prefers License-Expression, finds the homepage among Project-URLs, ignores the body', () => {
    expect(parseMetadata(fixture('license-expression.METADATA'))).toEqual({
      name: 'Example_Package.Name',
      version: '1.0.0rc1',
      licenses: ['MIT OR Apache-2.0'],
      authorEmail: 'Jane Doe <jane@example.org>',
      homepage: 'https://example.org/example',
    });
  });

  it('takes classifiers when License holds the whole licence text or UNKNOWN', () => {
    const text = (license: string): string =>
      `Name: x\nVersion: 1\nLicense: ${license}\nClassifier: License :: OSI Approved :: BSD License\n`;
    expect(parseMetadata(text('UNKNOWN'))?.licenses).toEqual(['BSD License']);
    expect(
      parseMetadata(text('Copyright (c) 2020\n        Permission is granted'))?.licenses,
    ).toEqual(['BSD License']);
  });

  it('is undefined without a Name or a Version', () => {
    expect(parseMetadata('Name: x\n')).toBeUndefined();
    expect(parseMetadata('\nName: x\nVersion: 1\n')).toBeUndefined();
    expect(parseMetadata('')).toBeUndefined();
  });
});

describe('parseRecord', () => {
  it('resolves paths against the site directory and turns digests into hex', () => {
    const files = parseRecord(fixture('PyYAML.RECORD'), '/usr/lib/python3/dist-packages');
    expect(files.find((f) => f.path.endsWith('/yaml/__init__.py'))).toEqual({
      path: '/usr/lib/python3/dist-packages/yaml/__init__.py',
      digest: {
        algorithm: 'sha256',
        // python3 -c "import base64; print(base64.urlsafe_b64decode('NDS7…77AA=').hex())"
        value: '3434bb4bc5e003bdbe858e8b4661b35164cfbf31b38d656b5a4f8e180fbbec00',
      },
    });
    expect(files.find((f) => f.path.endsWith('RECORD'))?.digest).toBeUndefined();
  });

  it('reads quoted CSV fields and paths that leave the site directory', () => {
    const record = '"odd, name.py",sha256=AAAA,3\n../../../bin/tool,,\n\n';
    expect(parseRecord(record, '/usr/lib/python3/dist-packages')).toEqual([
      {
        path: '/usr/lib/python3/dist-packages/odd, name.py',
        digest: { algorithm: 'sha256', value: '000000' },
      },
      { path: '/usr/bin/tool' },
    ]);
  });

  it('reads installed-files.txt relative to the egg-info directory', () => {
    expect(parseInstalledFiles('../six.py\n\nPKG-INFO\n', '/site/six.egg-info')).toEqual([
      { path: '/site/six.py' },
      { path: '/site/six.egg-info/PKG-INFO' },
    ]);
  });
});
