/**
 * Backend `local`, worker side: a client of the supervisor's store (packages/supervisor/src/state).
 *
 * Hot path: every admit/settle/cache op of one event-loop turn goes out in ONE `state-batch`
 * message, flushed by setImmediate (after the poll phase, so all the requests that arrived in
 * this turn share it), and comes back in ONE answer. A cache write must reach the supervisor
 * before its answer reaches the caller (read-your-writes across workers): a complete answer is
 * held back to the flush and sent right after it (cacheSetBeforeSend), so a turn's writes still
 * share one message; a stream's write goes at once (cacheSet: its answer is already out but for
 * the last corked bytes). A complete answer to a limited request is likewise held back to the
 * flush that carries its settle (sendAfterQueued), so its concurrency slot is free and its tokens
 * reconciled before the caller can send the next request. A batch that is not answered within
 * `timeoutMs` is given up on: its admits follow state.on_error, its cache reads miss. If its
 * answer arrives later, slots it was granted are freed at once (settled), so nothing leaks.
 */
import {
  hasLimits,
  sanitizeTokens,
  unavailableAdmission,
  unlimitedAdmission,
  type Admission,
  type AdmitResult,
  type LimitScope,
  type StateBatchResultMessage,
  type StateOp,
  type StateResult,
} from '@gatewayd/shared/state';
import { sendAll, sendAtTurnEnd } from '../http/turn-end.js';
import type { Logger } from '../log.js';
import type { StateChannel } from './channel.js';
import { HealthTracker, type HealthChange, type HealthStatus } from './health.js';
import type { StateBackend } from './types.js';

export interface LocalBackendOptions {
  channel: StateChannel;
  onError: 'open' | 'closed';
  logger: Logger;
  timeoutMs: number;
  onHealthChange?: HealthChange;
  /** See HealthTrackerOptions.supervisorLogs. */
  supervisorLogs?: boolean;
}

type Waiter =
  | { op: 'admit'; reserve: number; resolve: (admission: Admission) => void }
  | { op: 'cache-get'; resolve: (value: Buffer | null) => void };

/** Given-up batches remembered for their late answer; beyond this the oldest are forgotten. */
const MAX_ABANDONED = 1_000;

