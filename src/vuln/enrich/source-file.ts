/**
 * The bytes of one enrichment file as its feed reads them: gzip is undone (EPSS and NVD publish
 * `.gz`), by magic bytes rather than by name, and the decompressed size is bounded.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DrydockError } from '../../model/index.js';
import {
  decompressionTool,
  detectCompression,
  MAGIC_BYTES,
} from '../../source/layers/decompress.js';
import { EnrichmentFormatError } from './feed.js';

/** Enough of a file to tell which feed it is. */
export const HEAD_BYTES = 64 * 1024;

/** A file compressed some other way than gzip: no enrichment feed (nor OSV, nor a bundle) is. */
class UnsupportedCompressionError extends EnrichmentFormatError {}

/** The decompressed chunks of `path`; more than `maxBytes` of them is an EnrichmentFormatError. */
export async function* fileChunks(path: string, maxBytes: number): AsyncGenerator<Buffer> {
  const compression = detectCompression(await firstBytes(path, MAGIC_BYTES));
  if (compression !== 'none' && compression !== 'gzip')
    throw new UnsupportedCompressionError(
      `it is ${compression}-compressed; decompress it (${decompressionTool(compression)}) and import the result`,
    );
  const file = createReadStream(path);
  const stream: Readable = compression === 'gzip' ? file.pipe(createGunzip()) : file;
  // A pipe does not pass the source's errors on: a read error must still end the iteration.
  file.on('error', (error) => stream.destroy(error));
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes)
        throw new EnrichmentFormatError(`it is over ${maxBytes} bytes decompressed, the limit`);
      yield chunk;
    }
  } catch (error) {
    if (error instanceof EnrichmentFormatError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new EnrichmentFormatError(
      compression === 'gzip'
        ? `it is not readable gzip (${reason})`
        : `it cannot be read (${reason})`,
    );
  } finally {
    file.destroy();
    stream.destroy();
  }
}

/**
 * The start of the decompressed text of `path`. Damage further on is for the feed's reader to
 * report; a file compressed another way than gzip is refused here, by name.
 */
export async function fileHead(path: string, bytes = HEAD_BYTES): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of fileChunks(path, Number.MAX_SAFE_INTEGER)) {
      parts.push(chunk);
      size += chunk.length;
      if (size >= bytes) break;
    }
  } catch (error) {
    if (error instanceof UnsupportedCompressionError)
      throw new DrydockError('unsupported', `${path}: ${error.message}`);
    if (!(error instanceof EnrichmentFormatError)) throw error;
  }
  return Buffer.concat(parts).subarray(0, bytes).toString('utf8');
}

async function firstBytes(path: string, count: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(count), 0, count, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
