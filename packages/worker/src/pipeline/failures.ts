/**
 * Upstream failures as routing sees them (AttemptFailure: a kind that decides on failover) and as
 * the caller would see them if no other target saves the request (a GatewayError). Messages name
 * the provider and the upstream's own message, never a key.
 */
import { GatewayError, type ErrorCode } from '@gatewayd/shared/errors';
import type { AttemptFailure, FailureKind, RouteTarget } from '../routing/index.js';
import { classifyTransportError, type TransportFailure } from '../upstream/errors.js';
import type { AttemptInput } from './types.js';
import { scrubForCallers, scrubTextForCallers } from '../observe/secrets.js';
import { UpstreamAnswerError } from '../protocol/errors.js';
import { CHALLENGE } from '../auth/authenticator.js';
import type { TranslationError } from '../protocol/errors.js';

const MAX_MESSAGE = 300;

function retryAfterHeaders(retryAfterMs: number | undefined): Record<string, string> {
  return retryAfterMs === undefined ? {} : { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) };
}

/** The upstream's own error message from its error body (OpenAI, Anthropic and Gemini all use error.message). */
export function upstreamMessage(body: Buffer): string {
  return scrubForCallers(messageOf(body));
}

function messageOf(body: Buffer): string {
  if (body.length === 0) return '';
  const text = body.toString('utf8', 0, Math.min(body.length, 64 * 1024));
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof parsed.error === 'object' ? parsed.error?.message : (parsed.error ?? parsed.message);
    if (typeof message === 'string') return message.slice(0, MAX_MESSAGE);
  } catch {
    // not JSON: the start of the text is all there is
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, MAX_MESSAGE);
}

export function describeTransport(failure: TransportFailure, target: RouteTarget, input: AttemptInput): string {
  const name = target.provider.name;
  switch (failure.kind) {
    case 'connect':
      return `could not connect to provider ${name} (${failure.detail})`;
    case 'timeout':
      if (failure.local) return `no connection to provider ${name} came free within ${input.headersTimeout} ms (providers[].max_connections all busy in this worker)`;
      return failure.phase === 'body'
        ? `provider ${name} sent nothing for ${input.bodyTimeout} ms (stream idle timeout)`
        : `provider ${name} did not answer within ${input.headersTimeout} ms`;
    default:
      return failure.malformed === true ? `provider ${name} sent an answer the gateway cannot read (${failure.detail})` : `provider ${name} closed the connection (${failure.detail})`;
  }
}

/** A connection-level failure before any byte reached the caller. */
export function transportFailure(err: Error, input: AttemptInput): AttemptFailure {
  const failure = classifyTransportError(err);
  const code: ErrorCode = failure.kind === 'timeout' ? 'GW_ERR_UPSTREAM_TIMEOUT' : 'GW_ERR_UPSTREAM_ERROR';
  const attempt: AttemptFailure = { kind: failure.kind, error: new GatewayError(code, describeTransport(failure, input.target, input)) };
  if (failure.local) attempt.local = true;
  return attempt;
}

function statusCode(kind: FailureKind, status: number, clientKey: boolean): ErrorCode {
  // Still a 429, so the caller's SDK backs off and retries with the upstream's retry-after; a code
  // of its own tells it from the gateway's limits (whose x-ratelimit-* headers the answer carries).
  if (kind === 'rate_limited') return 'GW_ERR_UPSTREAM_RATE_LIMITED';
  // 529: Anthropic's overloaded_error.
  if (status === 503 || status === 529) return 'GW_ERR_UPSTREAM_UNAVAILABLE';
  if (kind === 'timeout' || status === 504) return 'GW_ERR_UPSTREAM_TIMEOUT';
  if (kind === 'auth' && clientKey) return 'GW_ERR_UNAUTHORIZED';
  return 'GW_ERR_UPSTREAM_ERROR';
}

/** An upstream error status (429, 5xx, 401/403, 408). */
export function statusFailure(kind: FailureKind, status: number, body: Buffer, retryAfterMs: number | undefined, clientKey: boolean, target: RouteTarget): AttemptFailure {
  const message = upstreamMessage(body);
  const what = kind === 'auth' ? (clientKey ? 'rejected the API key sent with the request' : 'rejected the gateway\'s API key') : `answered ${status}`;
  const code = statusCode(kind, status, clientKey);
  const headers = code === 'GW_ERR_UNAUTHORIZED' ? { ...retryAfterHeaders(retryAfterMs), ...CHALLENGE } : retryAfterHeaders(retryAfterMs);
  const error = new GatewayError(code, `provider ${target.provider.name} ${what}${message ? `: ${message}` : ''}`, headers);
  const failure: AttemptFailure = { kind, status, error };
  if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs;
  if (clientKey) failure.clientKey = true;
  return failure;
}

/** The statuses that send the client elsewhere (304 Not Modified and the rest do not). */
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * A redirect (or another non-2xx status under 400) where an API answer belongs: a base_url that is
 * wrong (http for https) or a provider behind a moved front end. Not the request's fault, so it
 * fails over and counts against the target like a 5xx. The target is named without its query (a
 * Gemini key may ride there).
 */
