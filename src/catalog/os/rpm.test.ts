/**
 * The rpm cataloger through the real pipeline (`dir:` source, layer stage, squash) on the
 * fixture databases that rpm and db5.3_load wrote (see test/fixtures/rpm/README.md).
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogDirectory } from '../../../test/harness/catalog.js';
import type { Distro } from '../../model/index.js';
import { DATABASES, RPM_FIXTURES } from '../../../test/fixtures/rpm/fixtures.js';
import type { FoundPackage } from '../cataloger.js';
import { rpmCataloger, sourceOf } from './rpm.js';

const RHEL: Distro = {
  id: 'rhel',
  versionId: '9.3',
  idLike: ['fedora'],
  source: '/etc/os-release',
};

let root: string;

/** A root filesystem holding the given fixture files at the given paths. */
async function rootWith(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(join(root, 'rootfs-'));
  for (const [path, from] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    if (typeof from === 'string') await cp(join(RPM_FIXTURES, from), join(dir, path));
    else await writeFile(join(dir, path), from);
  }
  return dir;
}

function named(packages: FoundPackage[], name: string): FoundPackage {
  const pkg = packages.find((p) => p.name === name);
  if (pkg === undefined) throw new Error(`${name} not found`);
  return pkg;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'drydock-rpm-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('rpm cataloger', () => {
  it('describes each package: version with epoch, source, PURL, files with digests', async () => {
    const dir = await rootWith({ '/var/lib/rpm/rpmdb.sqlite': DATABASES.sqlite });
    const { packages, warnings } = await catalogDirectory(rpmCataloger, dir, RHEL);
    expect(warnings).toEqual([]);
    const libs = named(packages, 'alpha-libs');
    expect(libs).toMatchObject({
      type: 'rpm',
      version: '2:1.2.3-4.fc99',
      architecture: 'x86_64',
      source: { name: 'alpha' },
      licenses: ['LGPL-2.1-only'],
      purl: 'pkg:rpm/redhat/alpha-libs@1.2.3-4.fc99?arch=x86_64&distro=rhel-9.3&epoch=2&upstream=alpha-1.2.3-4.fc99.src.rpm',
      size: 17,
      locations: [{ path: '/var/lib/rpm/rpmdb.sqlite', layerIndex: 0 }],
      metadata: { epoch: 2, release: '4.fc99', vendor: 'Drydock Test' },
    });
    expect(libs.cpes).toEqual(['cpe:2.3:a:alpha-libs:alpha-libs:2\\:1.2.3-4.fc99:*:*:*:*:*:*:*']);
    expect(libs.files).toEqual([
      { path: '/usr/lib64/libalpha.so' },
      {
        path: '/usr/lib64/libalpha.so.1',
        digest: {
          algorithm: 'sha256',
          value: 'a325dcacb80b202a014b420b93fc19061900018f8ce216d0a0cb00d610ec7f97',
        },
      },
    ]);
    const beta = named(packages, 'beta');
    expect(beta.version).toBe('0.9-1');
    expect(beta.purl).toBe(
      'pkg:rpm/redhat/beta@0.9-1?arch=noarch&distro=rhel-9.3&upstream=beta-0.9-1.src.rpm',
    );
    expect(beta.files?.find((f) => f.path === '/etc/beta/beta.conf')?.digest?.algorithm).toBe(
      'md5',
    );
    expect(named(packages, 'gamma').files).toEqual([]);
    expect(named(packages, 'alpha').files).toHaveLength(302);
  });

  it('lists gpg-pubkey entries as rpm -qa does, without CPEs', async () => {
    const dir = await rootWith({ '/usr/lib/sysimage/rpm/Packages.db': DATABASES.ndb });
    const { packages } = await catalogDirectory(rpmCataloger, dir, {
      ...RHEL,
      id: 'opensuse-leap',
      versionId: '15.5',
    });
    const key = named(packages, 'gpg-pubkey');
    expect(key.cpes).toEqual([]);
    expect(key.architecture).toBeUndefined();
    expect(key.purl).toMatch(
      /^pkg:rpm\/opensuse\/gpg-pubkey@[0-9a-f]+-[0-9a-f]+\?distro=opensuse-leap-15.5$/,
    );
  });

  it('reads every format and location, and prefers the newest format in one directory', async () => {
    const dir = await rootWith({
      '/var/lib/rpm/Packages': DATABASES.bdbBigEndian512,
      '/var/lib/rpm/rpmdb.sqlite': DATABASES.sqlite,
      '/usr/share/rpm/Packages': DATABASES.bdbLittleEndian4096,
    });
    const { packages, warnings } = await catalogDirectory(rpmCataloger, dir);
    expect(warnings).toEqual(['/var/lib/rpm/Packages ignored: /var/lib/rpm/rpmdb.sqlite is newer']);
    const places = new Set(packages.map((p) => p.locations[0]?.path));
    expect(places).toEqual(new Set(['/var/lib/rpm/rpmdb.sqlite', '/usr/share/rpm/Packages']));
    expect(packages).toHaveLength(10);
    expect(named(packages, 'alpha').purl).toBe(
      'pkg:rpm/alpha@1.2.3-4.fc99?arch=x86_64&epoch=2&upstream=alpha-1.2.3-4.fc99.src.rpm',
    );
  });

  it('warns about a damaged database and about uncheckpointed WAL changes', async () => {
    const dir = await rootWith({
      '/var/lib/rpm/Packages': Buffer.alloc(8192, 7),
      '/usr/lib/sysimage/rpm/rpmdb.sqlite': DATABASES.sqlite,
      '/usr/lib/sysimage/rpm/rpmdb.sqlite-wal': Buffer.from('frames'),
    });
    const { packages, warnings } = await catalogDirectory(rpmCataloger, dir);
    expect(packages).toHaveLength(5);
    expect(warnings).toEqual([
      '/usr/lib/sysimage/rpm/rpmdb.sqlite-wal holds uncheckpointed changes that were not read',
      '/var/lib/rpm/Packages: bdb: not a Berkeley DB hash database',
    ]);
  });

  it('splits source rpm names into name and version', () => {
    expect(sourceOf('bash-5.1.8-6.el9.src.rpm')).toEqual({ name: 'bash', version: '5.1.8-6.el9' });
    expect(sourceOf('kernel-rt-5.14.0-1.nosrc.rpm')).toEqual({
      name: 'kernel-rt',
      version: '5.14.0-1',
    });
    expect(sourceOf('(none)')).toBeUndefined();
  });
});
