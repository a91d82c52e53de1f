/**
 * Per-target runtime state keyed by RouteTarget.id: breaker, latency average, counters, last
 * error. Targets of configured (non-glob) models are registered up front and kept; targets that
 * globs produce on demand are kept in bounded insertion order so arbitrary requested names cannot
 * grow memory without limit (the oldest of them is forgotten first).
 */
import type { RoutingConfig } from '@gatewayd/shared';
import { CircuitBreaker } from './breaker.js';
import { Ewma } from './latency.js';
import type { AttemptFailure, RouteTarget, TargetHealth } from './types.js';

const DYNAMIC_LIMIT = 1024;

export class TargetStats {
  readonly breaker: CircuitBreaker;
  readonly latency: Ewma;
  successes = 0;
  failures = 0;
  lastFailureAt: number | undefined;
  lastError: TargetHealth['lastError'];

  constructor(
    readonly target: RouteTarget,
    routing: RoutingConfig,
  ) {
    this.breaker = new CircuitBreaker(routing.breaker_threshold, routing.breaker_cooldown);
    this.latency = new Ewma(routing.latency_alpha);
  }

  success(latencyMs: number): void {
    this.successes += 1;
    this.breaker.onSuccess();
    this.latency.update(latencyMs);
  }

  failure(failure: AttemptFailure, now: number): void {
    this.failures += 1;
    this.lastFailureAt = now;
    this.lastError = { kind: failure.kind, status: failure.status, code: failure.error.code, message: failure.error.message, at: now };
    this.breaker.onFailure(now);
  }
}

export class HealthRegistry {
  private readonly stats = new Map<string, TargetStats>();
  private readonly permanent = new Set<string>();
  private dynamicCount = 0;

  constructor(private readonly routing: RoutingConfig) {}

  register(target: RouteTarget): void {
    if (this.permanent.has(target.id)) return;
    if (!this.stats.has(target.id)) this.stats.set(target.id, new TargetStats(target, this.routing));
    else this.dynamicCount -= 1;
    this.permanent.add(target.id);
  }

  /** The stats of a target, created on first use. */
  get(target: RouteTarget): TargetStats {
    let stats = this.stats.get(target.id);
    if (!stats) {
      if (this.dynamicCount >= DYNAMIC_LIMIT) this.evictOldestDynamic();
      stats = new TargetStats(target, this.routing);
      this.stats.set(target.id, stats);
      this.dynamicCount += 1;
    }
    return stats;
  }

  /** The stats if the target was seen; no allocation (plan() looks at many targets). */
  peek(id: string): TargetStats | undefined {
    return this.stats.get(id);
  }

  all(): IterableIterator<TargetStats> {
    return this.stats.values();
  }

  private evictOldestDynamic(): void {
    for (const id of this.stats.keys()) {
      if (this.permanent.has(id)) continue;
      this.stats.delete(id);
      this.dynamicCount -= 1;
      return;
    }
  }
}
