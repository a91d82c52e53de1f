/**
 * Passive provider health: what real requests say about a provider, fed to the recorder next to
 * worker 0's active checks (health/). It listens to the router's recorded outcomes, so the breaker
 * states it reads already include the outcome at hand. A delivered attempt (any upstream answer
 * that is not a failure: 2xx, or a 4xx that is the caller's own fault) marks the provider healthy;
 * a failed one marks it degraded, or down once every known target of the provider has an open
 * circuit breaker. What the router does not record says nothing about the provider: a refused
 * caller-supplied key, an attempt the caller abandoned.
 */
import type { MetricsRecorder } from '../metrics/index.js';
import type { AttemptFailure, OutcomeListener, RouteTarget, Router } from '../routing/index.js';
import { scrubForCallers } from './secrets.js';

export class PassiveHealth implements OutcomeListener {
  constructor(
    private readonly recorder: MetricsRecorder,
    private readonly router: Pick<Router, 'allBreakersOpen'>,
  ) {}

  success(target: RouteTarget, latencyMs: number): void {
    this.recorder.setProviderHealth(target.provider.name, true, { state: 'healthy', latencyMs: Math.round(latencyMs) });
  }

  failure(target: RouteTarget, failure: AttemptFailure): void {
    const provider = target.provider.name;
    const down = this.router.allBreakersOpen(provider);
    this.recorder.setProviderHealth(provider, !down, {
      state: down ? 'down' : 'degraded',
      error: { message: scrubForCallers(`${failure.kind}: ${failure.error.message}`), status: failure.status ?? null },
    });
  }
}
