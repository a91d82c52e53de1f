/**
 * Errors raised by the pure protocol layer. The HTTP layer maps them to the caller's protocol:
 * TranslationError -> 400 GW_ERR_BAD_REQUEST (the request cannot be expressed for the target),
 * UpstreamStreamError -> an in-stream error event (GW_ERR_STREAM_INTERRUPTED).
 */

/** A request (or response) uses a feature the other protocol cannot express. */
export class TranslationError extends Error {
  constructor(
    message: string,
    /** For Anthropic callers' `error.details` (GatewayError.details). */
    readonly details: Record<string, unknown> | null = null,
  ) {
    super(message);
    this.name = 'TranslationError';
  }
}

/** The upstream sent an error event (or error payload) in the middle of a stream. */
export class UpstreamStreamError extends Error {
  constructor(
    /** The upstream's own error type, e.g. `overloaded_error` or `server_error`. */
    readonly upstreamType: string,
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamStreamError';
  }
}
