/**
 * Errors raised by the pure protocol layer. The HTTP layer maps them to the caller's protocol:
 * TranslationError -> 400 GW_ERR_BAD_REQUEST (the request cannot be expressed for the target),
 * UpstreamStreamError -> an in-stream error event (GW_ERR_STREAM_INTERRUPTED), UpstreamAnswerError
 * (and any other error reading a 2xx answer) -> a failed attempt, 502 GW_ERR_UPSTREAM_ERROR.
 */
import { isObject } from '../validate/issue.js';

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

/**
 * A 2xx answer that carries the upstream's error (`{"error": {...}}`, as proxies and Gemini's
 * occasional 200 INTERNAL send) in place of its content. The message is the upstream's own.
 */
export class UpstreamAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamAnswerError';
  }
}

/**
 * Throws unless a parsed 2xx answer is one: the error it carries if any (even beside content),
 * else, unless `readable`, what is missing from it (`missing`: the field an answer cannot lack).
 */
export function requireAnswer(res: unknown, readable: boolean, missing: string): void {
  const object = isObject(res);
  const error = object ? res.error : undefined;
  if (error !== undefined && error !== null) throw new UpstreamAnswerError(errorText(error));
  if (!readable) throw new Error(object ? `the answer has no ${missing}` : 'the answer is not a JSON object');
}

function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  const message = typeof error === 'object' ? (error as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : JSON.stringify(error);
}
