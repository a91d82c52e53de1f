/**
 * Failures of gatewayd's own HTTP/1.1 upstream client, one stable code each (classified for
 * failover in ../errors.ts). Socket errors (ECONNREFUSED, ECONNRESET, TLS) pass through with
 * Node's codes.
 */
export type UpstreamClientErrorCode =
  /** The TCP (and TLS) connection was not up within the connect timeout. */
  | 'UPSTREAM_CONNECT_TIMEOUT'
  /** No complete response head within the request's headers timeout. */
  | 'UPSTREAM_HEADERS_TIMEOUT'
  /** Queued for this worker's pool (max_connections all busy) for the whole headers timeout: nothing was sent. */
  | 'UPSTREAM_POOL_TIMEOUT'
  /** The response body went idle longer than the body timeout. */
  | 'UPSTREAM_BODY_TIMEOUT'
  /** The upstream closed the connection before the response was complete. */
  | 'UPSTREAM_CLOSED'
  /**
   * A reused keep-alive connection closed (or reset) after the request went out and before any
   * byte of an answer: the upstream's idle timeout crossed the request (RFC 9112 9.3.1).
   */
  | 'UPSTREAM_STALE'
  /** The bytes received are not an HTTP/1.x response. */
  | 'UPSTREAM_BAD_RESPONSE'
  /** A request header value would break the request's framing (CR, LF or NUL in it). */
  | 'UPSTREAM_BAD_HEADER'
  /** The client was shut down (the worker is exiting). */
  | 'UPSTREAM_CLIENT_CLOSED';

export class UpstreamClientError extends Error {
  constructor(
    readonly code: UpstreamClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamClientError';
  }
}

/**
 * Runs a sink's end or error callback from a socket, timer or microtask: a bug in it must not
 * escape into the event loop and take the worker with every request in flight.
 */
export function guarded(callback: () => void): void {
  try {
    callback();
  } catch (err) {
    process.emitWarning(err instanceof Error ? err : new Error(String(err)), { code: 'GATEWAYD_UPSTREAM_SINK' });
  }
}
