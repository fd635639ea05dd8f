/**
 * Errors a user can meet. Each message names the thing that failed and, where there is one,
 * what to do about it; the CLI prints `drydock: <message>` and never a stack trace.
 */
export type ErrorCode =
  | 'invalid-reference'
  | 'invalid-argument'
  | 'not-found'
  | 'unauthorized'
  | 'registry-unreachable'
  | 'registry-error'
  | 'digest-mismatch'
  | 'corrupt-layer'
  | 'limit-exceeded'
  | 'unsupported'
  | 'config-error'
  | 'timeout'
  /** A gate (`scan --fail-on`) judged the image: not an error of drydock's, but exit 1. */
  | 'gate-failed';

export class DrydockError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DrydockError';
  }
}

export const invalidReference = (ref: string, why: string): DrydockError =>
  new DrydockError('invalid-reference', `invalid image reference "${ref}": ${why}`);

export const digestMismatch = (what: string, expected: string, actual: string): DrydockError =>
  new DrydockError(
    'digest-mismatch',
    `${what}: content digest ${actual} does not match the expected ${expected}; the blob is corrupt or was tampered with`,
  );

export const limitExceeded = (what: string, limit: string): DrydockError =>
  new DrydockError(
    'limit-exceeded',
    `${what} exceeds the limit of ${limit}; raise it in the drydock config (limits) if the image is trusted`,
  );

export const isDrydockError = (e: unknown): e is DrydockError => e instanceof DrydockError;
