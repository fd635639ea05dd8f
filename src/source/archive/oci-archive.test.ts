import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildImage, writeOciLayout } from '../../../test/harness/image-builder.js';
import { DEFAULT_LIMITS } from '../../model/index.js';
import { digestOf } from '../digest.js';
import { openOciArchive } from './oci-archive.js';
import { TarIndex } from './tar-index.js';

const run = promisify(execFile);
const options = { limits: DEFAULT_LIMITS };
const amd64 = { os: 'linux', architecture: 'amd64' };

const built = buildImage({
  layers: [
    { entries: [{ path: 'a', content: 'a'.repeat(3000) }] },
    { entries: [{ path: 'b', content: 'b' }], compression: 'zstd' },
  ],
});

let dir: string;
let archive: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drydock-oci-archive-'));
  await writeOciLayout(join(dir, 'layout'), built, 'v1');
  archive = join(dir, 'image.tar');
  // GNU tar names members `./index.json`…, unlike skopeo: both must work.
  await run('tar', ['-cf', archive, '-C', join(dir, 'layout'), '.']);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openOciArchive', () => {
  it('reads the layout inside the tar and streams verified layers', async () => {
    const [resolved] = await openOciArchive(archive, 'v1', options).resolve(amd64);
    expect(resolved).toMatchObject({
      name: `oci-archive:${archive}:v1`,
      manifestDigest: built.manifestDigest,
      configDigest: built.configDigest,
    });
    if (!resolved) throw new Error('no image');
    const digests = [];
    for (const layer of resolved.layers) {
      digests.push(digestOf(await buffer(await resolved.openLayer(layer))));
    }
    expect(digests).toEqual(built.layerDigests);
  });

  it('fails a corrupt layer member when it is read', async () => {
    const index = await TarIndex.open(archive);
    const member = index.resolve(`blobs/sha256/${built.layerDigests[0]?.slice(7) ?? ''}`);
    const bytes = await readFile(archive);
    const at = member.offset + 10;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
    await writeFile(archive, bytes);
    const [resolved] = await openOciArchive(archive, undefined, options).resolve(amd64);
    const layer = resolved?.layers[0];
    if (!resolved || !layer) throw new Error('no layer');
    await expect(buffer(await resolved.openLayer(layer))).rejects.toMatchObject({
      code: 'digest-mismatch',
    });
  });

  it('says when the tar holds no OCI layout', async () => {
    await run('tar', ['-cf', archive, '-C', join(dir, 'layout'), 'blobs']);
    await expect(openOciArchive(archive, undefined, options).resolve(amd64)).rejects.toThrow(
      /is not an OCI image layout: it has no oci-layout/,
    );
  });

  it('refuses compressed and truncated archives', async () => {
    const bytes = await readFile(archive);
    await writeFile(archive, gzipSync(bytes));
    await expect(openOciArchive(archive, undefined, options).resolve(amd64)).rejects.toMatchObject({
      code: 'unsupported',
    });
    await writeFile(archive, bytes.subarray(0, bytes.length >> 1));
    await expect(openOciArchive(archive, undefined, options).resolve(amd64)).rejects.toThrow(
      /is truncated/,
    );
  });
});
