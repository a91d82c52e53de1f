/**
 * Backend `local`: the supervisor owns the rate-limit counters and the response cache of every
 * worker (issue 4). Workers reach it over cluster IPC with batched `state-batch` messages; as it
 * lives in the supervisor, one limit holds exactly across all workers and survives rolling
 * reloads. When a worker dies, the concurrency slots its requests held are released.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '@gatewayd/shared';
import { CREDIT_GRACE_MS, StateCore, type StateBatchMessage, type StateBatchResultMessage } from '@gatewayd/shared/state';

/** Housekeeping period: expired cache entries and idle limit scopes are dropped. */
const SWEEP_INTERVAL_MS = 60_000;
/** While an admission waits for other workers' credits to close: how often overdue ones are decided. */
const DEFERRED_TICK_MS = 25;

export interface StateStoreStats {
  scopes: number;
  tickets: number;
  credits: number;
  cacheEntries: number;
  cacheBytes: number;
}

export class SupervisorStateStore {
  private readonly core: StateCore;
  private readonly timer: NodeJS.Timeout;
  private tickTimer: NodeJS.Timeout | null = null;
  private tickAt = 0;
  private closed = false;
  private tickFailing = false;
  private readonly now: () => number;

  constructor(config: GatewayConfig, private readonly logger: Logger, now?: () => number) {
    this.now = now ?? (() => performance.now());
    this.core = new StateCore({ maxEntries: config.cache.max_entries, maxBytes: config.cache.max_bytes, now: this.now });
    this.timer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  /** A reload committed a new config: limits travel with each request, only the cache's size is ours. */
  configure(config: GatewayConfig): void {
    this.core.cache.resize(config.cache.max_entries, config.cache.max_bytes);
  }

  /**
   * Applies a worker's batch and answers it. `owner` identifies the worker process (its cluster
   * worker id, never reused), so its slots can be released when it dies. Never throws: a
   * malformed message from a worker is logged and dropped (its waiters time out worker-side).
   */
  onBatch(owner: number, message: StateBatchMessage, reply: (answer: StateBatchResultMessage) => void): void {
    let answer: StateBatchResultMessage | null;
    try {
      if (!Array.isArray(message.ops)) throw new Error('ops is not an array');
      answer = this.core.applyBatch(owner, message, reply);
    } catch (err) {
      this.logger.warn({ owner, err: (err as Error).message }, 'malformed state batch from a worker; dropped');
      return;
    }
    if (answer) reply(answer);
    this.watch();
  }

  /** The worker `owner` exited: free the concurrency slots of the requests it still had. */
  releaseOwner(owner: number): void {
    const released = this.core.releaseOwner(owner);
    if (released > 0) this.logger.info({ owner, released }, 'released the concurrency slots of an exited worker');
  }

  stats(): StateStoreStats {
    const { scopes, tickets, credits } = this.core.limits.size;
    return { scopes, tickets, credits, cacheEntries: this.core.cache.size, cacheBytes: this.core.cache.totalBytes };
  }

  close(): void {
    clearInterval(this.timer);
    this.closed = true;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = null;
    this.core.cache.clear();
  }

  /**
   * Ticks the store while it has work that is due by time: every DEFERRED_TICK_MS while answers
   * are deferred (none waits past DEFER_MAX_MS); while credits are open or overdue, just after the
   * next one is due (a credit whose grant never reached its worker becomes overdue, then is
   * forfeited, on time rather than at the next sweep), and at least every CREDIT_GRACE_MS (the
   * clock may be injected). Closed credits waiting for settles need no tick.
   */
  private watch(): void {
    if (this.closed) return;
    let delay: number;
    if (this.core.deferredCount > 0) delay = DEFERRED_TICK_MS;
    else if (this.core.unclosedCredits === 0) return;
    // watch() runs on every batch: a tick already set is due no later than any credit (those
    // granted since are due later still), so the walk over the credits is skipped.
    else if (this.tickTimer !== null) return;
    else delay = this.creditTickDelay();
    const at = performance.now() + delay;
    if (this.tickTimer !== null) {
      if (this.tickAt <= at) return;
      clearTimeout(this.tickTimer);
    }
    this.tickAt = at;
    this.tickTimer = setTimeout(() => {
      this.tickTimer = null;
      try {
        this.core.tick();
      } catch (err) {
        // Once per failing spell, not every tick (retryDeferred already drops a batch that throws).
        if (!this.tickFailing) this.logger.error({ err: (err as Error).message }, 'state store tick failed');
        this.tickFailing = true;
        this.watch();
        return;
      }
      this.tickFailing = false;
      this.watch();
    }, delay);
    this.tickTimer.unref();
  }

  /** Milliseconds until just past the next credit's due time (expire() acts once the clock is past it), capped. */
  private creditTickDelay(): number {
    const untilDue = this.core.nextCreditDueAt - this.now() + 1;
    return Math.max(1, Math.min(CREDIT_GRACE_MS, Math.ceil(untilDue)));
  }

  private sweep(): void {
    this.core.limits.expireCredits();
    this.core.limits.sweep();
    this.core.cache.purgeExpired();
  }
}
