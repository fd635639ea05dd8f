import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compress as zstdCompress } from 'zstd-napi';
import { DEFAULT_LIMITS, DrydockError, type Limits } from '../../model/index.js';
import { tarBuffer } from '../../../test/harness/tar-writer.js';
import { analyzeLayer } from './analyze-layer.js';
import { LayerDecompressor, detectCompression, type ByteBudget } from './decompress.js';

const LAYER = 'sha256:' + 'ab'.repeat(32);

function decompressor(
  input: Buffer | Buffer[] | Readable,
  limits: Limits = DEFAULT_LIMITS,
  budget: ByteBudget = { remainingBytes: DEFAULT_LIMITS.maxImageBytes },
): LayerDecompressor {
  const source = Buffer.isBuffer(input) ? Readable.from([input]) : Readable.from(input);
  return new LayerDecompressor(source, { layerName: LAYER, limits, budget });
}

async function drain(stream: LayerDecompressor): Promise<Buffer> {
  const chunks: Buffer[] = [];
  // Chunks are only valid until the next one is asked for.
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function failure(stream: LayerDecompressor): Promise<DrydockError> {
  const error: unknown = await drain(stream).then(
    () => new Error('expected decompression to fail'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DrydockError);
  return error as DrydockError;
}

const zstdCli = (data: Buffer): Buffer => execFileSync('zstd', ['-q', '-c'], { input: data });

/** Compresses well but not absurdly: text with some noise. */
const payload = Buffer.concat(
  Array.from({ length: 200 }, (_, i) =>
    Buffer.concat([Buffer.from(`line ${i} of the layer `.repeat(20)), randomBytes(64)]),
  ),
);

describe('detectCompression', () => {
  it.each([
    [[0x1f, 0x8b, 0x08, 0x00], 'gzip'],
    [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
    [[0x28, 0xb5, 0x2f], 'none'],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00], 'xz'],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a], 'none'],
    [[0x42, 0x5a, 0x68, 0x39], 'bzip2'],
    [[0x75, 0x73, 0x74, 0x61], 'none'],
    [[], 'none'],
  ])('%j is %s', (bytes, expected) => {
    expect(detectCompression(Buffer.from(bytes))).toBe(expected);
  });
});

