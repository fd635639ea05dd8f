import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutate, randomText } from '../../../test/harness/mutate.js';
import { seededRandom } from '../../../test/harness/random.js';
import { parseDebianCopyright } from './debian-copyright.js';

/** Real copyright files from Debian bookworm packages. */
const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/dpkg/copyright');
const fixture = (name: string): Promise<string> => readFile(resolve(FIXTURES, name), 'utf8');

describe('parseDebianCopyright', () => {
  it('reads License: fields of machine-readable files', async () => {
    expect(parseDebianCopyright(await fixture('zlib1g-dep5'))).toEqual(['Zlib']);
    expect(parseDebianCopyright(await fixture('findutils-dep5'))).toEqual([
      'BSD-3-clause',
      'FSFAP',
      'FSFULLR',
      'GFDL-NIV-1.3+',
      'GPL with automake exception',
      'GPL-2+',
      'GPL-2+ with Autoconf-data exception',
      'GPL-3+',
      'GPL-3+ with Autoconf-data exception',
      'GPL-3+ with Bison-2.2 exception',
      'ISC',
      'LGPL-2+',
      'LGPL-2.1+',
      'LGPL-3',
      'LGPL-3+',
      'X11',
      'public-domain',
    ]);
  });

  it('splits license expressions and drops none', () => {
    const text = [
      'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
      '',
      'Files: *',
      'License: GPL-1+ or Artistic, and BSD-3-clause and/or MIT',
      '',
      'Files: x',
      'License: none',
      '',
      'License: Expat',
      ' Permission is hereby granted … under the GPL-3',
    ].join('\n');
    expect(parseDebianCopyright(text)).toEqual([
      'Artistic',
      'BSD-3-clause',
      'Expat',
      'GPL-1+',
      'MIT',
    ]);
  });

  it('accepts the DEP-5 drafts and their Format-Specification field', () => {
    const text =
      'Format-Specification: http://svn.debian.org/wsvn/dep/web/deps/dep5.mdwn?op=file&rev=135\n\nFiles: *\nLicense: GPL-2+\n';
    expect(parseDebianCopyright(text)).toEqual(['GPL-2+']);
  });

  it('reads only common-licenses references from free-form files', async () => {
    expect(parseDebianCopyright(await fixture('libc6-free-form'))).toEqual(['GPL-2', 'LGPL-2.1']);
    expect(parseDebianCopyright(await fixture('base-files-free-form'))).toEqual(['GPL']);
    // A License: line does not make a file machine-readable, nor does an unknown license path.
    expect(
      parseDebianCopyright(
        'This is free software.\nLicense: MIT\nSee /usr/share/common-licenses/Foo-1 and /usr/share/common-licenses/GPL-3.\n',
      ),
    ).toEqual(['GPL-3']);
  });

  it('never throws on random or mutated files, and stays bounded (seeded fuzz)', async () => {
    const samples = [
      Buffer.from(await fixture('findutils-dep5')),
      Buffer.from(await fixture('libc6-free-form')),
    ];
    const random = seededRandom(0xc0b1);
    for (let round = 0; round < 300; round += 1) {
      const sample = samples[round % 2] ?? Buffer.alloc(0);
      const input =
        round % 3 === 2
          ? randomText(
              'Format: dep5\nLicense:GPL-2 or, and\n /usr/share/common-licenses/',
              3000,
              random,
            )
          : mutate(sample, random, '\nLicense: ');
      const licenses = parseDebianCopyright(input.toString('utf8'));
      expect(licenses.length).toBeLessThanOrEqual(100);
      for (const name of licenses) expect(name.length).toBeLessThanOrEqual(120);
    }
  });
});
