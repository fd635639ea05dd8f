/**
 * The dpkg cataloger on fixture databases read through the real pipeline (`dir:` source). The
 * fixture's status file holds real bookworm paragraphs plus hand-made ones in every dpkg state;
 * what it must list is asked of the real dpkg-query, not written down here.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../../test/harness/catalog.js';
import type { Distro, FileCollector } from '../../model/index.js';
import type { FoundPackage } from '../cataloger.js';
import {
  dpkgCataloger,
  dpkgCopyrightCollector,
  dpkgListCollector,
  dpkgMd5sumsCollector,
  dpkgStatusCollector,
  parseDpkgStatus,
} from './dpkg.js';

const run = promisify(execFile);
const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/dpkg');
const ROOTFS = join(FIXTURES, 'rootfs');
const ADMINDIR = join(ROOTFS, 'var/lib/dpkg');

async function dpkgQuery(...args: string[]): Promise<string[]> {
  const { stdout } = await run('dpkg-query', [`--admindir=${ADMINDIR}`, ...args]);
  return stdout.split('\n').filter((line) => line !== '');
}

function named(packages: FoundPackage[], name: string, architecture?: string): FoundPackage {
  const pkg = packages.find(
    (p) => p.name === name && (architecture === undefined || p.architecture === architecture),
  );
  if (pkg === undefined) throw new Error(`${name} not found`);
  return pkg;
}

describe('dpkg cataloger on a status database', () => {
  let packages: FoundPackage[];
  let warnings: string[];
  beforeAll(async () => {
    ({ packages, warnings } = await catalogDirectory(dpkgCataloger, ROOTFS));
  });

  it('lists what dpkg-query -W lists, in every state but not-installed', async () => {
    const expected = await dpkgQuery(
      '-W',
      '-f',
      '${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\t${Architecture}\\n',
    );
    const actual = packages.map((p) =>
      [p.name, p.version, p.source?.name, p.source?.version, p.architecture].join('\t'),
    );
    expect(actual.sort()).toEqual(expected.sort());
    expect(packages.map((p) => p.name)).not.toContain('purged');
    expect(named(packages, 'oldpkg').metadata?.state).toBe('config-files');
    expect(named(packages, 'halfinst').metadata?.state).toBe('half-installed');
    expect(named(packages, 'hostname').metadata?.state).toBe('installed');
    expect(warnings).toEqual([]);
  });

  it('lists the files dpkg-query -L lists, including Multi-Arch: same instances', async () => {
    for (const [name, arch, query] of [
      ['hostname', 'amd64', 'hostname'],
      ['libtasn1-6', 'i386', 'libtasn1-6:i386'],
      ['libtasn1-6', 'amd64', 'libtasn1-6:amd64'],
      ['base-files', 'amd64', 'base-files'],
    ] as const) {
      const listed = (await dpkgQuery('-L', query)).filter((l) => l.startsWith('/') && l !== '/.');
      const files = named(packages, name, arch).files?.map((f) => f.path);
      expect(files?.sort(), query).toEqual(listed.sort());
    }
    expect(named(packages, 'oldpkg').files).toEqual([
      {
        path: '/etc/oldpkg.conf',
        digest: { algorithm: 'md5', value: '0123456789abcdef0123456789abcdef' },
      },
    ]);
  });

  it('takes digests from md5sums and Conffiles', () => {
    const files = new Map(named(packages, 'base-files').files?.map((f) => [f.path, f.digest]));
    expect(files.get('/etc/debian_version')).toEqual({
      algorithm: 'md5',
      value: 'da9f3e5a56d6162ea9d5feed57fbf349',
    });
    expect(files.get('/usr/share/common-licenses/GPL-2')?.algorithm).toBe('md5');
    const hostname = named(packages, 'hostname').files ?? [];
    expect(hostname.find((f) => f.path === '/bin/hostname')?.digest?.value).toMatch(
      /^[0-9a-f]{32}$/,
    );
    expect(hostname.find((f) => f.path === '/usr/share/man')?.digest).toBeUndefined();
  });

  it('fills size, maintainer, source, locations, PURL and CPEs', () => {
    const tasn = named(packages, 'libtasn1-6', 'i386');
    expect(tasn).toMatchObject({
      type: 'dpkg',
      version: '4.19.0-2+deb12u1+b1',
      source: { name: 'libtasn1-6', version: '4.19.0-2+deb12u1' },
      size: 116 * 1024,
      metadata: {
        maintainer: 'Debian GnuTLS Maintainers <pkg-gnutls-maint@lists.alioth.debian.org>',
      },
      purl: 'pkg:deb/debian/libtasn1-6@4.19.0-2+deb12u1+b1?arch=i386&upstream=libtasn1-6%404.19.0-2%2Bdeb12u1',
      cpes: [
        'cpe:2.3:a:libtasn1-6:libtasn1-6:4.19.0-2\\+deb12u1\\+b1:*:*:*:*:*:*:*',
        'cpe:2.3:a:debian:libtasn1-6:4.19.0-2\\+deb12u1\\+b1:*:*:*:*:*:*:*',
      ],
    });
    expect(tasn.locations.map((l) => l.path)).toEqual([
      '/var/lib/dpkg/status',
      '/var/lib/dpkg/info/libtasn1-6:i386.list',
    ]);
    expect(tasn.locations[0]?.layerIndex).toBe(0);
    expect(named(packages, 'halfconf').purl).toBe(
      'pkg:deb/debian/halfconf@0.1-1?arch=amd64&upstream=halfconf-src',
    );
    expect(named(packages, 'hostname').purl).toBe('pkg:deb/debian/hostname@3.23+nmu1?arch=amd64');
    expect(named(packages, 'halfinst').size).toBeUndefined();
  });

  it('reads licenses from DEP-5 and free-form copyright files, through symlinked doc dirs', () => {
    expect(named(packages, 'hostname').licenses).toEqual(['GPL-2']);
    expect(named(packages, 'libtasn1-6', 'amd64').licenses).toEqual([
      'GFDL-1.3',
      'GPL-3',
      'LGPL',
      'LGPL-2.1',
    ]);
    // /usr/share/doc/halfconf is a symlink to hostname's directory
    expect(named(packages, 'halfconf').licenses).toEqual(['GPL-2']);
    expect(named(packages, 'oldpkg').licenses).toEqual([]);
  });

  it('names the distribution that was detected', async () => {
    const ubuntu: Distro = { id: 'ubuntu', versionId: '22.04', idLike: ['debian'], source: '' };
    const { packages: found } = await catalogDirectory(dpkgCataloger, ROOTFS, ubuntu);
    const hostname = named(found, 'hostname');
    expect(hostname.purl).toBe('pkg:deb/ubuntu/hostname@3.23+nmu1?arch=amd64&distro=ubuntu-22.04');
    expect(hostname.cpes).toContain('cpe:2.3:a:ubuntu:hostname:3.23\\+nmu1:*:*:*:*:*:*:*');
  });
});

describe('dpkg cataloger on distroless status.d', () => {
  it('lists every paragraph of every file, installed unless Status says otherwise', async () => {
    const { packages, warnings } = await catalogDirectory(
      dpkgCataloger,
      join(FIXTURES, 'distroless'),
    );
    expect(warnings).toEqual([]);
    expect(packages.map((p) => `${p.name} ${p.version}`).sort()).toEqual([
      'libsqlite3-0 3.40.1-2+deb12u1',
      'netbase 6.4',
      'tzdata 2024a-0+deb12u1',
    ]);
    const sqlite = named(packages, 'libsqlite3-0');
    expect(sqlite.locations.map((l) => l.path)).toEqual(['/var/lib/dpkg/status.d/libsqlite3-0']);
    expect(sqlite.source).toEqual({ name: 'sqlite3', version: '3.40.1-2+deb12u1' });
    expect(sqlite.purl).toBe(
      'pkg:deb/debian/libsqlite3-0@3.40.1-2+deb12u1?arch=arm64&upstream=sqlite3',
    );
    expect(sqlite.files?.[0]).toEqual({
      path: '/usr/lib/aarch64-linux-gnu/libsqlite3.so.0.8.6',
      digest: { algorithm: 'md5', value: '5b9f1f4c4a1c2a8d9e0f11223344556a' },
    });
    expect(sqlite.files).toHaveLength(3);
    expect(named(packages, 'tzdata').locations[0]?.path).toBe('/var/lib/dpkg/status.d/tzdata');
    expect(named(packages, 'tzdata').files).toBeUndefined();
  });
});

describe('dpkg cataloger on a damaged database', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drydock-dpkg-'));
    await mkdir(join(dir, 'var/lib/dpkg'), { recursive: true });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('skips and reports what dpkg would refuse, and keeps the rest', async () => {
    const status = [
      'Package: good\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n',
      'Package: noversion\nStatus: install ok installed\nArchitecture: amd64\n',
      'Package: weird\nStatus: install ok exploded\nVersion: 1\n',
      'Package: good\nStatus: install ok installed\nVersion: 2\nArchitecture: amd64\n',
      'Status: install ok installed\nVersion: 3\n',
      'no colon here\nPackage: spaced\nStatus:   install   ok   installed  \nVersion: 4\nInstalled-Size: lots\n',
    ].join('\n');
    await writeFile(join(dir, 'var/lib/dpkg/status'), status);
    const { packages, warnings } = await catalogDirectory(dpkgCataloger, dir);
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual(['good@1', 'spaced@4']);
    expect(packages[1]?.size).toBeUndefined();
    expect(warnings).toEqual([
      '/var/lib/dpkg/status: line 22: not a field',
      '/var/lib/dpkg/status: 1 paragraph(s) without a Package field, the first at line 19',
      '/var/lib/dpkg/status: noversion skipped: no Version',
      '/var/lib/dpkg/status: weird skipped: unknown Status "exploded"',
      '/var/lib/dpkg/status: good skipped: listed twice',
    ]);
  });

  it('reports at most 20 skipped paragraphs one by one', async () => {
    const status = Array.from(
      { length: 30 },
      (_, i) => `Package: p${i}\nStatus: install ok installed\n`,
    ).join('\n');
    await writeFile(join(dir, 'var/lib/dpkg/status'), status);
    const { packages, warnings } = await catalogDirectory(dpkgCataloger, dir);
    expect(packages).toEqual([]);
    expect(warnings).toHaveLength(21);
    expect(warnings.at(-1)).toBe('/var/lib/dpkg/status: 10 more paragraphs skipped');
  });

  it('says when a status file was cut at the size limit', () => {
    const value = parseDpkgStatus({
      data: Buffer.from('Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: b\nSta'),
      truncated: true,
    });
    expect(value.records.map((r) => r.name)).toEqual(['a', 'b']);
    expect(value.problems).toContain('larger than the limit; only its start was read');
  });
});

describe('dpkg collectors', () => {
  const wants = (collector: FileCollector, path: string): boolean =>
    collector.open({ path, size: 10, mode: 0o644 }) !== undefined;

  it('open only the database files, by path', () => {
    expect(wants(dpkgStatusCollector, '/var/lib/dpkg/status')).toBe(true);
    expect(wants(dpkgStatusCollector, '/var/lib/dpkg/status.d/libc6')).toBe(true);
    expect(wants(dpkgStatusCollector, '/var/lib/dpkg/status.d/libc6.md5sums')).toBe(false);
    expect(wants(dpkgStatusCollector, '/var/lib/dpkg/status.d/sub/x')).toBe(false);
    expect(wants(dpkgStatusCollector, '/var/lib/dpkg/status-old')).toBe(false);
    expect(wants(dpkgStatusCollector, '/usr/var/lib/dpkg/status')).toBe(false);
    expect(wants(dpkgListCollector, '/var/lib/dpkg/info/bash.list')).toBe(true);
    expect(wants(dpkgListCollector, '/var/lib/dpkg/info/bash.postinst')).toBe(false);
    expect(wants(dpkgMd5sumsCollector, '/var/lib/dpkg/info/libc6:amd64.md5sums')).toBe(true);
    expect(wants(dpkgMd5sumsCollector, '/var/lib/dpkg/status.d/libc6.md5sums')).toBe(true);
    expect(wants(dpkgMd5sumsCollector, '/srv/x.md5sums')).toBe(false);
    expect(wants(dpkgCopyrightCollector, '/usr/share/doc/bash/copyright')).toBe(true);
    expect(wants(dpkgCopyrightCollector, '/usr/share/doc/bash/examples/copyright')).toBe(false);
    expect(wants(dpkgCopyrightCollector, '/usr/share/doc/copyright')).toBe(false);
  });
});