export function redirectFailure(status: number, location: string | undefined, target: RouteTarget): AttemptFailure {
  let where = '';
  if (location !== undefined) {
    try {
      const url = new URL(location, 'http://relative.invalid');
      where = url.origin === 'http://relative.invalid' ? ` to ${url.pathname}` : ` to ${url.origin}${url.pathname}`;
    } catch {
      where = '';
    }
  }
  const message = `provider ${target.provider.name} answered ${status}${REDIRECTS.has(status) ? ` (a redirect${where.slice(0, MAX_MESSAGE)}: check its base_url)` : ''} instead of an answer`;
  return { kind: 'server_error', status, error: new GatewayError('GW_ERR_UPSTREAM_ERROR', message) };
}

/** The caller's error for an upstream 4xx: the same class of status (the request is at fault). */
function clientErrorCode(status: number): ErrorCode {
  if (status === 404) return 'GW_ERR_NOT_FOUND';
  if (status === 413) return 'GW_ERR_BODY_TOO_LARGE';
  if (status === 415) return 'GW_ERR_UNSUPPORTED_MEDIA_TYPE';
  if (status >= 400 && status < 500) return 'GW_ERR_BAD_REQUEST';
  return 'GW_ERR_UPSTREAM_ERROR';
}

/** An upstream client error (4xx) that cannot be passed through as it is (other protocol). */
export function clientErrorFrom(status: number, body: Buffer, target: RouteTarget): GatewayError {
  const message = upstreamMessage(body);
  return new GatewayError(clientErrorCode(status), `provider ${target.provider.name} refused the request (${status})${message ? `: ${message}` : ''}`);
}

/**
 * Every configured key of the provider is cooling down. If this request itself ran into a 429,
 * the caller sees that rate limit (with the keys' readiness as retry-after); otherwise a 503.
 */
export function keysCoolingFailure(target: RouteTarget, readyInMs: number | undefined, rateLimit: AttemptFailure | undefined): AttemptFailure {
  const headers = retryAfterHeaders(readyInMs);
  const error =
    rateLimit !== undefined
      ? new GatewayError(rateLimit.error.code, rateLimit.error.message, headers)
      : new GatewayError('GW_ERR_UPSTREAM_UNAVAILABLE', `every api key of provider ${target.provider.name} is cooling down after 401/403/429 answers`, headers);
  // local: no upstream call was made, so the target's breaker hears nothing of it.
  const failure: AttemptFailure = { kind: 'rate_limited', error, local: true };
  if (readyInMs !== undefined) failure.retryAfterMs = readyInMs;
  return failure;
}

/**
 * A 2xx answer the gateway could not read (translated, or a forwarded one that is not a JSON
 * object). One that carries an error instead is quoted as an error status would be (the
 * upstream's text: scrubbed of keys, `callerKey` too).
 */
export function unreadableFailure(err: unknown, status: number, target: RouteTarget, callerKey?: string): AttemptFailure {
  const name = target.provider.name;
  if (err instanceof UpstreamAnswerError) {
    const message = scrubTextForCallers(err.message, callerKey).slice(0, MAX_MESSAGE);
    return { kind: 'server_error', status, error: new GatewayError('GW_ERR_UPSTREAM_ERROR', `provider ${name} answered ${status} with an error: ${message}`) };
  }
  // The detail may quote the answer (JSON.parse's message does too): scrubbed as the upstream's text.
  const detail = scrubTextForCallers(unreadableDetail(err, target, 'answer'), callerKey);
  return { kind: 'server_error', status, error: new GatewayError('GW_ERR_UPSTREAM_ERROR', `provider ${name} sent an answer the gateway cannot read: ${detail.slice(0, MAX_MESSAGE)}`) };
}

const PROTOCOLS: Readonly<Record<string, string>> = { openai: 'an OpenAI', anthropic: 'an Anthropic', gemini: 'a Gemini', mock: 'a mock' };

/**
 * What is wrong with an upstream answer (or stream event) that could not be read, in words about
 * it: a TypeError (a field the translation read was null or of another type, past the checks of
 * protocol/answer-shape.ts) would only tell the caller about the gateway's JavaScript.
 */
export function unreadableDetail(err: unknown, target: RouteTarget, what: 'answer' | 'stream event'): string {
  if (err instanceof SyntaxError) return `${what === 'answer' ? 'the answer' : 'an event'} is not JSON (${err.message})`;
  if (err instanceof TypeError) return `a field of the ${what} is missing, null or of another type than in ${PROTOCOLS[target.provider.type] ?? 'its'} ${what}`;
  return err instanceof Error ? err.message : String(err);
}

/** A complete answer longer than the gateway buffers (answer-limit.ts); another target may answer shorter. */
export function answerTooLargeFailure(limit: number, status: number, target: RouteTarget): AttemptFailure {
  return { kind: 'server_error', status, error: new GatewayError('GW_ERR_UPSTREAM_ERROR', `provider ${target.provider.name} sent an answer longer than ${limit} bytes, the most the gateway buffers`) };
}

export function emptyStreamFailure(target: RouteTarget): AttemptFailure {
  return { kind: 'reset', error: new GatewayError('GW_ERR_UPSTREAM_ERROR', `provider ${target.provider.name} ended the stream before sending anything`) };
}

/** The request cannot be expressed for the target (TranslationError): a 400 unless another target serves it. */
export function unsupportedFailure(err: TranslationError): AttemptFailure {
  const error = new GatewayError('GW_ERR_BAD_REQUEST', err.message);
  error.details = err.details;
  return { kind: 'server_error', local: true, unsupported: true, error };
}
