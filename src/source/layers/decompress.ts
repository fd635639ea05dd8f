/**
 * Turns a layer blob as stored (gzip, zstd or plain tar) into the bytes of its tar stream,
 * counting both sides and stopping decompression bombs and oversized images early.
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type ZstdBinding from 'zstd-napi/binding.js';
import { DrydockError, limitExceeded, type Limits } from '../../model/index.js';

export type Compression = 'gzip' | 'zstd' | 'xz' | 'bzip2' | 'none';

/** Decompressed bytes an image may still use; one object is shared by all layers of an image. */
export interface ByteBudget {
  remainingBytes: number;
}

export interface DecompressOptions {
  /** Names the layer in errors: its digest, or a description for generated layers. */
  layerName: string;
  limits: Limits;
  budget: ByteBudget;
  /** Sees every compressed chunk as it is read, with the running total. */
  onCompressed?: (chunk: Buffer, totalBytes: number) => void;
}

/**
 * The one table of compression magic numbers (layers and archives alike); `tool` is what
 * decompresses it, for messages. Layers may be gzip, zstd or plain; xz and bzip2 are recognised
 * only to be refused by name instead of failing as a corrupt tar.
 */
const COMPRESSION_MAGIC: {
  compression: Exclude<Compression, 'none'>;
  magic: number[];
  tool: string;
}[] = [
  { compression: 'gzip', magic: [0x1f, 0x8b], tool: 'gunzip' },
  { compression: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd], tool: 'unzstd' },
  { compression: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], tool: 'unxz' },
  { compression: 'bzip2', magic: [0x42, 0x5a, 0x68], tool: 'bunzip2' },
];

/** Bytes `detectCompression` needs to see. */
export const MAGIC_BYTES = Math.max(...COMPRESSION_MAGIC.map(({ magic }) => magic.length));
/**
 * Large output chunks keep per-chunk overhead (stream machinery, hashing calls) low; zlib's
 * default of 16 KiB makes reading a layer almost twice as slow.
 */
const OUTPUT_CHUNK_BYTES = 256 * 1024;

/** The layer is damaged; `detail` says how. */
export function corruptLayer(layerName: string, detail: string, cause?: unknown): DrydockError {
  return new DrydockError(
    'corrupt-layer',
    `layer ${layerName} is corrupt: ${detail}; pull the image again, or rebuild it if the stored copy is damaged`,
    { cause },
  );
}

/** Media types lie (and Docker archives often say nothing), so the first bytes decide. */
export function detectCompression(head: Uint8Array): Compression {
  const found = COMPRESSION_MAGIC.find(({ magic }) => magic.every((byte, i) => head[i] === byte));
  return found?.compression ?? 'none';
}

/** The command that decompresses `compression` (for messages). */
export function decompressionTool(compression: Exclude<Compression, 'none'>): string {
  return COMPRESSION_MAGIC.find((m) => m.compression === compression)?.tool ?? compression;
}

/**
 * The decompressed tar stream of one layer, as an async iterable of chunks. Iterate it once; the
 * counters are final when iteration ends. A chunk is valid only until the next one is asked
 * for (zstd output reuses one buffer): use it, or copy it.
 */
export class LayerDecompressor implements AsyncIterable<Buffer> {
  compression: Compression | undefined;
  /** Bytes read from the source. */
  compressedBytes = 0;
  decompressedBytes = 0;
  /**
   * Compressed bytes the decoder has actually used; the ratio is checked against these, since
   * the bytes read may run far ahead (a whole bomb can arrive in one chunk).
   */
  private readonly decoded: DecodeProgress = { consumedBytes: 0 };

  constructor(
    private readonly input: AsyncIterable<Buffer>,
    private readonly options: DecompressOptions,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    const source = this.input[Symbol.asyncIterator]();
    try {
      const head = await readHead(source);
      this.compression = detectCompression(Buffer.concat(head));
      this.refuseUnsupported(this.compression);
      const compressed = this.countCompressed(prepend(head, source));
      for await (const chunk of this.decompress(compressed)) {
        this.countDecompressed(chunk.length);
        yield chunk;
      }
    } finally {
      await source.return?.();
    }
  }

  /** Read as tar, an xz or bzip2 layer would fail as a corrupt (or tampered) one. */
  private refuseUnsupported(compression: Compression): void {
    if (compression !== 'xz' && compression !== 'bzip2') return;
    throw new DrydockError(
      'unsupported',
      `layer ${this.options.layerName} is ${compression}-compressed; drydock reads gzip, zstd and uncompressed layers — decompress it (${decompressionTool(compression)}) and recompress it with gzip or zstd`,
    );
  }

  private decompress(compressed: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
    const name = this.options.layerName;
    if (this.compression === 'gzip') return gunzip(compressed, name, this.decoded);
    if (this.compression === 'zstd') return unzstd(compressed, name, this.decoded);
    return compressed;
  }

