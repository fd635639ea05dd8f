/** Digest parsing and streaming verification, shared by every source. */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DrydockError, digestMismatch } from '../model/index.js';
import type { Digest } from '../model/index.js';

const HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** Splits and checks a digest; only algorithms Node can compute are accepted. */
export function parseDigest(digest: string): { algorithm: string; hex: string } {
  const m = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-fA-F0-9]+)$/.exec(digest);
  const algorithm = m?.[1];
  const hex = m?.[2];
  if (!algorithm || !hex) throw new DrydockError('invalid-argument', `invalid digest "${digest}"`);
  const len = HEX_LENGTH[algorithm];
  if (len === undefined) {
    throw new DrydockError(
      'unsupported',
      `digest algorithm "${algorithm}" in "${digest}" is not supported`,
    );
  }
  if (hex.length !== len) {
    throw new DrydockError(
      'invalid-argument',
      `invalid digest "${digest}": ${algorithm} needs ${len} hex digits`,
    );
  }
  return { algorithm, hex: hex.toLowerCase() };
}

export function digestOf(data: Buffer | string, algorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Throws a DigestMismatchError unless `data` hashes to `expected`. */
export function verifyBuffer(what: string, data: Buffer, expected: Digest): void {
  const { algorithm } = parseDigest(expected);
  const actual = digestOf(data, algorithm);
  if (actual !== expected.toLowerCase()) throw digestMismatch(what, expected, actual);
}

/**
 * Passes bytes through unchanged and fails the stream at its end if they do not hash to
 * `expected`. With `expectedSize` it fails as soon as more bytes arrive (a sender that never
 * stops is not read to its end), and at the end if fewer did.
 */
export class DigestVerifier extends Transform {
  private readonly hash: Hash;
  private readonly algorithm: string;
  private bytes = 0;

  constructor(
    private readonly what: string,
    private readonly expected: Digest,
    private readonly expectedSize?: number,
  ) {
    super();
    this.algorithm = parseDigest(expected).algorithm;
    this.hash = createHash(this.algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.expectedSize !== undefined && this.bytes > this.expectedSize) {
      done(
        new DrydockError(
          'digest-mismatch',
          `${this.what}: got more than the ${this.expectedSize} bytes the manifest says`,
        ),
      );
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const actual = `${this.algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.expected.toLowerCase()) {
      done(digestMismatch(this.what, this.expected, actual));
      return;
    }
    if (this.expectedSize !== undefined && this.bytes !== this.expectedSize) {
      done(
        new DrydockError(
          'digest-mismatch',
          `${this.what}: got ${this.bytes} bytes but the manifest says ${this.expectedSize}`,
        ),
      );
      return;
    }
    done();
  }
}
