/**
 * Retry arithmetic: what an upstream status means for routing, how long a retry-after asks us to
 * wait, and the full-jitter exponential backoff between tries of the same target.
 */
import type { RoutingConfig } from '@gatewayd/shared';
import type { FailureKind } from './types.js';

/**
 * 429 rate_limited; 5xx server_error; 401/403 auth; 408 timeout (the upstream gave up waiting, so a
 * retry may succeed); any other 4xx client_error (the request itself is wrong: not retried); < 400 ok.
 */
export function classifyStatus(status: number): FailureKind | 'ok' | 'client_error' {
  if (status < 400) return 'ok';
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server_error';
  return 'client_error';
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * Milliseconds the upstream asks us to wait, from `retry-after-ms` (OpenAI; milliseconds, may be
 * fractional) or `retry-after` (delta-seconds or an HTTP-date, relative to `now`, epoch ms). A past
 * date gives 0. Header names match case-insensitively; undefined when absent or unparseable.
 */
export function parseRetryAfter(headers: Headers, now: number): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return capped(Math.ceil(Number(ms)));
  const value = header(headers, 'retry-after');
  if (value === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return capped(Math.ceil(Number(value) * 1000));
  // Only the three HTTP-date forms: Date.parse takes almost anything ("soon 2" is a date to it).
  if (!HTTP_DATE.some((form) => form.test(value.trim()))) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : capped(Math.max(0, at - now));
}

/**
 * RFC 9110 5.6.7: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 form
 * (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
 */
const HTTP_DATE: readonly RegExp[] = [
  /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
  /^[A-Za-z]{6,9}, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/,
  /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/,
];

/**
 * The longest wait believed: a day. An absurd value would otherwise reach the caller as
 * `retry-after: 1e+26` and cool a key down for good (until a reload).
 */
export const MAX_RETRY_AFTER_MS = 86_400_000;

function capped(ms: number): number {
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

function header(headers: Headers, name: string): string | undefined {
  let value = headers[name];
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        value = headers[key];
        break;
      }
    }
  }
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Full-jitter exponential backoff: uniform in [0, min(backoff_max, backoff_initial * 2^retry)),
 * `retry` counting from 0 for the first re-try of a target in a request.
 */
export function backoffDelay(retry: number, routing: Pick<RoutingConfig, 'backoff_initial' | 'backoff_max'>, random: () => number): number {
  const cap = Math.min(routing.backoff_max, routing.backoff_initial * 2 ** Math.min(retry, 30));
  return Math.floor(random() * cap);
}
