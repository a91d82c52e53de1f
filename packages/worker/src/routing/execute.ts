/**
 * The failover loop behind Router.execute.
 *
 * Semantics:
 * - The plan (Router.plan: strategy order, targets whose breaker refuses left out) is fixed when the
 *   request starts. Total attempts = 1 + routing.retries. Attempt n goes to plan[n % plan.length]:
 *   first every target once, then round again from the first.
 * - A target already tried in this request is re-tried only after a wait, counted from its failure:
 *   its retry-after when the failure carried one of at most routing.retry_after_max, else the
 *   full-jitter exponential backoff (uniform in [0, min(backoff_max, backoff_initial * 2^k)), k = how
 *   often this target was re-tried before). Untried targets are attempted at once.
 * - A retry-after longer than retry_after_max bars that target for the rest of the request: the loop
 *   moves to the next target not barred; when every target is barred it gives up.
 * - Right before each attempt the target's breaker is asked again (another request may have opened
 *   it, or taken its single half-open probe); a refused target is skipped without using an attempt.
 *   If no target of the plan is admitted before any attempt was made, the result is a 503
 *   GW_ERR_UPSTREAM_UNAVAILABLE failure (with retry-after until the first breaker half-opens).
 * - Every failure reported by an attempt is recorded on the target (breaker, counters, last error),
 *   and every success (with its latency: attempt start to resolution, so attempts should resolve once
 *   the upstream's response head is accepted) — callers must not record them again. Exceptions,
 *   all because the target is not at fault: an 'auth' or 'rate_limited' failure with clientKey (the
 *   caller's own provider key), a `local` failure (no upstream call was made), a `local` success
 *   (an answer the gateway made itself) and anything after the signal aborted. A probe that ends
 *   without a verdict gives its half-open slot back.
 * - Non-retryable: an 'auth' failure with clientKey resolves at once with that failure; a throw from
 *   attempt() (e.g. a client error the upstream returned, or a bug) is re-thrown at once. An
 *   `unsupported` failure (the request cannot be expressed for that target) bars the target
 *   without using up an attempt; it is the result only if no upstream failure is. Upstream
 *   4xx other than 401/403/408/429 are not failures of the target: attempt() delivers or throws them.
 * - The Cancellation (client went away) stops everything at once: a pending wait is cleared, a pending
 *   attempt is no longer awaited (it must abort itself on the same signal), and the result is an
 *   aborted failure. No further attempt starts.
 * - Resolves with the first ok, else the last failure.
 */
import type { RoutingConfig } from '@gatewayd/shared';
import { GatewayError } from '@gatewayd/shared/errors';
import type { Admission } from './breaker.js';
import type { Cancellation } from './cancellation.js';
import { backoffDelay } from './retry.js';
import type { AttemptFailure, AttemptResult, ResolvedModel, RouteTarget, RouterClock } from './types.js';

/** What the loop needs from the Router. */
export interface FailoverHost {
  readonly routing: RoutingConfig;
  readonly clock: RouterClock;
  plan(model: ResolvedModel): RouteTarget[];
  admits(target: RouteTarget): boolean;
  admit(target: RouteTarget): Admission;
  releaseProbe(target: RouteTarget): void;
  retryAt(target: RouteTarget): number | undefined;
  recordSuccess(target: RouteTarget, latencyMs: number): void;
  recordFailure(target: RouteTarget, failure: AttemptFailure, attempt: { startedAt: number; probe: boolean }): void;
}

export type Attempt = (target: RouteTarget, attemptNo: number) => Promise<AttemptResult>;

interface Slot {
  tries: number;
  /** Clock ms before which the target is not re-tried. */
  notBefore: number;
  /** Its retry-after exceeded retry_after_max: not tried again in this request. */
  barred: boolean;
}

const ABORTED = Symbol('aborted');

