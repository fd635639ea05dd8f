/**
 * The interface every version scheme implements: how one ecosystem orders its versions. A scheme
 * is one file exporting one `VersionScheme`, listed once in `schemes.ts`. Matching a package
 * against an advisory's ranges needs nothing else.
 */
import { DrydockError } from '../model/index.js';

export interface VersionScheme {
  /** `dpkg`, `rpm`, `apk`, `semver`, `pep440`, `maven`, `gem`, `go`. */
  readonly name: string;
  /** Whether this scheme can read `version`. */
  valid(version: string): boolean;
  /**
   * Negative, zero or positive as `a` sorts before, equal to, or after `b`, exactly as the
   * ecosystem's own tool orders them. Throws `invalidVersion` for a version it cannot read.
   */
  compare(a: string, b: string): number;
}

/** The error a scheme throws for a version it cannot read. */
export function invalidVersion(scheme: string, version: string, why?: string): DrydockError {
  const detail = why === undefined ? '' : `: ${why}`;
  return new DrydockError(
    'invalid-argument',
    `"${version}" is not a valid ${scheme} version${detail}`,
  );
}
