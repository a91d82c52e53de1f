/**
 * The routing layer's shared types: what a model resolves to, what one upstream attempt reports,
 * and the health view of a target. Pure data; no runtime code besides the default clock.
 */
import type { ModelConfig, PriceConfig, ProviderConfig } from '@gatewayd/shared';
import type { GatewayError } from '@gatewayd/shared/errors';

export interface RouteTarget {
  /** `${provider.name}/${model}`: the key of the target's breaker, latency average and counters. */
  id: string;
  provider: ProviderConfig;
  /** Upstream model name, after glob substitution. */
  model: string;
  weight: number;
  /** target.price from the config, else the built-in default for a well-known model (prices.ts), else undefined. */
  price: PriceConfig | undefined;
  /** target.price from the config alone: it wins over etc/prices.yaml, the built-in table does not. */
  configuredPrice?: PriceConfig | undefined;
}

export interface ResolvedModel {
  /** The name the caller sent (a configured name, an alias, or a name matching a glob). */
  requested: string;
  config: ModelConfig;
  /** In config order; the strategy orders them per request (Router.plan). */
  targets: RouteTarget[];
  /**
   * What the response cache keys on for the model: its name and every target (provider, type,
   * base_url, upstream model). Aliases share it; names matching one glob differ by their targets;
   * a reload that points a model elsewhere starts new entries rather than serve the old ones.
   */
  cacheIdentity: string;
}

export type FailureKind = 'connect' | 'timeout' | 'rate_limited' | 'server_error' | 'reset' | 'auth';

export interface AttemptFailure {
  kind: FailureKind;
  /**
   * Set when no attempt could be made because every target's breaker was open: the plan's first
   * target, so the request is counted under its provider (metrics, access line).
   */
  refusedTarget?: RouteTarget;
  /** Upstream HTTP status when there was one. */
  status?: number;
  /** Parsed from retry-after / retry-after-ms (parseRetryAfter). */
  retryAfterMs?: number;
  /** What the caller gets if this was the last attempt. */
  error: GatewayError;
  /**
   * The attempt used the caller's own provider key (client/hybrid auth). An 'auth' failure is then
   * the caller's problem: not retried, and not held against the target's breaker.
   */
  clientKey?: boolean;
  /**
   * No upstream call was made: the gateway's own limit failed the attempt (no free connection in
   * this worker's pool) or every api key of the provider was cooling down; or the upstream closed
   * a reused keep-alive connection as the request went out (its idle timeout, not its health). The
   * next target is tried, but the target's breaker and health do not count it.
   */
  local?: boolean;
  /**
   * The request cannot be expressed for this target (e.g. `n > 1` to Anthropic); also `local`.
   * Another target may still serve it: this one is skipped without using up an attempt, and the
   * caller gets this failure (a 400) only when no other target was tried.
   */
  unsupported?: boolean;
}

/** `local`: answered by the gateway itself, no upstream call (count_tokens estimated). */
export type AttemptResult = { ok: true; local?: boolean } | { ok: false; failure: AttemptFailure };

/** Time and randomness, injectable so tests are deterministic. now() is in milliseconds. */
export interface RouterClock {
  now(): number;
  /** Uniform in [0, 1), like Math.random. */
  random(): number;
}

export const systemClock: RouterClock = {
  now: () => performance.timeOrigin + performance.now(),
  random: Math.random,
};

export type BreakerState = 'closed' | 'open' | 'half_open';

/** One target's health for /health/providers and metrics. Never holds an api key. */
export interface TargetHealth {
  id: string;
  provider: string;
  model: string;
  breaker: BreakerState;
  /** Failures since the last success (what opens the breaker). */
  consecutiveFailures: number;
  /** While open: when the next probe will be allowed (clock ms). */
  retryAt: number | undefined;
  /** EWMA of observed latency to the first byte; undefined until measured. */
  latencyMs: number | undefined;
  successes: number;
  failures: number;
  lastError: { kind: FailureKind; status: number | undefined; code: string; message: string; at: number } | undefined;
  /** The provider's configured api keys and how many are cooling down now (counts only, never keys). */
  keys: { total: number; coolingDown: number };
}
