/**
 * Shared state for the request path (issue 4): rate limits, concurrency slots and the response
 * cache, through backend `local` (the supervisor's store, over IPC) or `redis`.
 *
 * Usage (one backend per worker, created at start):
 *   const state = createStateBackend(config, { workerId, logger });
 *   await state.ready();
 *   const admission = await state.admit(scopesOf(...), promptTokens + maxTokens);
 *   if (!admission.ok) -> 429 GW_ERR_RATE_LIMITED with retry-after = ceil(retryAfterMs / 1000)
 *                         (violated === null: 503 GW_ERR_STATE_UNAVAILABLE), headers from
 *                         admission.requests / admission.tokens
 *   ...serve...; finally: if (admission.ticket) state.settle(admission.ticket, usedTokens)
 *
 * Scope ids: "key:<fingerprint>" (auth.keys[].limits), "model:<name>" (models[].limits),
 * "global" (top-level limits); see scopesFor().
 */
import type { GatewayConfig } from '@gatewayd/shared';
import { StateCore } from '@gatewayd/shared/state';
import type { Logger } from '../log.js';
import { inProcessChannel, processChannel, type StateChannel } from './channel.js';
import { LocalStateBackend } from './local-backend.js';
import { RedisStateBackend } from './redis-backend.js';
import type { HealthChange } from './health.js';
import type { StateBackend } from './types.js';

export type { Admission, HealthStatus, LimitKind, LimitScope, LimitViolation, LimitWindow, StateBackend } from './types.js';
export type { StateChannel } from './channel.js';
export { inProcessChannel, processChannel } from './channel.js';
export { concurrencyScopeIds, scopesFor, type ScopeSources } from './scopes.js';

/** Backend local: how long a batch may wait for the supervisor before state.on_error applies. */
export const LOCAL_TIMEOUT_MS = 1_000;

export interface StateBackendOptions {
  workerId: number;
  logger: Logger;
  /**
   * Backend local: the way to the store. Default: the supervisor's IPC channel, or a store in this
   * process when there is no supervisor (limits then hold per process).
   */
  channel?: StateChannel;
  /** Override of the per-call bound: LOCAL_TIMEOUT_MS (local) or state.redis.timeout (redis). */
  timeoutMs?: number;
  /** Called on each healthy/unhealthy transition (for a metric, and for the supervisor). */
  onHealthChange?: HealthChange;
  /** The caller forwards the transitions to a supervisor that logs them: this process logs at debug. */
  supervisorLogs?: boolean;
  /** Backend redis: the prefix of this worker's slot members (GATEWAYD_STATE_INSTANCE); random without one. */
  instance?: string;
}

export function createStateBackend(config: GatewayConfig, options: StateBackendOptions): StateBackend {
  const { state } = config;
  const common = {
    onError: state.on_error,
    logger: options.logger,
    ...(options.onHealthChange ? { onHealthChange: options.onHealthChange } : {}),
    ...(options.supervisorLogs ? { supervisorLogs: true } : {}),
  };
  if (state.backend === 'redis') {
    return new RedisStateBackend({
      ...common,
      url: state.redis.url,
      prefix: state.redis.prefix,
      timeoutMs: options.timeoutMs ?? state.redis.timeout,
      workerId: options.workerId,
      cluster: state.redis.cluster,
      ...(options.instance ? { instance: options.instance } : {}),
    });
  }
  const channel = options.channel ?? (typeof process.send === 'function' ? processChannel() : inProcessChannel(new StateCore({ maxEntries: config.cache.max_entries, maxBytes: config.cache.max_bytes })));
  return new LocalStateBackend({ ...common, channel, timeoutMs: options.timeoutMs ?? LOCAL_TIMEOUT_MS });
}
