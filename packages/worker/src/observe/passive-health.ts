/**
 * Passive provider health: what real requests say about a provider, fed to the recorder next to
 * worker 0's active checks (health/). A delivered attempt (any upstream answer that is not a
 * failure: 2xx, or a 4xx that is the caller's own fault) marks the provider healthy; a failed one
 * marks it degraded, or down once every known target of the provider has an open circuit breaker.
 * A refused caller-supplied key says nothing about the provider and is ignored.
 */
import type { MetricsRecorder } from '../metrics/index.js';
import type { AttemptFailure, RouteTarget, Router } from '../routing/index.js';

export class PassiveHealth {
  constructor(
    private readonly recorder: MetricsRecorder,
    private readonly router: Pick<Router, 'snapshot'> | null,
    /** routing.breaker_threshold: consecutive failures that open a target's breaker. */
    private readonly breakerThreshold: number,
  ) {}

  success(target: RouteTarget, latencyMs: number): void {
    this.recorder.setProviderHealth(target.provider.name, true, { state: 'healthy', latencyMs: Math.round(latencyMs) });
  }

  /**
   * `recorded`: the router has already counted this failure on the target's breaker. An attempt's
   * verdict arrives BEFORE the router records it (routing/execute.ts records once the attempt
   * resolves), so here the failure that opens the last breaker must be counted by hand: else the
   * provider would stay degraded while its open breakers refuse every request without an attempt,
   * i.e. with nothing left to observe. A stream's late failure is recorded first (attempt.ts).
   */
  failure(target: RouteTarget, failure: AttemptFailure, recorded = false): void {
    if (failure.kind === 'auth' && failure.clientKey === true) return;
    const provider = target.provider.name;
    const down = this.allBreakersOpen(provider, recorded ? null : target);
    this.recorder.setProviderHealth(provider, !down, {
      state: down ? 'down' : 'degraded',
      error: { message: `${failure.kind}: ${failure.error.message}`, status: failure.status ?? null },
    });
  }

  /** Failures are rare: the router's full snapshot is affordable here. */
  private allBreakersOpen(provider: string, unrecorded: RouteTarget | null): boolean {
    if (this.router === null) return false;
    let seen = 0;
    for (const target of this.router.snapshot()) {
      if (target.provider !== provider) continue;
      // This failure, once recorded, opens a closed breaker at the threshold and re-opens a
      // half-open one (its probe failed).
      const opens = target.id === unrecorded?.id && (target.breaker === 'half_open' || target.consecutiveFailures + 1 >= this.breakerThreshold);
      if (target.breaker !== 'open' && !opens) return false;
      seen++;
    }
    return seen > 0;
  }
}
