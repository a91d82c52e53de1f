/**
 * The vocabulary of shared state (rate limits, concurrency, response cache), common to the
 * supervisor's embedded store (backend `local`), the Redis scripts (backend `redis`) and the
 * worker-side API. Types and small helpers only: no zod, cheap to load in a worker.
 */

/** Every rate limit is over the same sliding window: "in any 60-second window" (SPEC). */
export const LIMIT_WINDOW_MS = 60_000;

/**
 * A concurrency or whole-budget rejection has no entry whose departure is predictable; callers
 * are told to come back after this long (the `retry-after` header has second granularity anyway).
 */
export const CONCURRENCY_RETRY_MS = 1_000;

/** What the worker tells callers when the state backend is down and `state.on_error` is closed. */
export const STATE_UNAVAILABLE_RETRY_MS = 1_000;

export type LimitKind = 'rpm' | 'tpm' | 'concurrency';

/** The order in which a scope's limits are checked; also the order of `violated` among equals. */
export const LIMIT_KINDS: readonly LimitKind[] = ['rpm', 'tpm', 'concurrency'];

/**
 * One set of limits that a request counts against. `id` names the counter shared by every worker
 * and host: "key:<fingerprint>", "model:<name>", "global". Absent limits are not counted at all.
 */
export interface LimitScope {
  id: string;
  rpm?: number;
  tpm?: number;
  concurrency?: number;
}

/** One limit's figures for the x-ratelimit-* / anthropic-ratelimit-* headers. */
export interface LimitWindow {
  limit: number;
  /** What is left in the window after this request (0 when it was rejected by this limit). */
  remaining: number;
  /** Milliseconds until the window is fully replenished (its newest entry leaves it). */
  resetMs: number;
}

export interface LimitViolation {
  scope: string;
  kind: LimitKind;
}

export interface Admission {
  ok: boolean;
  /** Pass to settle(); null when nothing was reserved (no tpm and no concurrency limit, or rejected). */
  ticket: string | null;
  /** > 0 when !ok: exact for rpm/tpm (when the blocking entries leave the window). */
  retryAfterMs: number;
  /** The binding limit when rejected by a limit; null when admitted or when the state is unavailable. */
  violated: LimitViolation | null;
  /** The tightest rpm limit (least remaining), for the *-requests headers; null when none applies. */
  requests: LimitWindow | null;
  /** The tightest tpm limit (least remaining), for the *-tokens headers; null when none applies. */
  tokens: LimitWindow | null;
  /** The backend was unreachable and state.on_error is open: admitted without counting. */
  degraded: boolean;
}

/** Admitted without any limit to count against (no scopes, or a degraded backend). */
export function unlimitedAdmission(degraded = false): Admission {
  return { ok: true, ticket: null, retryAfterMs: 0, violated: null, requests: null, tokens: null, degraded };
}

/** state.on_error closed and the backend is unreachable: GW_ERR_STATE_UNAVAILABLE semantics. */
export function unavailableAdmission(): Admission {
  return { ok: false, ticket: null, retryAfterMs: STATE_UNAVAILABLE_RETRY_MS, violated: null, requests: null, tokens: null, degraded: false };
}

/** Keeps the window with the least remaining (ties: the smaller limit). */
export function tighterWindow(current: LimitWindow | null, next: LimitWindow): LimitWindow {
  if (current === null) return next;
  if (next.remaining < current.remaining) return next;
  if (next.remaining === current.remaining && next.limit < current.limit) return next;
  return current;
}

/** Scopes that actually limit something; a request with none needs no round trip at all. */
export function hasLimits(scopes: readonly LimitScope[]): boolean {
  return scopes.some((s) => s.rpm !== undefined || s.tpm !== undefined || s.concurrency !== undefined);
}
