/**
 * The Router: resolves model names, orders targets per strategy, tracks target health (breakers,
 * latency) and api key cooldowns, and runs the failover loop (execute.ts). One per worker and
 * config; all state is in memory and per process.
 *
 * plan() is never empty for a resolved model: when every target's breaker refuses, it returns the
 * least-recently-failed target alone (its breaker half-opens first). execute() still asks the
 * breaker before each attempt, so such a plan yields a 503 GW_ERR_UPSTREAM_UNAVAILABLE instead of
 * hammering a target that is known to be down.
 */
import type { GatewayConfig, PriceConfig, ProviderConfig } from '@gatewayd/shared';
import type { Cancellation } from './cancellation.js';
import { executeWithFailover, type Attempt, type FailoverHost } from './execute.js';
import { HealthRegistry } from './health.js';
import { KeyRing } from './keys.js';
import { ModelResolver } from './resolve.js';
import { orderTargets, type StrategyContext } from './strategies.js';
import { systemClock, type AttemptFailure, type AttemptResult, type ResolvedModel, type RouteTarget, type RouterClock, type TargetHealth } from './types.js';

/** Told of every outcome the router records, after its breaker and latency took it in. */
export interface OutcomeListener {
  success(target: RouteTarget, latencyMs: number): void;
  failure(target: RouteTarget, failure: AttemptFailure): void;
}

export class Router {
  private outcomes: OutcomeListener | null = null;
  private readonly resolver: ModelResolver;
  private readonly health: HealthRegistry;
  private readonly keys: KeyRing;
  private readonly turns = new Map<string, number>();
  private readonly strategyContext: StrategyContext;
  private readonly host: FailoverHost;
  /** What a target is billed at (the worker sets its PriceTable's billedPrice); else its config or built-in price. */
  billedPrice: (target: RouteTarget) => PriceConfig | undefined = (target) => target.price;

  constructor(
    config: GatewayConfig,
    private readonly clock: RouterClock = systemClock,
  ) {
    this.resolver = new ModelResolver(config);
    this.health = new HealthRegistry(config.routing);
    for (const target of this.resolver.staticTargets()) this.health.register(target);
    this.keys = new KeyRing(config.routing.key_cooldown, clock);
    this.strategyContext = {
      random: () => clock.random(),
      latencyOf: (id) => this.health.peek(id)?.latency.value,
      priceOf: (target) => this.billedPrice(target),
      nextTurn: (name) => {
        const turn = this.turns.get(name) ?? 0;
        this.turns.set(name, turn + 1);
        return turn;
      },
    };
    this.host = {
      routing: config.routing,
      clock,
      plan: (model) => this.plan(model),
      admits: (target) => this.health.peek(target.id)?.breaker.admits(clock.now()) ?? true,
      admit: (target) => this.health.get(target).breaker.acquire(clock.now()),
      releaseProbe: (target) => this.health.peek(target.id)?.breaker.releaseProbe(),
      retryAt: (target) => this.health.peek(target.id)?.breaker.retryAt(clock.now()),
      recordSuccess: (target, latencyMs) => this.recordSuccess(target, latencyMs),
      recordFailure: (target, failure, attempt) => this.recordFailure(target, failure, attempt),
    };
  }

  /** Exact name, then alias, then globs (first match in config order). */
  resolve(requested: string): ResolvedModel | undefined {
    return this.resolver.resolve(requested);
  }

  /** Configured names and aliases (not globs), for GET /v1/models. */
  modelNames(): string[] {
    return this.resolver.modelNames();
  }

  /**
   * Ordered targets for one request per the model's strategy; targets whose breaker refuses are
   * left out before the strategy orders the rest, so round_robin turns over the usable targets
   * (rotating first and filtering after gave the target after an open one its turn too).
   */
  plan(model: ResolvedModel): RouteTarget[] {
    const now = this.clock.now();
    // use(), not peek(): being planned keeps a glob target's state (its breaker) from eviction.
    const usable = model.targets.filter((t) => this.health.use(t.id)?.breaker.admits(now) ?? true);
    if (usable.length > 0) return orderTargets(model.config.strategy, model.config.name, usable, this.strategyContext);
    if (model.targets.length === 0) return [];
    // Every breaker refuses: the plan is the target that will take a request soonest, so the
    // caller's retry-after (from the plan) is the shortest wait that can help.
    let pick = model.targets[0] as RouteTarget;
    let pickReadyAt = Number.POSITIVE_INFINITY;
    for (const target of model.targets) {
      const readyAt = this.health.peek(target.id)?.breaker.retryAt(now) ?? Number.NEGATIVE_INFINITY;
      if (readyAt < pickReadyAt) {
        pick = target;
        pickReadyAt = readyAt;
      }
    }
    return [pick];
  }

