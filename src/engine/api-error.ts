/**
 * Errors the API answers with, in Anchore's shape: `{"message", "httpcode", "detail"}`.
 * anchore-cli prints `message`, `httpcode` and `detail`, and turns 401 and 500 into exit 2,
 * other codes into exit 1, so the status code is part of the contract.
 */
import { isDrydockError, type ErrorCode } from '../model/index.js';

export class ApiError extends Error {
  constructor(
    readonly httpcode: number,
    message: string,
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  body(): { message: string; httpcode: number; detail: Record<string, unknown> } {
    return { message: this.message, httpcode: this.httpcode, detail: this.detail };
  }
}

export const badRequest = (message: string, detail?: Record<string, unknown>): ApiError =>
  new ApiError(400, message, detail);
export const forbidden = (message: string): ApiError => new ApiError(403, message);
export const notFound = (message: string): ApiError => new ApiError(404, message);
export const conflict = (message: string, detail?: Record<string, unknown>): ApiError =>
  new ApiError(409, message, detail);

/** What a drydock error means to an API client: its input was wrong, or a peer failed. */
const STATUS_BY_CODE: Record<ErrorCode, number> = {
  'invalid-reference': 400,
  'invalid-argument': 400,
  'not-found': 404,
  unauthorized: 400,
  'registry-unreachable': 400,
  'registry-error': 400,
  'digest-mismatch': 400,
  'corrupt-layer': 400,
  'limit-exceeded': 400,
  unsupported: 400,
  'config-error': 500,
  timeout: 400,
  'gate-failed': 400,
};

/** Any error thrown by a handler, as the API reports it; unexpected errors say only "internal". */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isDrydockError(error))
    return new ApiError(STATUS_BY_CODE[error.code], error.message, { error_code: error.code });
  return new ApiError(500, 'internal error; the engine log has the details');
}
