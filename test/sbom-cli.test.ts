/**
 * `drydock sbom` and `drydock content` end to end, through the built CLI, on an image whose
 * content needs no package cataloger: a distribution (os-release) and files. Package-level checks
 * join when the catalogers land.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnchoreFileEntry, AnchoreContentResponse } from '../src/report/anchore-content.js';
import { cyclonedx16Validator, spdx23Validator } from './fixtures/sbom/schemas.js';
import { ensureBuilt, runCli, type CliRun } from './harness/cli.js';
import { buildImage, writeOciLayout } from './harness/image-builder.js';

let work: string;
let source: string;

const drydock = (args: string[]): Promise<CliRun> => runCli([...args, '-q', '--no-cache'], work);

const IMAGE = buildImage({
  layers: [
    {
      entries: [
        { path: 'etc/', type: 'dir' },
        {
          path: 'etc/os-release',
          content:
            'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
        },
        { path: 'bin/', type: 'dir' },
        { path: 'bin/busybox', mode: 0o755, content: 'busybox binary' },
        { path: 'bin/sh', type: 'symlink', linkTarget: 'busybox' },
        { path: 'bin/su', mode: 0o4755, content: 'setuid root' },
      ],
    },
  ],
  config: { Cmd: ['/bin/sh'] },
});

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'drydock-sbom-cli-'));
  await writeOciLayout(join(work, 'layout'), IMAGE, 'v1');
  source = `oci-dir:${join(work, 'layout')}:v1`;
  await ensureBuilt();
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('drydock sbom', () => {
  it('-o cyclonedx-json: a valid CycloneDX 1.6 BOM of the image and its distribution', async () => {
    const result = await drydock(['sbom', source, '-o', 'cyclonedx-json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const bom = JSON.parse(result.stdout) as {
      metadata: { component: { type: string; version: string } };
      components: { type: string; name: string; version: string }[];
    };
    const validate = cyclonedx16Validator();
    expect(validate(bom), JSON.stringify(validate.errors)).toBe(true);
    expect(bom.metadata.component).toMatchObject({
      type: 'container',
      version: IMAGE.manifestDigest,
    });
    expect(bom.components).toContainEqual(
      expect.objectContaining({ type: 'operating-system', name: 'debian', version: '12' }),
    );
  });

  it('-o spdx-json --file OUT: writes a valid SPDX 2.3 document to the file', async () => {
    const out = join(work, 'image.spdx.json');
    const result = await drydock(['sbom', source, '-o', 'spdx-json', '--file', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const doc = JSON.parse(await readFile(out, 'utf8')) as unknown;
    const validate = spdx23Validator();
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  });

  it('-o json: metadata, distro and every file', async () => {
    const result = await drydock(['sbom', source, '-o', 'json']);
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      metadata: { manifestDigest: string };
      distro: { id: string; versionCodename: string };
      files: { path: string }[];
      packages: unknown[];
    };
    expect(doc.metadata.manifestDigest).toBe(IMAGE.manifestDigest);
    expect(doc.distro).toMatchObject({ id: 'debian', versionCodename: 'bookworm' });
    expect(doc.files.map((f) => f.path)).toEqual([
      '/bin',
      '/bin/busybox',
      '/bin/sh',
      '/bin/su',
      '/etc',
      '/etc/os-release',
    ]);
  });

  it('-o table (the default): the package table header', async () => {
    const result = await drydock(['sbom', source, '--catalogers', 'os,npm']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^NAME\s+VERSION\s+TYPE$/);
  });

  it('--from: reads back its own CycloneDX and prints it in another format', async () => {
    const bom = join(work, 'image.cdx.json');
    expect((await drydock(['sbom', source, '-o', 'cyclonedx-json', '--file', bom])).code).toBe(0);
    const result = await drydock(['sbom', '--from', bom, '-o', 'json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      source: { name: string; digest: string };
      distro: { id: string };
    };
    expect(doc.source).toMatchObject({ name: source, digest: IMAGE.manifestDigest });
    expect(doc.distro.id).toBe('debian');
  });

  it('--from a file that is no SBOM: exit 1 and one line naming the file', async () => {
    const bad = join(work, 'bad.json');
    await writeFile(bad, '{"hello": "world"}');
    const result = await drydock(['sbom', '--from', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `drydock: ${bad}: is neither CycloneDX (no "bomFormat": "CycloneDX") nor SPDX (no "spdxVersion")\n`,
    );
  });

  it.each([
    [['sbom'], /missing SOURCE/],
    [['sbom', 'alpine', '--from', 'x.json'], /SOURCE or --from FILE, not both/],
    [['sbom', 'alpine', '-o', 'cyclonedx-json', '--platform', 'all'], /describes one image/],
    [['sbom', 'alpine', '-o', 'xml'], /argument 'xml' is invalid/],
  ])('usage errors exit 2: %j', async (args, message) => {
    const result = await drydock(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('an unknown cataloger is named with the choices', async () => {
    const result = await drydock(['sbom', source, '--catalogers', 'cobol']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^drydock: unknown cataloger cobol; choose from .*dpkg.*language/,
    );
  });
});

describe('drydock content', () => {
  it('files -o json: the Anchore ContentFilesResponse', async () => {
    const result = await drydock(['content', source, 'files', '-o', 'json']);
    expect(result.code).toBe(0);
    const response = JSON.parse(result.stdout) as AnchoreContentResponse;
    expect(response.imageDigest).toBe(IMAGE.manifestDigest);
    expect(response.content_type).toBe('files');
    const files = response.content as AnchoreFileEntry[];
    expect(files.find((f) => f.filename === '/bin/su')).toMatchObject({
      mode: '04755',
      type: 'file',
      size: 11,
    });
    expect(files.find((f) => f.filename === '/bin/sh')).toMatchObject({
      type: 'slink',
      linkdest: 'busybox',
      size: 7,
      sha256: null,
    });
  });

  it('files: anchore-cli table, largest first', async () => {
    const result = await drydock(['content', source, 'files']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Filename\s+Size$/);
    expect(lines[1]).toMatch(/^\/etc\/os-release\s+\d+$/);
  });

  it('os -o json: an empty ContentPackageResponse (no OS cataloger yet finds packages here)', async () => {
    const result = await drydock(['content', source, 'os', '-o', 'json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      imageDigest: IMAGE.manifestDigest,
      content_type: 'os',
      content: [],
    });
  });

  it('without TYPE: the types and their entry counts', async () => {
    const result = await drydock(['content', source]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^TYPE\s+ENTRIES\nos\s+0\nfiles\s+6\n/);
    const json = await drydock(['content', source, '-o', 'json']);
    expect(JSON.parse(json.stdout)).toEqual([
      'os',
      'files',
      'npm',
      'gem',
      'python',
      'java',
      'binary',
      'go',
    ]);
  });

  it('an unknown type is a usage error', async () => {
    const result = await drydock(['content', source, 'malware']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/'malware' is invalid .*os, files, npm/);
  });
});
