/**
 * The worker's view of shared state (issue 4). One StateBackend per worker, created at start
 * from the config (createStateBackend in index.ts); the request path calls admit() before the
 * upstream call and settle() exactly once when the response or stream ends, however it ends.
 */
import type { Admission, LimitScope } from '@gatewayd/shared/state';
import type { HealthStatus } from './health.js';

export type { Admission, LimitKind, LimitScope, LimitViolation, LimitWindow } from '@gatewayd/shared/state';
export type { HealthStatus } from './health.js';

export interface StateBackend {
  readonly kind: 'local' | 'redis';
  /**
   * Counts one request against every scope, atomically: admitted in all or reserved in none.
   * `reserveTokens` (estimated prompt tokens + max_tokens) is held against each tpm limit until
   * settle(). Never rejects (the promise): an unreachable backend gives `degraded: true`
   * (on_error open) or ok=false with violated=null (on_error closed: GW_ERR_STATE_UNAVAILABLE).
   * Scopes without any limit cost nothing: no IPC, no Redis call.
   */
  admit(scopes: LimitScope[], reserveTokens: number): Promise<Admission>;
  /**
   * The request ended (success, error, abort): its tpm reservation becomes `actualTokens`
   * (prompt + completion as reported by the upstream; the reservation when unknown) and its
   * concurrency slots are freed. Idempotent, fire-and-forget, batched with the turn's other ops.
   */
  settle(ticket: string, actualTokens: number): void;
  /** null on a miss, on an unreachable backend, and on a timeout. */
  cacheGet(key: string): Promise<Buffer | null>;
  /** Fire-and-forget; ttlMs is usually config.cache.ttl. */
  cacheSet(key: string, value: Buffer, ttlMs: number): void;
  /**
   * The entry was used from a worker's copy: it counts as recently used in the store (local: its
   * LRU order). Fire-and-forget, batched; redis: nothing (entries there end by their TTL).
   */
  cacheTouch(key: string): void;
  /**
   * cacheSet, then `send` (the caller's answer) once the write is on its way: a later lookup of
   * the key, from any worker, cannot overtake it (read-your-writes). The backend may hold `send`
   * back to the end of the event-loop turn, so that the turn's writes travel together.
   */
  cacheSetBeforeSend(key: string, value: Buffer, ttlMs: number, send: () => void): void;
  /**
   * Backend redis: another worker of this gateway died; frees the concurrency slots it held in
   * `scopes` (their members start with its `instance`) instead of leaving them to their leases.
   * Backend local needs none: the supervisor frees a dead worker's slots itself.
   */
  releaseInstance?(instance: string, scopes: readonly string[]): void;
  /** Calls `send` once the operations queued so far (a settle) are on their way. */
  sendAfterQueued(send: () => void): void;
  /**
   * The worker is draining: what it holds of the shared budgets for itself alone (local credits)
   * goes back at once and it takes no more; its remaining requests are admitted one by one.
   */
  retire(): void;
  /** Resolves once the backend can serve (redis: connected, or gave up after its timeout). */
  ready(): Promise<void>;
  status(): HealthStatus;
  close(): Promise<void>;
}
