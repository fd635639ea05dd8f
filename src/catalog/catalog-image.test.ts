import { describe, expect, it } from 'vitest';
import { imageTree } from '../../test/harness/catalog.js';
import type { TarEntry } from '../../test/harness/tar-writer.js';
import { DrydockError } from '../model/index.js';
import { ImageCataloger } from './catalog-image.js';

const status = (name: string, version: string): string =>
  `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n\n`;

const npmPackage = (name: string, version: string): string => JSON.stringify({ name, version });

const LAYERS: TarEntry[][] = [
  [
    { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
    { path: 'var/lib/dpkg/status', content: status('node-ms', '2.1.3+~cs0.7.31-3') },
    {
      path: 'var/lib/dpkg/info/node-ms.list',
      content: '/usr/share/nodejs/ms\n/usr/share/nodejs/ms/package.json\n',
    },
    { path: 'usr/share/nodejs/ms/package.json', content: npmPackage('ms', '2.1.3') },
    { path: 'app/node_modules/ms/package.json', content: npmPackage('ms', '2.1.3') },
  ],
];

async function catalog(cataloger: ImageCataloger) {
  const tree = await imageTree(LAYERS, cataloger.collectors);
  return cataloger.catalog(tree).content;
}

describe('ImageCataloger', () => {
  it('links a language package to the OS package whose file list holds its manifest', async () => {
    const { distro, packages } = await catalog(new ImageCataloger());
    expect(distro?.id).toBe('debian');
    const deb = packages.find((p) => p.type === 'dpkg');
    const npm = packages.filter((p) => p.type === 'npm');
    expect(npm.map((p) => [p.locations[0]?.path, p.ownedBy])).toEqual([
      ['/app/node_modules/ms/package.json', undefined],
      ['/usr/share/nodejs/ms/package.json', deb?.id],
    ]);
    expect(new Set(packages.map((p) => p.id)).size).toBe(packages.length);
  });

  it('runs only the catalogers or kinds selected', async () => {
    const os = await catalog(new ImageCataloger({ select: ['os'] }));
    expect(os.packages.map((p) => p.type)).toEqual(['dpkg']);
    const npm = await catalog(new ImageCataloger({ select: ['npm'] }));
    expect(new Set(npm.packages.map((p) => p.type))).toEqual(new Set(['npm']));
  });

  it('refuses an unknown cataloger, naming the choices', () => {
    expect(() => new ImageCataloger({ select: ['dpkg', 'cargo'] })).toThrow(DrydockError);
    expect(() => new ImageCataloger({ select: ['cargo'] })).toThrow(
      /unknown cataloger cargo; choose from .*dpkg.*language.*os/,
    );
  });

  it('scans for secrets unless told not to', async () => {
    const key = 'AKIA2DRYDOCKTEST7Q4Z';
    const layers: TarEntry[][] = [[{ path: 'app/.env', content: `AWS_ACCESS_KEY_ID=${key}\n` }]];
    for (const [secrets, found] of [
      [undefined, 1],
      [false, 0],
    ] as const) {
      const cataloger = new ImageCataloger({ secrets });
      const tree = await imageTree(layers, cataloger.collectors);
      expect(cataloger.catalog(tree).content.secrets).toHaveLength(found);
    }
  });
});