export class LocalStateBackend implements StateBackend {
  readonly kind = 'local' as const;
  private ops: StateOp[] = [];
  private waiters: Waiter[] = [];
  /** Answers held back until the batch holding their settle or cache write is sent. */
  private afterFlush: Array<() => void> = [];
  private scheduled = false;
  private nextId = 1;
  private closed = false;
  private readonly pending = new Map<number, { waiters: Waiter[]; timer: NodeJS.Timeout }>();
  private readonly abandoned = new Map<number, Waiter[]>();
  private readonly health: HealthTracker;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: LocalBackendOptions) {
    this.health = new HealthTracker({ backend: 'local', onError: options.onError, logger: options.logger, onChange: options.onHealthChange, supervisorLogs: options.supervisorLogs });
    this.unsubscribe = options.channel.subscribe((message) => this.onAnswer(message));
  }

  admit(scopes: LimitScope[], reserveTokens: number): Promise<Admission> {
    if (this.closed || !hasLimits(scopes)) return Promise.resolve(unlimitedAdmission());
    const reserve = sanitizeTokens(reserveTokens);
    return new Promise((resolve) => this.enqueue({ op: 'admit', scopes, reserve }, { op: 'admit', reserve, resolve }));
  }

  settle(ticket: string, actualTokens: number): void {
    if (this.closed || !ticket) return;
    this.enqueue({ op: 'settle', ticket, tokens: sanitizeTokens(actualTokens) });
  }

  cacheGet(key: string): Promise<Buffer | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.enqueue({ op: 'cache-get', key }, { op: 'cache-get', resolve }));
  }

  cacheSet(key: string, value: Buffer, ttlMs: number): void {
    if (this.closed) return;
    this.enqueue({ op: 'cache-set', key, value: value.toString('base64'), ttlMs });
    // Sent now, not at the end of the turn: the store is called while the answer is still corked,
    // so the entry reaches the supervisor before the caller has the answer, and the caller's next
    // identical request (on any worker) finds it: read-your-writes.
    this.flush();
  }

  cacheSetBeforeSend(key: string, value: Buffer, ttlMs: number, send: () => void): void {
    if (!this.closed) this.enqueue({ op: 'cache-set', key, value: value.toString('base64'), ttlMs });
    this.sendAfterQueued(send);
  }

  sendAfterQueued(send: () => void): void {
    if (this.closed || this.ops.length === 0) sendAtTurnEnd(send);
    else this.afterFlush.push(send);
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  status(): HealthStatus {
    return this.health.status();
  }

  /** Sends what is queued (settles of finished requests), then fails whatever still waits. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.unsubscribe();
    for (const [id, batch] of this.pending) {
      clearTimeout(batch.timer);
      this.pending.delete(id);
      this.fail(batch.waiters);
    }
  }

  private enqueue(op: StateOp, waiter?: Waiter): void {
    this.ops.push(op);
    if (waiter) this.waiters.push(waiter);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (this.ops.length === 0) return;
    const id = this.nextId++;
    const ops = this.ops;
    const waiters = this.waiters;
    const sends = this.afterFlush;
    this.ops = [];
    this.waiters = [];
    if (sends.length > 0) this.afterFlush = [];
    if (waiters.length > 0) {
      const timer = setTimeout(() => this.onTimeout(id), this.options.timeoutMs);
      this.pending.set(id, { waiters, timer });
    }
    try {
      this.options.channel.send({ type: 'state-batch', id, ops });
    } finally {
      // The held-back answers go out whatever happened to the batch: a lost write only costs a miss.
      sendAll(sends);
    }
  }

  private onAnswer(message: StateBatchResultMessage): void {
    const batch = this.pending.get(message.id);
    if (batch) {
      clearTimeout(batch.timer);
      this.pending.delete(message.id);
      this.health.up();
      batch.waiters.forEach((waiter, i) => this.resolve(waiter, message.results[i]));
      return;
    }
    const late = this.abandoned.get(message.id);
    if (!late) return;
    this.abandoned.delete(message.id);
    this.health.up();
    // These requests were already answered by the on_error policy: give back what was granted.
    // Admitted (open): its estimate stays counted; rejected (closed): nothing stays counted.
    late.forEach((waiter, i) => {
      const result = message.results[i];
      if (waiter.op === 'admit' && isAdmitResult(result) && result.ok && result.ticket) {
        this.settle(result.ticket, this.options.onError === 'open' ? waiter.reserve : 0);
      }
    });
  }

  private onTimeout(id: number): void {
    const batch = this.pending.get(id);
    if (!batch) return;
    this.pending.delete(id);
    this.health.down(`the supervisor did not answer a state batch within ${this.options.timeoutMs} ms`);
    this.fail(batch.waiters);
    this.abandoned.set(id, batch.waiters);
    if (this.abandoned.size > MAX_ABANDONED) this.abandoned.delete(this.abandoned.keys().next().value!);
  }

  private resolve(waiter: Waiter, result: StateResult | undefined): void {
    if (waiter.op === 'admit') {
      waiter.resolve(isAdmitResult(result) ? { ...result, degraded: false } : this.failedAdmission());
    } else {
      waiter.resolve(typeof result === 'string' ? Buffer.from(result, 'base64') : null);
    }
  }

  private fail(waiters: readonly Waiter[]): void {
    for (const waiter of waiters) {
      if (waiter.op === 'admit') waiter.resolve(this.failedAdmission());
      else waiter.resolve(null);
    }
  }

  private failedAdmission(): Admission {
    return this.options.onError === 'open' ? unlimitedAdmission(true) : unavailableAdmission();
  }
}

function isAdmitResult(value: StateResult | undefined): value is AdmitResult {
  return typeof value === 'object' && value !== null && typeof value.ok === 'boolean';
}
