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
  /** Per provider, bumped by every outcome: a pending reopen check is stale once it moved on. */
  private readonly outcomes = new Map<string, number>();

  constructor(
    private readonly recorder: MetricsRecorder,
    private readonly router: Pick<Router, 'allBreakersOpen' | 'firstReopenInMs'>,
  ) {}

  success(target: RouteTarget, latencyMs: number): void {
    this.bump(target.provider.name);
    this.recorder.setProviderHealth(target.provider.name, true, { state: 'healthy', latencyMs: Math.round(latencyMs) });
  }

  failure(target: RouteTarget, failure: AttemptFailure): void {
    const provider = target.provider.name;
    const outcome = this.bump(provider);
    const down = this.router.allBreakersOpen(provider);
    this.recorder.setProviderHealth(provider, !down, {
      state: down ? 'down' : 'degraded',
      error: { message: scrubForCallers(`${failure.kind}: ${failure.error.message}`), status: failure.status ?? null },
    });
    if (down) this.whenReopened(provider, outcome);
  }

  /**
   * Down lasts while every breaker is open, not until the next request: a load balancer that
   * follows /health/ready sends none to a gateway that says down, so without active checks it
   * would say down for ever. Once a breaker lets a probe through, the provider is degraded (up).
   */
  private whenReopened(provider: string, outcome: number): void {
    const inMs = this.router.firstReopenInMs(provider);
    if (inMs === undefined) return;
    setTimeout(() => {
      if (this.outcomes.get(provider) !== outcome) return; // a newer outcome said more
      if (this.router.allBreakersOpen(provider)) this.whenReopened(provider, outcome);
      else this.recorder.setProviderHealth(provider, true, { state: 'degraded' });
    }, inMs + 1).unref();
  }

  private bump(provider: string): number {
    const next = (this.outcomes.get(provider) ?? 0) + 1;
    this.outcomes.set(provider, next);
    return next;
  }
}