  /** The next usable api key of the provider. undefined: none configured; null: all cooling down. */
  pickKey(provider: ProviderConfig): string | undefined | null {
    return this.keys.pick(provider);
  }

  /** 401/403 -> key_cooldown; 429 -> max(key_cooldown, retryAfterMs). Unknown keys are ignored. */
  coolDownKey(provider: ProviderConfig, key: string, status: number, retryAfterMs?: number): void {
    this.keys.coolDown(provider, key, status, retryAfterMs);
  }

  /** Milliseconds until one of the provider's keys is usable again (0: now; undefined: no keys). */
  keyReadyInMs(provider: ProviderConfig): number | undefined {
    return this.keys.readyInMs(provider);
  }

  /** Closes the target's breaker and feeds its latency average (latency to the first byte). */
  recordSuccess(target: RouteTarget, latencyMs: number): void {
    this.health.get(target).success(latencyMs, this.clock.now());
    this.outcomes?.success(target, latencyMs);
  }

  /** The router's time (ms): what an attempt records as its start, for recordFailure's `attempt`. */
  now(): number {
    return this.clock.now();
  }

  /** `attempt`: when the failed attempt started and whether it was the breaker's probe (see CircuitBreaker). */
  recordFailure(target: RouteTarget, failure: AttemptFailure, attempt?: { startedAt: number; probe: boolean }): void {
    this.health.get(target).failure(failure, this.clock.now(), attempt?.startedAt, attempt?.probe);
    this.outcomes?.failure(target, failure);
  }

  /** One listener (passive provider health): it sees breaker states that include the outcome. */
  onOutcome(listener: OutcomeListener): void {
    this.outcomes = listener;
  }

  /** Runs attempts with failover, retries and backoff; semantics in execute.ts. */
  execute(model: ResolvedModel, attempt: Attempt, signal?: Cancellation, onWait?: (ms: number) => void): Promise<AttemptResult> {
    return executeWithFailover(this.host, model, attempt, signal, onWait);
  }

  /**
   * Whether every known target of the provider has an open breaker (false when none is known).
   * Called on every recorded failure, so it reads the provider's own breakers and builds nothing.
   */
  allBreakersOpen(provider: string): boolean {
    const targets = this.health.ofProvider(provider);
    if (!targets || targets.size === 0) return false;
    const now = this.clock.now();
    for (const stats of targets) if (stats.breaker.state(now) !== 'open') return false;
    return true;
  }

  /** While allBreakersOpen(provider): ms until the first of its breakers lets a probe through. */
  firstReopenInMs(provider: string): number | undefined {
    const targets = this.health.ofProvider(provider);
    if (!targets) return undefined;
    const now = this.clock.now();
    let first: number | undefined;
    for (const stats of targets) {
      const at = stats.breaker.retryAt(now);
      if (at !== undefined && (first === undefined || at < first)) first = at;
    }
    return first === undefined ? undefined : Math.max(0, first - now);
  }

  /** Per target breaker state, latency average, counters and last error; never an api key. */
  snapshot(): TargetHealth[] {
    const now = this.clock.now();
    const out: TargetHealth[] = [];
    for (const stats of this.health.all()) {
      const { target, breaker } = stats;
      out.push({
        id: target.id,
        provider: target.provider.name,
        model: target.model,
        breaker: breaker.state(now),
        consecutiveFailures: breaker.consecutiveFailures,
        retryAt: breaker.retryAt(now),
        latencyMs: stats.latency.value,
        successes: stats.successes,
        failures: stats.failures,
        lastError: stats.lastError ? { ...stats.lastError } : undefined,
        keys: this.keys.counts(target.provider),
      });
    }
    return out;
  }
}
