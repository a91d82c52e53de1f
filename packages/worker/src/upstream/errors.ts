/**
 * What went wrong with an upstream call that produced no usable answer: the connection could not
 * be made (`connect`), the upstream was too slow (`timeout`: headers or body idle), or the
 * connection broke (`reset`). Routing decides on failover from the kind.
 */

import { UpstreamClientError } from './h1/errors.js';

export type TransportFailureKind = 'connect' | 'timeout' | 'reset';

export interface TransportFailure {
  kind: TransportFailureKind;
  /** `headers` or `body` for timeouts. */
  phase?: 'headers' | 'body';
  /** Short cause for messages and logs, e.g. `ECONNREFUSED`. */
  detail: string;
  /**
   * Not the upstream's failure: the gateway's own limit (its connection pool), or a keep-alive
   * connection whose idle close crossed the request.
   */
  local?: boolean;
  /** The upstream's answer broke HTTP/1.1 (the gateway closed the connection on it). */
  malformed?: boolean;
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

/** gatewayd's own client (h1/): the code says what happened. */
function classifyClientError(err: UpstreamClientError): TransportFailure {
  switch (err.code) {
    case 'UPSTREAM_CONNECT_TIMEOUT':
      return { kind: 'connect', detail: 'connect timeout' };
    case 'UPSTREAM_CLIENT_CLOSED':
      return { kind: 'connect', detail: 'the worker is shutting down' };
    case 'UPSTREAM_BAD_HEADER':
      // Nothing was sent; another target (other key, other headers) may do.
      return { kind: 'connect', detail: err.message };
    case 'UPSTREAM_HEADERS_TIMEOUT':
      return { kind: 'timeout', phase: 'headers', detail: 'no response headers in time' };
    case 'UPSTREAM_POOL_TIMEOUT':
      return { kind: 'timeout', phase: 'headers', detail: err.message, local: true };
    case 'UPSTREAM_BODY_TIMEOUT':
      return { kind: 'timeout', phase: 'body', detail: 'the response went idle' };
    case 'UPSTREAM_CLOSED':
      return { kind: 'reset', detail: 'the upstream closed the connection' };
    case 'UPSTREAM_STALE':
      // Its idle timeout crossed our request: tried again, not held against the upstream's health.
      return { kind: 'reset', detail: 'the upstream closed an idle keep-alive connection as the request went out', local: true };
    case 'UPSTREAM_BAD_RESPONSE':
      return { kind: 'reset', detail: err.message, malformed: true };
  }
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** TLS failures (bad certificate, handshake) are connect failures: nothing was sent. */
function isTlsCode(code: string): boolean {
  return code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') || code === 'SELF_SIGNED_CERT_IN_CHAIN';
}

export function classifyTransportError(err: Error): TransportFailure {
  if (err instanceof UpstreamClientError) return classifyClientError(err);
  const code = codeOf(err);
  const causeCode = codeOf((err as { cause?: unknown }).cause);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return { kind: 'timeout', phase: 'headers', detail: 'no response headers in time' };
  if (code === 'UND_ERR_BODY_TIMEOUT') return { kind: 'timeout', phase: 'body', detail: 'the response went idle' };
  const effective = code !== undefined && code.startsWith('UND_ERR_SOCKET') && causeCode !== undefined ? causeCode : code;
  if (effective !== undefined && (CONNECT_CODES.has(effective) || isTlsCode(effective))) return { kind: 'connect', detail: effective };
  return { kind: 'reset', detail: effective ?? err.message };
}
