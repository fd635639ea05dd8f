/**
 * Layer results on disk, keyed by layer digest and by the versions of everything that shaped
 * the result, so the second image on the same base only costs its new layers.
 *
 * Safe for many processes without locks: an entry is written to a unique temporary file in its
 * own directory, flushed to disk, then renamed into place, so a reader sees either no file or a
 * whole one. Anything unreadable is a miss, never an error.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { constants as zlibConstants, gunzip, gzip } from 'node:zlib';
import type { Digest, FileCollector, LayerAnalysis } from '../model/index.js';
import { parseDigest } from './digest.js';
import { LAYER_ANALYZER_VERSION } from './layers/analyze-layer.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Bump when the stored record's shape changes. */
const RECORD_FORMAT = 2;

interface CacheRecord {
  format: number;
  digest: Digest;
  analyzerKey: string;
  analysis: LayerAnalysis;
}

/**
 * Names everything that decides a layer's analysis: the analyser itself, each collector (a
 * new version means different kept files) and whether md5 is computed.
 */
export function analyzerKey(
  collectors: readonly FileCollector[],
  options: { md5?: boolean } = {},
): string {
  const parts = collectors.map((c) => `${c.name}@${c.version}`).sort();
  return [`layer-analyzer@${LAYER_ANALYZER_VERSION}`, ...parts, `md5=${options.md5 === true}`].join(
    ';',
  );
}

export class LayerCache {
  constructor(readonly dir: string) {}

  /** Path of the entry file; the digest is validated, so it cannot point outside `dir`. */
  key(digest: Digest, analyzerKey: string): string {
    const { algorithm, hex } = parseDigest(digest);
    // The record format is part of the name, so versions sharing a cache never delete each
    // other's entries as unreadable.
    const keyHash = createHash('sha256').update(`${RECORD_FORMAT}\n${analyzerKey}`).digest('hex');
    return join(this.dir, 'layers', algorithm, hex, keyHash);
  }

  async get(digest: Digest, analyzerKey: string): Promise<LayerAnalysis | undefined> {
    const file = this.key(digest, analyzerKey);
    let stored: Buffer;
    try {
      stored = await readFile(file);
    } catch {
      return undefined;
    }
    const record = await decode(stored);
    if (record?.digest === digest && record.analyzerKey === analyzerKey) return record.analysis;
    await rm(file, { force: true }).catch(() => undefined);
    return undefined;
  }

  async put(digest: Digest, analyzerKey: string, analysis: LayerAnalysis): Promise<void> {
    const file = this.key(digest, analyzerKey);
    const record: CacheRecord = { format: RECORD_FORMAT, digest, analyzerKey, analysis };
    const data = await gzipAsync(serialize(record));
    await mkdir(join(file, '..'), { recursive: true });
    const temp = `${file}.${process.pid}-${randomBytes(8).toString('hex')}.tmp`;
    try {
      await writeDurably(temp, data);
      await rename(temp, file);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
  }
}

async function writeDurably(path: string, data: Buffer): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The record, or undefined when the bytes are damaged or from another format. */
async function decode(stored: Buffer): Promise<CacheRecord | undefined> {
  try {
    const unzipped = await gunzipAsync(stored, { chunkSize: outputChunkSize(stored) });
    const record = deserialize(unzipped) as Partial<CacheRecord> | null;
    return record?.format === RECORD_FORMAT && isAnalysis(record.analysis)
      ? (record as CacheRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Chunks of more than this are not worth the memory a damaged size field could ask for. */
const MAX_OUTPUT_CHUNK = 64 << 20;

/**
 * Inflating into one buffer of the final size is several times faster than zlib's default
 * 16 KiB chunks joined afterwards. gzip's last 4 bytes hold the size (mod 2^32); a damaged one
 * only makes the chunks smaller or larger than needed. One byte spare, so that zlib does not
 * allocate a further chunk when the output fills the first exactly.
 */
function outputChunkSize(stored: Buffer): number {
  const size = stored.length >= 4 ? stored.readUInt32LE(stored.length - 4) : 0;
  return Math.min(Math.max(size + 1, zlibConstants.Z_DEFAULT_CHUNK), MAX_OUTPUT_CHUNK);
}

function isAnalysis(value: unknown): value is LayerAnalysis {
  if (typeof value !== 'object' || value === null) return false;
  const a = value as Record<string, unknown>;
  return (
    typeof a.digest === 'string' &&
    Array.isArray(a.entries) &&
    Array.isArray(a.whiteouts) &&
    Array.isArray(a.opaqueDirs) &&
    Array.isArray(a.collected) &&
    Array.isArray(a.warnings)
  );
}