  private async *countCompressed(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      this.compressedBytes += chunk.length;
      this.options.onCompressed?.(chunk, this.compressedBytes);
      yield chunk;
    }
  }

  private countDecompressed(bytes: number): void {
    const { limits, budget, layerName } = this.options;
    this.decompressedBytes += bytes;
    if (this.compression === 'none') this.decoded.consumedBytes = this.decompressedBytes;
    budget.remainingBytes -= bytes;
    if (budget.remainingBytes < 0) {
      throw limitExceeded(
        `the image's uncompressed size (reached while reading layer ${layerName})`,
        `${limits.maxImageBytes} bytes (limits.maxImageBytes)`,
      );
    }
    const ratio = limits.maxCompressionRatio;
    if (
      this.decompressedBytes > limits.ratioGraceBytes &&
      this.decompressedBytes > ratio * this.decoded.consumedBytes
    ) {
      throw limitExceeded(
        `layer ${layerName} decompresses to more than ${ratio}× its size (${this.decoded.consumedBytes} compressed bytes gave ${this.decompressedBytes}); its compression ratio`,
        `${ratio}× (limits.maxCompressionRatio)`,
      );
    }
  }
}

interface DecodeProgress {
  consumedBytes: number;
}

/** Reads until the magic numbers can be seen (or the stream ends). */
async function readHead(source: AsyncIterator<Buffer>): Promise<Buffer[]> {
  const head: Buffer[] = [];
  let bytes = 0;
  while (bytes < MAGIC_BYTES) {
    const next = await source.next();
    if (next.done === true) break;
    head.push(next.value);
    bytes += next.value.length;
  }
  return head;
}

async function* prepend(head: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* head;
  for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
}

/** zlib's own errors carry Z_* codes; anything else (network, digest) passes through unchanged. */
function isZlibError(e: unknown): e is Error & { code: string } {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('Z_');
}

/** Inflates on the libuv thread pool, so decompression overlaps with the caller's hashing. */
async function* gunzip(
  compressed: AsyncIterable<Buffer>,
  layerName: string,
  progress: DecodeProgress,
): AsyncGenerator<Buffer> {
  const input = Readable.from(compressed, { objectMode: false });
  const inflater = createGunzip({ chunkSize: OUTPUT_CHUNK_BYTES });
  input.on('error', (e) => inflater.destroy(e));
  input.pipe(inflater);
  try {
    for await (const chunk of inflater) {
      progress.consumedBytes = inflater.bytesWritten;
      yield chunk as Buffer;
    }
  } catch (e) {
    if (!isZlibError(e)) throw e;
    const detail =
      e.code === 'Z_BUF_ERROR' ? 'unexpected end of gzip data' : `bad gzip data (${e.message})`;
    throw corruptLayer(layerName, detail, e);
  } finally {
    input.destroy();
    inflater.destroy();
  }
}

/**
 * Uses zstd's streaming call directly rather than zstd-napi's DecompressStream: that transform
 * pushes all output of one input chunk at once, so a small chunk of a zstd bomb could allocate
 * gigabytes before any limit is checked. Here each output chunk is handed on (and counted)
 * before the next one is made, in one reused buffer: fresh buffers for every chunk cost more
 * (page faults, garbage collection) than the decompression itself.
 */
/** The native zstd binding loads with the first zstd layer: most images have none. */
let loadedZstd: typeof ZstdBinding | undefined;
function zstdBinding(): typeof ZstdBinding {
  loadedZstd ??= createRequire(import.meta.url)('zstd-napi/binding.js') as typeof ZstdBinding;
  return loadedZstd;
}

async function* unzstd(
  compressed: AsyncIterable<Buffer>,
  layerName: string,
  progress: DecodeProgress,
): AsyncGenerator<Buffer> {
  const dctx = new (zstdBinding().DCtx)();
  let inFrame = false;
  const output = Buffer.allocUnsafe(OUTPUT_CHUNK_BYTES);
  for await (const chunk of compressed) {
    // After a frame ends, zstd asks for more input even when given none: an empty chunk would
    // look like an unfinished frame.
    if (chunk.length === 0) continue;
    let input = chunk;
    for (;;) {
      const [remaining, produced, consumed] = decompressStep(dctx, output, input, layerName);
      input = input.subarray(consumed);
      progress.consumedBytes += consumed;
      if (produced > 0) yield output.subarray(0, produced);
      if (input.length === 0 && (produced < output.length || remaining === 0)) {
        inFrame = remaining !== 0;
        break;
      }
    }
  }
  if (inFrame) throw corruptLayer(layerName, 'unexpected end of zstd data');
}

function decompressStep(
  dctx: InstanceType<typeof ZstdBinding.DCtx>,
  output: Buffer,
  input: Buffer,
  layerName: string,
): [number, number, number] {
  try {
    return dctx.decompressStream(output, input);
  } catch (e) {
    throw corruptLayer(
      layerName,
      `bad zstd data (${e instanceof Error ? e.message : String(e)})`,
      e,
    );
  }
}
