/**
 * Network failures as messages that name the peer and what to do. Apart from the HTTP stack
 * (undici), so the engine client can use them without loading it at start-up.
 */
import { DrydockError } from '../../model/index.js';

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

/** The Node error code of a failure (the first address's, for a happy-eyeballs AggregateError). */
export function errorCode(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Happy-eyeballs connects fail with an AggregateError of one error per address.
  return e instanceof AggregateError ? errorCode(e.errors[0]) : undefined;
}

function isTlsFailure(code: string): boolean {
  return (
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    code.includes('CERT') ||
    code === 'EPROTO' ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
  );
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

/** Turns a low-level failure into a message naming the peer and what to do. */
export function describeNetworkError(e: unknown, peer: string, host: string): unknown {
  if (isAbort(e) || e instanceof DrydockError) return e;
  const code = errorCode(e) ?? 'unknown';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new DrydockError('timeout', `${peer} ${host} stopped answering (timed out)`, {
      cause: e,
    });
  }
  if (isTlsFailure(code)) {
    return new DrydockError(
      'registry-unreachable',
      `cannot reach ${peer} ${host}: TLS failed (${code}); if it uses a private CA give its certificate (caFile), or mark the registry insecure`,
      { cause: e },
    );
  }
  const reason = NETWORK_REASONS[code] ?? `network error (${code})`;
  return new DrydockError('registry-unreachable', `cannot reach ${peer} ${host}: ${reason}`, {
    cause: e,
  });
}
