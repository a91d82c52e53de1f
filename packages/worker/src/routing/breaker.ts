/**
 * A per-target circuit breaker. closed: requests pass, consecutive failures are counted; at
 * `threshold` it opens. open: requests are refused until `cooldownMs` after it opened; then it is
 * half-open. half-open: exactly one request (the probe) may pass at a time; its success closes the
 * breaker, its failure opens it again for another cooldown. Any success closes it (a late answer
 * from a request that started earlier is evidence too). A failure of a request that started
 * before the breaker last opened or closed is not counted: with a request timeout far longer than
 * the cooldown, timeouts of requests from before an outage arrive long after it, and they must
 * neither extend the open period, nor re-open a breaker a probe has just closed, nor free the
 * probe slot of a probe still running. Time comes from the caller (clock ms).
 */
import type { BreakerState } from './types.js';

/** 'pass': closed, no obligations. 'probe': the single half-open probe; report or release it. */
export type Admission = 'pass' | 'probe' | false;

/** What a refused request is told while the probe's verdict is pending: ask again in a second. */
const PROBE_PENDING_RETRY_MS = 1_000;

export class CircuitBreaker {
  private consecutive = 0;
  /** When it last opened; undefined while closed. */
  private openedAt: number | undefined;
  private probeInFlight = false;
  /** When it last opened or closed (clock ms): failures of requests started before are stale. */
  private changedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly threshold: number,
    private readonly cooldownMs: number,
  ) {}

  state(now: number): BreakerState {
    if (this.openedAt === undefined) return 'closed';
    return now - this.openedAt >= this.cooldownMs ? 'half_open' : 'open';
  }

  /** Whether a request would be let through now, without claiming anything. */
  admits(now: number): boolean {
    const state = this.state(now);
    return state === 'closed' || (state === 'half_open' && !this.probeInFlight);
  }

  /** Claims passage for one request; a 'probe' must end in onSuccess, onFailure or releaseProbe. */
  acquire(now: number): Admission {
    const state = this.state(now);
    if (state === 'closed') return 'pass';
    if (state === 'open' || this.probeInFlight) return false;
    this.probeInFlight = true;
    return 'probe';
  }

  /** The probe ended without a verdict (aborted by the client, or a non-retryable client error). */
  releaseProbe(): void {
    this.probeInFlight = false;
  }

  onSuccess(now: number): void {
    if (this.openedAt !== undefined) this.changedAt = now;
    this.consecutive = 0;
    this.openedAt = undefined;
    this.probeInFlight = false;
  }

  /**
   * `startedAt`: when the failed request was admitted. `probe`: it was this breaker's half-open
   * probe, whose failure re-opens it for a full cooldown.
   */
  onFailure(now: number, startedAt: number = now, probe = false): void {
    if (probe) {
      this.consecutive += 1;
      this.openedAt = this.changedAt = now;
      this.probeInFlight = false;
      return;
    }
    if (startedAt < this.changedAt) return;
    this.consecutive += 1;
    if (this.state(now) === 'closed' && this.consecutive >= this.threshold) this.openedAt = this.changedAt = now;
  }

  get consecutiveFailures(): number {
    return this.consecutive;
  }

  /** While refusing: when to ask again (open: when it half-opens; half-open with its probe out: shortly). */
  retryAt(now: number): number | undefined {
    const state = this.state(now);
    if (state === 'open' && this.openedAt !== undefined) return this.openedAt + this.cooldownMs;
    if (state === 'half_open' && this.probeInFlight) return now + PROBE_PENDING_RETRY_MS;
    return undefined;
  }
}
