/**
 * Fuzzes the layer pipeline: thousands of seeded mutations and truncations of valid layers, plain
 * and compressed. Every case must settle quickly, either with a result or with a DrydockError;
 * anything else (a TypeError, a RangeError, a hang) is a bug.
 */
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compress as zstdCompress } from 'zstd-napi';
import {
  DEFAULT_LIMITS,
  DrydockError,
  type FileCollector,
  type LayerAnalysis,
  type Limits,
} from '../src/model/index.js';
import { rawBytesCollector } from './harness/catalog.js';
import { analyzeLayer } from '../src/source/layers/analyze-layer.js';
import { squashLayers } from '../src/source/squash.js';
import { tarBuffer, type TarEntry } from './harness/tar-writer.js';
import { seededRandom } from './harness/random.js';

const CASES_PER_KIND = 1000;
const CASE_TIMEOUT_MS = 5_000;

const limits: Limits = {
  ...DEFAULT_LIMITS,
  maxEntriesPerLayer: 500,
  maxImageBytes: 64 * 1024 * 1024,
  ratioGraceBytes: 1024 * 1024,
  maxSymlinkHops: 10,
};

const keepEverything: FileCollector = rawBytesCollector({
  name: 'fuzz',
  version: 1,
  maxBytes: 256,
  wants: () => true,
});

const entries: TarEntry[] = [
  { path: 'etc', type: 'dir' },
  { path: 'etc/os-release', content: 'ID=fuzz\nVERSION_ID=1\n' },
  { path: `usr/share/${'long/'.repeat(30)}file`, content: Buffer.alloc(700, 'l') },
  { path: 'usr/bin/tool', content: Buffer.alloc(3000, 7), mode: 0o4755, uid: 3_000_000 },
  { path: 'usr/bin/tool2', type: 'hardlink', linkTarget: 'usr/bin/tool' },
  { path: 'bin', type: 'symlink', linkTarget: 'usr/bin' },
  { path: 'loop', type: 'symlink', linkTarget: '/loop' },
  { path: 'var/.wh..wh..opq' },
  { path: 'etc/.wh.old' },
  { path: 'dev/null', type: 'char', devMajor: 1, devMinor: 3 },
  { path: '../escape', content: 'e' },
];
const plainTar = tarBuffer(entries);

/** Offsets of the header blocks of a valid tar. */
function headerOffsets(tar: Buffer): number[] {
  const offsets: number[] = [];
  for (let pos = 0; pos + 512 <= tar.length;) {
    if (tar.subarray(pos, pos + 512).every((b) => b === 0)) break;
    offsets.push(pos);
    const size = parseInt(tar.toString('latin1', pos + 124, pos + 135), 8);
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return offsets;
}
const headers = headerOffsets(plainTar);

function fixChecksum(tar: Buffer, header: number): void {
  tar.fill(0x20, header + 148, header + 156);
  let sum = 0;
  for (let i = header; i < header + 512; i++) sum += tar[i] ?? 0;
  tar.write(sum.toString(8).padStart(6, '0') + '\0 ', header + 148, 'latin1');
}

type Mutation = (data: Buffer, random: (n: number) => number) => Buffer;

const flipBytes: Mutation = (data, random) => {
  const out = Buffer.from(data);
  for (let i = 1 + random(8); i > 0; i--) out[random(out.length)] = random(256);
  return out;
};

const truncate: Mutation = (data, random) => data.subarray(0, random(data.length));

const insertBytes: Mutation = (data, random) => {
  const at = random(data.length);
  const noise = Buffer.from(Array.from({ length: 1 + random(600) }, () => random(256)));
  return Buffer.concat([data.subarray(0, at), noise, data.subarray(at)]);
};

/** Scribbles over a header field and fixes the checksum, to get past it into the parser. */
const scribbleHeader: Mutation = (data, random) => {
  const out = Buffer.from(data);
  const header = headers[random(headers.length)] ?? 0;
  const fields = [0, 100, 108, 116, 124, 136, 156, 157, 257, 329, 337, 345];
  const alphabet = ['0', '7', '8', ' ', '\0', '\x80', '\xff', '/', '.', 'x', '='];
  for (let i = 1 + random(3); i > 0; i--) {
    const start = header + (fields[random(fields.length)] ?? 0);
    for (let j = random(12); j >= 0; j--) {
      out.write(alphabet[random(alphabet.length)] ?? '0', start + random(12), 'latin1');
    }
  }
  fixChecksum(out, header);
  return out;
};

const STORED_MUTATIONS = [flipBytes, truncate, insertBytes];
const TAR_MUTATIONS = [...STORED_MUTATIONS, scribbleHeader];
const pick = (mutations: Mutation[], round: number): Mutation =>
  mutations[round % mutations.length] ?? flipBytes;

async function settle(stored: Buffer): Promise<'ok' | 'rejected'> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error('analyzeLayer hung'));
    }, CASE_TIMEOUT_MS);
  });
  const chunks = [stored.subarray(0, 1000), stored.subarray(1000)];
  try {
    const analysis = await Promise.race([
      analyzeLayer(
        Readable.from(chunks),
        { index: 0, mediaType: 'application/octet-stream' },
        { limits, collectors: [keepEverything], budget: { remainingBytes: limits.maxImageBytes } },
      ),
      hang,
    ]);
    resolveEverything(analysis);
    return 'ok';
  } catch (e) {
    if (e instanceof DrydockError) return 'rejected';
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** Squashes the result and follows every symlink in it; loops may only raise DrydockErrors. */
function resolveEverything(analysis: LayerAnalysis): void {
  const tree = squashLayers([{ analysis, index: 0 }], limits);
  for (const entry of tree.entries()) {
    try {
      tree.resolve(entry.path);
    } catch (e) {
      if (!(e instanceof DrydockError)) throw e;
    }
  }
}

const encodings: [string, (tar: Buffer) => Buffer][] = [
  ['plain', (tar) => tar],
  ['gzip', (tar) => gzipSync(tar)],
  ['zstd', (tar) => zstdCompress(tar)],
];

describe('layer pipeline fuzzing', () => {
  it('reads the unmutated layers', async () => {
    for (const [, encode] of encodings) expect(await settle(encode(plainTar))).toBe('ok');
  });

  it.each(encodings)(
    'settles every mutated %s layer with a result or a DrydockError',
    async (_name, encode) => {
      const random = seededRandom(20_240_601);
      const outcomes = { ok: 0, rejected: 0 };
      for (let i = 0; i < CASES_PER_KIND; i++) {
        // Half the cases damage the tar before compressing it, half the stored bytes.
        const round = Math.floor(i / 2);
        const stored =
          i % 2 === 0
            ? encode(pick(TAR_MUTATIONS, round)(plainTar, random))
            : pick(STORED_MUTATIONS, round)(encode(plainTar), random);
        outcomes[await settle(stored)] += 1;
      }
      // Both outcomes occur, so the mutations neither all miss nor all stop at the first check.
      expect(outcomes.ok).toBeGreaterThan(0);
      expect(outcomes.rejected).toBeGreaterThan(0);
    },
  );
});