describe('LayerDecompressor', () => {
  it.each([
    ['xz', 'unxz'],
    ['bzip2', 'bunzip2'],
  ])('refuses an %s layer by name instead of reading it as a corrupt tar', async (tool, unpack) => {
    const stored = execFileSync(tool, ['-c'], { input: tarBuffer([{ path: 'a', content: 'x' }]) });
    const analysis = analyzeLayer(
      Readable.from([stored]),
      { index: 0, digest: LAYER, mediaType: 'application/vnd.oci.image.layer.v1.tar' },
      {
        limits: DEFAULT_LIMITS,
        collectors: [],
        budget: { remainingBytes: DEFAULT_LIMITS.maxImageBytes },
      },
    );
    await expect(analysis).rejects.toMatchObject({
      code: 'unsupported',
      message: `layer ${LAYER} is ${tool}-compressed; drydock reads gzip, zstd and uncompressed layers — decompress it (${unpack}) and recompress it with gzip or zstd`,
    });
  });

  it.each([
    ['gzip', (b: Buffer) => gzipSync(b)],
    ['zstd', (b: Buffer) => zstdCompress(b)],
    ['zstd', zstdCli],
    ['none', (b: Buffer) => b],
  ])('decodes %s whatever the media type says, and counts both sides', async (kind, pack) => {
    const stored = pack(payload);
    const stream = decompressor(stored);
    expect(await drain(stream)).toEqual(payload);
    expect(stream.compression).toBe(kind);
    expect(stream.compressedBytes).toBe(stored.length);
    expect(stream.decompressedBytes).toBe(payload.length);
  });

  it('detects compression when the first chunks are tiny', async () => {
    const stored = gzipSync(payload);
    const chunks = [
      stored.subarray(0, 1),
      stored.subarray(1, 2),
      stored.subarray(2, 3),
      stored.subarray(3),
    ];
    expect(await drain(decompressor(chunks))).toEqual(payload);
  });

  it.each([
    ['gzip', gzipSync(payload)],
    ['zstd', zstdCompress(payload)],
  ])(
    'does not mistake an empty chunk after the %s data for a truncation',
    async (_kind, stored) => {
      expect(await drain(decompressor([stored, Buffer.alloc(0)]))).toEqual(payload);
    },
  );

  it('reads concatenated gzip members and zstd frames', async () => {
    const [a, b] = [payload.subarray(0, 1000), payload.subarray(1000)];
    expect(await drain(decompressor(Buffer.concat([gzipSync(a), gzipSync(b)])))).toEqual(payload);
    const frames = Buffer.concat([zstdCompress(a), zstdCli(b)]);
    expect(await drain(decompressor(frames))).toEqual(payload);
  });

  it('reports a truncated gzip stream as a corrupt layer', async () => {
    const stored = gzipSync(payload);
    const error = await failure(decompressor(stored.subarray(0, stored.length - 100)));
    expect(error.code).toBe('corrupt-layer');
    expect(error.message).toMatch(`layer ${LAYER} is corrupt: unexpected end of gzip data`);
  });

  it('reports a truncated zstd stream and garbage as corrupt layers', async () => {
    const stored = zstdCompress(payload);
    const truncated = await failure(decompressor(stored.subarray(0, stored.length - 100)));
    expect(truncated.message).toMatch(`layer ${LAYER} is corrupt: unexpected end of zstd data`);
    const garbage = Buffer.concat([stored.subarray(0, 4), Buffer.alloc(100, 0xee)]);
    expect((await failure(decompressor(garbage))).message).toMatch(/is corrupt: bad zstd data/);
    const badGzip = Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(100, 0xee)]);
    expect((await failure(decompressor(badGzip))).message).toMatch(/is corrupt: bad gzip data/);
  });

  it('passes errors of the source through unchanged', async () => {
    const sourceError = new DrydockError('digest-mismatch', 'blob does not match');
    for (const stored of [gzipSync(payload), payload]) {
      const source = Readable.from(
        (async function* () {
          yield stored;
          await Promise.resolve();
          throw sourceError;
        })(),
      );
      await expect(drain(decompressor(source))).rejects.toBe(sourceError);
    }
  });

  it('stops a gzip decompression bomb soon after the grace bytes', async () => {
    // 300 MiB of zeros as 30 concatenated gzip members of 10 MiB each: about 300 KB.
    const member = gzipSync(Buffer.alloc(10 * 1024 * 1024));
    const bomb = Buffer.concat(Array.from({ length: 30 }, () => member));
    const limits = { ...DEFAULT_LIMITS, ratioGraceBytes: 4 * 1024 * 1024 };
    const stream = decompressor(bomb, limits);
    const error = await failure(stream);
    expect(error.code).toBe('limit-exceeded');
    expect(error.message).toMatch(`layer ${LAYER} decompresses to more than 200× its size`);
    expect(stream.decompressedBytes).toBeLessThan(8 * 1024 * 1024);
  });

  it('stops a zstd decompression bomb without decoding it all', async () => {
    const bomb = execFileSync('sh', ['-c', 'head -c 300M /dev/zero | zstd -q -c']);
    const limits = { ...DEFAULT_LIMITS, ratioGraceBytes: 1024 * 1024 };
    const stream = decompressor(bomb, limits);
    expect((await failure(stream)).code).toBe('limit-exceeded');
    expect(stream.decompressedBytes).toBeLessThan(2 * 1024 * 1024);
  });

  it('shares one byte budget across the layers of an image', async () => {
    const limits = { ...DEFAULT_LIMITS, maxImageBytes: payload.length * 1.5 };
    const budget = { remainingBytes: limits.maxImageBytes };
    await drain(decompressor(gzipSync(payload), limits, budget));
    expect(budget.remainingBytes).toBe(payload.length * 0.5);
    const error = await failure(decompressor(zstdCompress(payload), limits, budget));
    expect(error.code).toBe('limit-exceeded');
    expect(error.message).toMatch(`uncompressed size (reached while reading layer ${LAYER})`);
  });

  it('reports compressed progress and closes its source when stopped early', async () => {
    const stored = gzipSync(payload);
    const source = Readable.from([stored.subarray(0, 1000), stored.subarray(1000)]);
    const totals: number[] = [];
    const stream = new LayerDecompressor(source, {
      layerName: LAYER,
      limits: DEFAULT_LIMITS,
      budget: { remainingBytes: Infinity },
      onCompressed: (_chunk, total) => totals.push(total),
    });
    const chunks = stream[Symbol.asyncIterator]();
    await chunks.next();
    await chunks.return(undefined);
    expect(totals[0]).toBe(1000);
    expect(source.destroyed).toBe(true);
  });
});
