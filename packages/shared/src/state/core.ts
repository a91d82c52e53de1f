/**
 * The state of backend `local` in one object: the limit store and the response cache, and the
 * function that applies a worker's batch to them. The supervisor holds the one instance shared
 * by all workers; a worker without a supervisor (and a test standing in for one) can hold its own.
 */
import { CREDIT_TTL_MS } from './credits.js';
import { LimitStore } from './limiter.js';
import { LruTtlCache } from './lru-cache.js';
import type { AdmitOp, AdmitResult, StateBatchMessage, StateBatchResultMessage, StateResult } from './messages.js';
import type { Admission } from './types.js';

/**
 * A deferred admission is decided at the latest this long after its batch arrived, whatever the
 * credits do: well below the worker's 1 s batch timeout, above a credit's lifetime (the longest
 * a worker keeps using one granted just before) with room for its close to arrive.
 */
export const DEFER_MAX_MS = CREDIT_TTL_MS + 150;

/** A batch whose answer waits for admissions deferred until other workers' credits close. */
interface DeferredBatch {
  owner: number;
  id: number;
  since: number;
  results: StateResult[];
  waiting: Array<{ index: number; op: AdmitOp }>;
  reply: (answer: StateBatchResultMessage) => void;
}

export interface StateCoreOptions {
  /** cache.max_entries */
  maxEntries: number;
  /** cache.max_bytes: the stored entries' bytes (base64, as they travel). Default: no limit. */
  maxBytes?: number;
  now?: () => number;
}

export class StateCore {
  readonly limits: LimitStore;
  /**
   * Values travel over IPC as base64 and are kept as those bytes, off the JS heap: as strings,
   * every stored answer was copied by the young-generation GC before it was promoted (with 10k
   * entries turning over, ~30 % of the supervisor's GC time), and a large cache counted against
   * V8's heap limit.
   */
  readonly cache: LruTtlCache<Buffer>;
  private readonly now: () => number;
  private deferred: DeferredBatch[] = [];

  constructor(options: StateCoreOptions) {
    this.now = options.now ?? (() => performance.now());
    this.limits = new LimitStore(this.now);
    this.cache = new LruTtlCache<Buffer>({ maxEntries: options.maxEntries, maxBytes: options.maxBytes ?? Infinity, sizeOf: (value) => value.length, now: this.now });
  }

  /** Credits open or overdue; the owner of the core calls tick() while > 0, to decide them on time. */
  get unclosedCredits(): number {
    return this.limits.unclosedCredits;
  }

  /** When tick() next has credit work due, on this core's clock; Infinity: none. */
  get nextCreditDueAt(): number {
    return this.limits.nextCreditDueAt();
  }

  /** Batches whose answer is held for a deferred admission; the owner of the core calls tick() while > 0. */
  get deferredCount(): number {
    return this.deferred.length;
  }

  /**
   * Applies every op in order; the answer (null when no op expects one) goes back to `owner`.
   * With `lateReply`, an admission that another worker's open credit may still allow is
   * deferred: applyBatch returns null and the whole answer goes to `lateReply` once decided.
   */
  applyBatch(owner: number, message: StateBatchMessage, lateReply?: (answer: StateBatchResultMessage) => void): StateBatchResultMessage | null {
    const results: StateResult[] = [];
    const waiting: DeferredBatch['waiting'] = [];
    let wantCredits: Array<{ index: number; op: AdmitOp }> | null = null;
    let freed = false;
    for (const op of message.ops) {
      switch (op.op) {
        case 'admit': {
          const admission = lateReply ? this.limits.admit(op.scopes, op.reserve, owner, true) : this.limits.admit(op.scopes, op.reserve, owner);
          if (admission === null) {
            waiting.push({ index: results.length, op });
            results.push(null);
          } else {
            if (admission.ok && Array.isArray(op.credits) && op.credits.length > 0) (wantCredits ??= []).push({ index: results.length, op });
            results.push(admitResult(admission));
          }
          break;
        }
        case 'credit-close':
          if (this.limits.closeCredit(owner, op.id, op.requests, op.tokens, op.pending)) freed = true;
          break;
        case 'credit-settle':
          this.limits.settleCredit(owner, op.id, op.tokens, op.unused === true);
          break;
        case 'settle':
          this.limits.settle(op.ticket, op.tokens);
          break;
        case 'cache-get':
          results.push(this.cache.get(op.key)?.toString('latin1') ?? null);
          break;
        case 'cache-set':
          this.cache.set(op.key, offHeap(op.value), op.ttlMs);
          break;
        case 'cache-touch':
          this.cache.get(op.key);
          break;
      }
    }
    if (waiting.length > 0) {
      // No credits in an answer that will be late: the worker would get them with part of their lifetime gone.
      this.deferred.push({ owner, id: message.id, since: this.now(), results, waiting, reply: lateReply! });
    } else if (wantCredits !== null) {
      for (const { index, op } of wantCredits) {
        const credits = this.limits.grantCredits(op.scopes, op.credits!, op.reserve, owner);
        if (credits.length > 0) (results[index] as AdmitResult).credits = credits;
      }
    }
    if (freed && this.deferred.length > 0) this.retryDeferred(false);
    if (waiting.length > 0) return null;
    return results.length > 0 ? { type: 'state-batch-result', id: message.id, results } : null;
  }

  /** Housekeeping while batches are deferred: forfeits overdue credits, decides overdue admissions. */
  tick(): void {
    this.limits.expireCredits();
    if (this.deferred.length > 0) this.retryDeferred(true);
  }

  /** The owner is gone: its credits are forfeited, and nobody waits for its answers any more. */
  releaseOwner(owner: number): number {
    const released = this.limits.releaseOwner(owner);
    this.deferred = this.deferred.filter((batch) => batch.owner !== owner);
    if (this.deferred.length > 0) this.retryDeferred(false);
    return released;
  }

  /**
   * Asks the deferred admissions again, oldest batch first; with `checkAge`, those deferred for
   * DEFER_MAX_MS are decided whatever. A batch that throws (a malformed op that passed the
   * first time) is dropped, so it cannot stall the others: its worker's timeout answers it.
   */
  private retryDeferred(checkAge: boolean): void {
    const now = this.now();
    const still: DeferredBatch[] = [];
    try {
      for (const batch of this.deferred) {
        try {
          const force = checkAge && now - batch.since >= DEFER_MAX_MS;
          batch.waiting = batch.waiting.filter(({ index, op }) => {
            const admission = force ? this.limits.admit(op.scopes, op.reserve, batch.owner) : this.limits.admit(op.scopes, op.reserve, batch.owner, true);
            if (admission === null) return true;
            batch.results[index] = admitResult(admission);
            return false;
          });
          if (batch.waiting.length > 0) still.push(batch);
          else batch.reply({ type: 'state-batch-result', id: batch.id, results: batch.results });
        } catch {
          // dropped: see above
        }
      }
    } finally {
      this.deferred = still;
    }
  }
}

function admitResult(admission: Admission): AdmitResult {
  const { ok, ticket, retryAfterMs, violated, requests, tokens } = admission;
  return { ok, ticket, retryAfterMs, violated, requests, tokens };
}

/** A base64 string (ASCII) as bytes of their own: allocUnsafeSlow, as a pooled slice would pin its whole 8 KiB slab. */
function offHeap(value: string): Buffer {
  const bytes = Buffer.allocUnsafeSlow(value.length);
  bytes.write(value, 'latin1');
  return bytes;
}
