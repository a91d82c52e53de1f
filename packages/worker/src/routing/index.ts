/** Routing: model resolution, strategies, breakers, key rotation, retries and failover. */
export { Router, type OutcomeListener } from './router.js';
export { Cancellation } from './cancellation.js';
export type { Attempt } from './execute.js';
export { classifyStatus, parseRetryAfter, backoffDelay, MAX_RETRY_AFTER_MS } from './retry.js';
export { builtinPrice, costKey } from './prices.js';
export { isGlob } from './resolve.js';
export { systemClock } from './types.js';
export type {
  AttemptFailure,
  AttemptResult,
  BreakerState,
  FailureKind,
  ResolvedModel,
  RouteTarget,
  RouterClock,
  TargetHealth,
} from './types.js';
