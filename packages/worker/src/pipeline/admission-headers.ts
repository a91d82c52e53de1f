/**
 * Rate-limit response headers (issue 4), in the caller's protocol, on admitted answers and on 429s:
 * - OpenAI: x-ratelimit-limit-requests / -remaining-requests / -reset-requests and the -tokens
 *   trio; resets as OpenAI writes them, Go durations ("20ms", "1s", "1.5s", "6m0s").
 * - Anthropic: anthropic-ratelimit-requests-limit / -remaining / -reset and the tokens trio;
 *   resets as RFC 3339 instants (when the window is fully replenished), whole seconds, UTC.
 * The figures are those of the tightest limit of each kind (key, model or global).
 */
import type { Admission, LimitWindow } from '@gatewayd/shared/state';
import type { ErrorShape } from '../http/exchange.js';

export type HeaderPairs = Array<[string, string]>;

/** Go's time.Duration formatting, as OpenAI's x-ratelimit-reset-* use it. */
export function openaiDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const millis = total % 60_000;
  const seconds = `${Math.floor(millis / 1000)}${millis % 1000 === 0 ? '' : `.${String(millis % 1000).padStart(3, '0').replace(/0+$/, '')}`}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}

/** RFC 3339 at whole-second precision, rounded up (the window is replenished by then). */
export function rfc3339After(nowMs: number, ms: number): string {
  const at = Math.ceil((nowMs + Math.max(0, ms)) / 1000) * 1000;
  // Most answers of one second share their reset instants: format each second once.
  if (at !== lastInstant) {
    lastInstant = at;
    lastInstantText = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return lastInstantText;
}
let lastInstant = Number.NaN;
let lastInstantText = '';

/** Admitted answers all reset in one full window: its text is computed once. */
const durationMemo = new Map<number, string>();
function openaiReset(ms: number): string {
  let text = durationMemo.get(ms);
  if (text === undefined) {
    text = openaiDuration(ms);
    if (durationMemo.size < 64) durationMemo.set(ms, text);
  }
  return text;
}

function openaiTrio(out: HeaderPairs, kind: 'requests' | 'tokens', window: LimitWindow): void {
  out.push([`x-ratelimit-limit-${kind}`, String(window.limit)], [`x-ratelimit-remaining-${kind}`, String(window.remaining)], [`x-ratelimit-reset-${kind}`, openaiReset(window.resetMs)]);
}

function anthropicTrio(out: HeaderPairs, kind: 'requests' | 'tokens', window: LimitWindow, nowMs: number): void {
  out.push(
    [`anthropic-ratelimit-${kind}-limit`, String(window.limit)],
    [`anthropic-ratelimit-${kind}-remaining`, String(window.remaining)],
    [`anthropic-ratelimit-${kind}-reset`, rfc3339After(nowMs, window.resetMs)],
  );
}

/** Appends the headers of `admission` (nothing when no rpm/tpm limit applied). */
export function rateLimitHeaders(out: HeaderPairs, shape: ErrorShape, admission: Admission, nowMs: number): void {
  const { requests, tokens } = admission;
  if (shape === 'anthropic') {
    if (requests !== null) anthropicTrio(out, 'requests', requests, nowMs);
    if (tokens !== null) anthropicTrio(out, 'tokens', tokens, nowMs);
  } else {
    if (requests !== null) openaiTrio(out, 'requests', requests);
    if (tokens !== null) openaiTrio(out, 'tokens', tokens);
  }
}

/** `retry-after` in whole seconds, rounded up, at least 1. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}
