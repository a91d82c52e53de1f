/**
 * Per-target runtime state keyed by RouteTarget.id: breaker, latency average, counters, last
 * error. Targets of configured (non-glob) models are registered up front and kept; targets that
 * globs produce on demand are kept in a bounded LRU so arbitrary requested names cannot grow
 * memory without limit. LRU, not insertion order: a caller sending fresh model names must not
 * wipe the state (an open breaker included) of a glob target that is in use.
 */
import type { RoutingConfig } from '@gatewayd/shared';
import { LinkedLru } from '@gatewayd/shared/lru';
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

  success(latencyMs: number, now: number): void {
    this.successes += 1;
    this.breaker.onSuccess(now);
    this.latency.update(latencyMs);
  }

  /** `startedAt` and `probe`: see CircuitBreaker.onFailure. */
  failure(failure: AttemptFailure, now: number, startedAt = now, probe = false): void {
    this.failures += 1;
    this.lastFailureAt = now;
    this.lastError = { kind: failure.kind, status: failure.status, code: failure.error.code, message: failure.error.message, at: now };
    this.breaker.onFailure(now, startedAt, probe);
  }
}

export class HealthRegistry {
  private readonly permanent = new Map<string, TargetStats>();
  /** O(1) eviction: a Map's keys().next() walks deleted slots and, here, every static target. */
  private readonly dynamic: LinkedLru<string, TargetStats>;
  /** Known targets per provider name, so a provider's breakers are found without a full snapshot. */
  private readonly byProvider = new Map<string, Set<TargetStats>>();

  /** `dynamicLimit`: the most glob targets kept (injectable for tests). */
  constructor(
    private readonly routing: RoutingConfig,
    private readonly dynamicLimit = DYNAMIC_LIMIT,
  ) {
    this.dynamic = new LinkedLru(dynamicLimit);
  }

  register(target: RouteTarget): void {
    if (this.permanent.has(target.id)) return;
    const seen = this.dynamic.peek(target.id);
    if (seen) this.dynamic.delete(target.id);
    this.permanent.set(target.id, seen ?? this.track(new TargetStats(target, this.routing)));
  }

  /** The stats of a target, created on first use; a dynamic one becomes the most recently used. */
  get(target: RouteTarget): TargetStats {
    let stats = this.permanent.get(target.id) ?? this.dynamic.get(target.id);
    if (!stats) {
      stats = this.track(new TargetStats(target, this.routing));
      // The LRU evicts on set; drop the victim from its provider group first.
      const oldest = this.dynamic.size >= this.dynamicLimit ? this.dynamic.oldestKey() : undefined;
      if (oldest !== undefined) this.untrack(this.dynamic.peek(oldest)!);
      this.dynamic.set(target.id, stats);
    }
    return stats;
  }

  /**
   * The stats if the target was seen, made the most recently used: a request planned to it uses it
   * even when its open breaker refuses the attempt (and get() is never reached), and that open
   * breaker is exactly the state a flood of fresh names must not wipe.
   */
  use(id: string): TargetStats | undefined {
    return this.permanent.get(id) ?? this.dynamic.get(id);
  }

  /** The stats if the target was seen; no allocation and no recency change. */
  peek(id: string): TargetStats | undefined {
    return this.permanent.get(id) ?? this.dynamic.peek(id);
  }

  /** Static targets, then dynamic ones from least to most recently used. */
  *all(): IterableIterator<TargetStats> {
    yield* this.permanent.values();
    for (const [, stats] of this.dynamic.entries()) yield stats;
  }

  /** The known targets of one provider (static and dynamic). */
  ofProvider(provider: string): ReadonlySet<TargetStats> | undefined {
    return this.byProvider.get(provider);
  }

  private track(stats: TargetStats): TargetStats {
    const name = stats.target.provider.name;
    let group = this.byProvider.get(name);
    if (!group) this.byProvider.set(name, (group = new Set()));
    group.add(stats);
    return stats;
  }

  private untrack(stats: TargetStats): void {
    const name = stats.target.provider.name;
    const group = this.byProvider.get(name);
    group?.delete(stats);
    if (group?.size === 0) this.byProvider.delete(name);
  }
}
