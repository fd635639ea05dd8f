import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageSpec } from '../../../test/harness/image-builder.js';
import { policyInputFor } from '../../../test/harness/policy-input.js';
import { evaluateRule, ruleProblems } from '../../../test/harness/policy-rule.js';
import type { PolicyInput } from '../gate.js';

const npm = (name: string, version: string, license: string): string =>
  `${JSON.stringify({ name, version, license })}\n`;

/** A Debian package with a DEP-5 copyright file, npm packages under expressions, a Python one. */
const licensedSpec: ImageSpec = {
  layers: [
    {
      entries: [
        { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
        {
          path: 'var/lib/dpkg/status',
          content:
            'Package: hostname\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.23+nmu1\nDescription: set the hostname\n',
        },
        {
          path: 'usr/share/doc/hostname/copyright',
          content:
            'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: 2009 A. Person\nLicense: GPL-2+\n',
        },
        {
          path: 'app/node_modules/gpl-lib/package.json',
          content: npm('gpl-lib', '1.0.0', 'GPL-3.0-or-later'),
        },
        {
          path: 'app/node_modules/dual/package.json',
          content: npm('dual', '2.1.0', 'MIT OR Apache-2.0'),
        },
        {
          path: 'app/node_modules/mixed/package.json',
          content: npm('mixed', '0.3.0', '(BSD-2-Clause AND LGPL-2.1-only)'),
        },
        { path: 'app/node_modules/ms/package.json', content: npm('ms', '2.1.3', 'MIT') },
        {
          path: 'app/node_modules/dual/node_modules/ms/package.json',
          content: npm('ms', '2.0.0', 'MIT'),
        },
        {
          path: 'usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA',
          content: 'Metadata-Version: 2.1\nName: requests\nVersion: 2.28.1\nLicense: Apache 2.0\n',
        },
      ],
    },
  ],
};

let image: PolicyInput;

beforeAll(async () => {
  image = await policyInputFor(licensedSpec);
}, 60_000);

const exact = (params: Record<string, string>) =>
  evaluateRule(image, 'licenses', 'blacklist_exact_match', params);
const partial = (params: Record<string, string>) =>
  evaluateRule(image, 'licenses', 'blacklist_partial_match', params);
const ids = (rows: ReturnType<typeof exact>) => rows.map((row) => row.triggerId);

describe('licenses blacklist_exact_match', () => {
  it('fires per license and package, for plain names and names inside expressions', () => {
    const rows = exact({ licenses: 'MIT' });
    expect(rows.map((r) => [r.triggerId, r.checkOutput])).toEqual([
      [
        'MIT+ms',
        "Packages ms 2.0.0 (npm), ms 2.1.3 (npm) are distributed under blacklisted license 'MIT'.",
      ],
      ['MIT+dual', "Package dual 2.1.0 (npm) is distributed under blacklisted license 'MIT'."],
    ]);
    expect(ids(exact({ licenses: 'GPL-2+, Apache 2.0, LGPL-2.1-only' }))).toEqual([
      'GPL-2++hostname',
      'LGPL-2.1-only+mixed',
      'Apache 2.0+requests',
    ]);
    expect(ids(exact({ licenses: 'MIT OR Apache-2.0' }))).toEqual(['MIT OR Apache-2.0+dual']);
  });

  it('does not fire for near names: exact and case-sensitive', () => {
    expect(exact({ licenses: 'GPL,mit,Apache,2.0,OR,AGPL-3.0' })).toEqual([]);
  });

  it('checks only the packages of package_type', () => {
    expect(ids(exact({ licenses: 'MIT,GPL-2+', package_type: 'dpkg' }))).toEqual([
      'GPL-2++hostname',
    ]);
    expect(exact({ licenses: 'MIT,GPL-2+', package_type: 'apkg' })).toEqual([]);
    expect(ids(exact({ licenses: 'Apache 2.0', package_type: 'python' }))).toEqual([
      'Apache 2.0+requests',
    ]);
  });
});

describe('licenses blacklist_partial_match', () => {
  it('fires per license and package containing a listed string', () => {
    const rows = partial({ licenses: 'GPL' });
    expect(ids(rows)).toEqual([
      'GPL-2++hostname',
      'GPL-3.0-or-later+gpl-lib',
      'LGPL-2.1-only+mixed',
    ]);
    expect(rows[2]?.checkOutput).toBe(
      "Package mixed 0.3.0 (npm) is distributed under blacklisted license 'LGPL-2.1-only' (it contains 'GPL').",
    );
    expect(ids(partial({ licenses: 'GPL', package_type: 'npm' }))).toEqual([
      'GPL-3.0-or-later+gpl-lib',
      'LGPL-2.1-only+mixed',
    ]);
  });

  it('does not fire when no license contains a listed string', () => {
    expect(partial({ licenses: 'EUPL,gpl,Artistic' })).toEqual([]);
    expect(partial({ licenses: 'GPL', package_type: 'python' })).toEqual([]);
  });
});

describe('licenses parameters', () => {
  it('are refused with the policy, rule and parameter named', () => {
    expect(ruleProblems('licenses', 'blacklist_exact_match', { package_type: 'cargo' })).toEqual([
      'policy p1 rule r1: parameter licenses is required',
      expect.stringMatching(
        /^policy p1 rule r1: parameter package_type "cargo": expected one of all, dpkg, apk, rpm, npm, python, gem, java, go, apkg$/,
      ),
    ]);
    expect(
      ruleProblems('licenses', 'blacklist_partial_match', { licenses: 'GPL', package_type: 'ALL' }),
    ).toEqual([]);
  });
});
