/**
 * A per-target circuit breaker. closed: requests pass, consecutive failures are counted; at
 * `threshold` it opens. open: requests are refused until `cooldownMs` after it opened; then it is
 * half-open. half-open: exactly one request (the probe) may pass at a time; its success closes the
 * breaker, its failure opens it again for another cooldown. Any success closes it (a late answer
 * from a request that started earlier is evidence too). Time comes from the caller (clock ms).
 */
import type { BreakerState } from './types.js';

/** 'pass': closed, no obligations. 'probe': the single half-open probe; report or release it. */
export type Admission = 'pass' | 'probe' | false;

export class CircuitBreaker {
  private consecutive = 0;
  /** When it last opened; undefined while closed. */
  private openedAt: number | undefined;
  private probeInFlight = false;

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

  onSuccess(): void {
    this.consecutive = 0;
    this.openedAt = undefined;
    this.probeInFlight = false;
  }

  onFailure(now: number): void {
    this.consecutive += 1;
    const state = this.state(now);
    // A failed probe (or any failure while half-open) re-opens for a full cooldown; while open,
    // late failures of requests that started earlier do not extend it.
    if (state === 'half_open' || (state === 'closed' && this.consecutive >= this.threshold)) {
      this.openedAt = now;
    }
    this.probeInFlight = false;
  }

  get consecutiveFailures(): number {
    return this.consecutive;
  }

  /** While open: when the next probe will be allowed. */
  retryAt(now: number): number | undefined {
    return this.state(now) === 'open' && this.openedAt !== undefined ? this.openedAt + this.cooldownMs : undefined;
  }
}
