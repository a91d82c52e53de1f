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
    private readonly router: Router | null,
  ) {}

  success(target: RouteTarget, latencyMs: number): void {
    this.recorder.setProviderHealth(target.provider.name, true, { state: 'healthy', latencyMs: Math.round(latencyMs) });
  }

  failure(target: RouteTarget, failure: AttemptFailure): void {
    if (failure.kind === 'auth' && failure.clientKey === true) return;
    const provider = target.provider.name;
    const down = this.allBreakersOpen(provider);
    this.recorder.setProviderHealth(provider, !down, {
      state: down ? 'down' : 'degraded',
      error: { message: `${failure.kind}: ${failure.error.message}`, status: failure.status ?? null },
    });
  }

  /** Failures are rare: the router's full snapshot is affordable here. */
  private allBreakersOpen(provider: string): boolean {
    if (this.router === null) return false;
    let seen = 0;
    for (const target of this.router.snapshot()) {
      if (target.provider !== provider) continue;
      if (target.breaker !== 'open') return false;
      seen++;
    }
    return seen > 0;
  }
}