/** `onWait`: told how long each wait between attempts (backoff, retry-after) lasted, for the overhead metric. */
export async function executeWithFailover(host: FailoverHost, model: ResolvedModel, attempt: Attempt, signal?: Cancellation, onWait?: (ms: number) => void): Promise<AttemptResult> {
  if (signal?.aborted) return abortedResult();
  const { routing, clock } = host;
  const plan = host.plan(model);
  const slots: Slot[] = plan.map(() => ({ tries: 0, notBefore: 0, barred: false }));
  const total = 1 + routing.retries;
  let made = 0;
  let cursor = 0;
  // Refusals at acquire time are races with other requests; bounded so two flapping targets cannot loop.
  let refusalsLeft = plan.length * 2;
  let last: AttemptFailure | undefined;
  let unsupported: AttemptFailure | undefined;

  while (made < total) {
    const index = nextIndex(host, plan, slots, cursor);
    if (index === undefined) break;
    cursor = index + 1;
    const target = plan[index] as RouteTarget;
    const slot = slots[index] as Slot;
    if (slot.tries > 0) {
      const waitStarted = clock.now();
      const waited = await wait(slot.notBefore - waitStarted, signal);
      onWait?.(clock.now() - waitStarted);
      if (!waited) return abortedResult();
    }

    const admission = host.admit(target);
    if (admission === false) {
      if (--refusalsLeft < 0) break;
      continue;
    }
    // A probe that ends without a verdict on the target gives its half-open slot back.
    const noVerdict = (): void => {
      if (admission === 'probe') host.releaseProbe(target);
    };
    const started = clock.now();
    let outcome: AttemptResult | typeof ABORTED;
    try {
      outcome = await raceAbort(attempt(target, made), signal);
    } catch (error) {
      noVerdict();
      throw error;
    }
    if (outcome === ABORTED) {
      noVerdict();
      return abortedResult();
    }
    if (outcome.ok) {
      // An answer the gateway made itself (count_tokens estimated) says nothing of the upstream.
      if (outcome.local === true) noVerdict();
      else host.recordSuccess(target, clock.now() - started);
      return outcome;
    }
    const failure = outcome.failure;
    if (failure.unsupported === true) {
      // No request was made: not an attempt, and never the answer while an upstream's failure is known.
      noVerdict();
      slot.barred = true;
      unsupported ??= failure;
      continue;
    }
    made++;
    slot.tries += 1;
    last = failure;
    if (signal?.aborted || (failure.kind === 'auth' && failure.clientKey === true)) {
      noVerdict();
      return outcome;
    }
    // Not the target's fault: this worker's own connection limit or cooling keys (no upstream
    // call was made), or the quota of a caller's own provider key (one tenant must not open the
    // breaker every other caller shares).
    if (failure.local === true || (failure.kind === 'rate_limited' && failure.clientKey === true)) {
      noVerdict();
    } else {
      host.recordFailure(target, failure, { startedAt: started, probe: admission === 'probe' });
    }
    const failedAt = clock.now();
    if (failure.retryAfterMs === undefined) {
      slot.notBefore = failedAt + backoffDelay(slot.tries - 1, routing, () => clock.random());
    } else if (failure.retryAfterMs > routing.retry_after_max) {
      slot.barred = true;
    } else {
      slot.notBefore = failedAt + failure.retryAfterMs;
    }
  }
  const final = last ?? unsupported;
  return final ? { ok: false, failure: final } : unavailableResult(host, model, plan);
}

/** The first plan index from `cursor` on (wrapping) that is not barred and whose breaker admits. */
function nextIndex(host: FailoverHost, plan: RouteTarget[], slots: Slot[], cursor: number): number | undefined {
  for (let step = 0; step < plan.length; step++) {
    const index = (cursor + step) % plan.length;
    if (!(slots[index] as Slot).barred && host.admits(plan[index] as RouteTarget)) return index;
  }
  return undefined;
}

/** Waits ms (nothing when ≤ 0); false when the signal aborted first. The timer is cleared on abort. */
function wait(ms: number, signal: Cancellation | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.offCancel(onAbort);
      resolve(true);
    }, ms);
    signal?.onCancel(onAbort);
  });
}

function raceAbort<T>(promise: Promise<T>, signal: Cancellation | undefined): Promise<T | typeof ABORTED> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(ABORTED);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.onCancel(onAbort);
    promise.then(
      (value) => {
        signal.offCancel(onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.offCancel(onAbort);
        reject(error);
      },
    );
  });
}

function abortedResult(): AttemptResult {
  return { ok: false, failure: { kind: 'reset', error: new GatewayError('GW_ERR_UPSTREAM_ERROR', 'the request was aborted: the client went away') } };
}

function unavailableResult(host: FailoverHost, model: ResolvedModel, plan: RouteTarget[]): AttemptResult {
  const reopen = plan.map((t) => host.retryAt(t)).filter((at): at is number => at !== undefined);
  // After retryAt, which may count from its own now (a probe in flight: now + 1 s).
  const now = host.clock.now();
  const headers: Record<string, string> = {};
  if (reopen.length > 0) headers['retry-after'] = String(Math.max(1, Math.ceil((Math.min(...reopen) - now) / 1000)));
  const error = new GatewayError('GW_ERR_UPSTREAM_UNAVAILABLE', `no target of model ${model.requested} is available: circuit breakers open`, headers);
  const failure: AttemptFailure = { kind: 'server_error', error };
  if (plan[0] !== undefined) failure.refusedTarget = plan[0];
  return { ok: false, failure };
}
