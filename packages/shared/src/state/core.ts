/**
 * The state of backend `local` in one object: the limit store and the response cache, and the
 * function that applies a worker's batch to them. The supervisor holds the one instance shared
 * by all workers; a worker without a supervisor (and a test standing in for one) can hold its own.
 */
import { LimitStore } from './limiter.js';
import { LruTtlCache } from './lru-cache.js';
import type { StateBatchMessage, StateBatchResultMessage, StateResult } from './messages.js';

export interface StateCoreOptions {
  /** cache.max_entries */
  maxEntries: number;
  now?: () => number;
}

export class StateCore {
  readonly limits: LimitStore;
  /** Values are base64, as they travel over IPC: stored and returned without re-encoding. */
  readonly cache: LruTtlCache<string>;

  constructor(options: StateCoreOptions) {
    const now = options.now ?? (() => performance.now());
    this.limits = new LimitStore(now);
    this.cache = new LruTtlCache<string>(options.maxEntries, now);
  }

  /** Applies every op in order; the answer (null when no op expects one) goes back to `owner`. */
  applyBatch(owner: number, message: StateBatchMessage): StateBatchResultMessage | null {
    const results: StateResult[] = [];
    for (const op of message.ops) {
      switch (op.op) {
        case 'admit': {
          const { ok, ticket, retryAfterMs, violated, requests, tokens } = this.limits.admit(op.scopes, op.reserve, owner);
          results.push({ ok, ticket, retryAfterMs, violated, requests, tokens });
          break;
        }
        case 'settle':
          this.limits.settle(op.ticket, op.tokens);
          break;
        case 'cache-get':
          results.push(this.cache.get(op.key) ?? null);
          break;
        case 'cache-set':
          this.cache.set(op.key, op.value, op.ttlMs);
          break;
      }
    }
    return results.length > 0 ? { type: 'state-batch-result', id: message.id, results } : null;
  }
}
