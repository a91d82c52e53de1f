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
 *
 * Credits (credits.ts): on a limit with plenty left, the supervisor grants this worker a slice of
 * the budget with an admitted request; while it lasts, the scope is admitted and settled here,
 * without any message. A request whose scopes are partly on credits asks the supervisor for the
 * rest only, and gives back what the credits gave if the supervisor refuses (all or nothing).
 */
import {
  hasLimits,
  normalizeScopes,
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
import { CreditTable, type Credit } from './credits.js';
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
  | {
      op: 'admit';
      reserve: number;
      resolve: (admission: Admission) => void;
      /** The scopes asked of the supervisor, and the credits this request already took for the others. */
      scopes: LimitScope[];
      local: Credit[] | null;
      /** Scopes whose credit was asked for with this admission. */
      asked: string[];
    }
  | { op: 'cache-get'; resolve: (value: Buffer | null) => void };

/** A request admitted (partly) on this worker's credits; `remote` is the supervisor's ticket for the rest. */
interface LocalTicket {
  credits: Credit[];
  reserve: number;
  remote: string | null;
}

/** Local tickets start with this letter; the supervisor's are digits. */
const LOCAL_TICKET_PREFIX = 'w';

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
  private readonly pending = new Map<number, { waiters: Waiter[]; timer: NodeJS.Timeout; sentAt: number }>();
  private readonly abandoned = new Map<number, Waiter[]>();
  private readonly health: HealthTracker;
  private readonly unsubscribe: () => void;
  /** Close and settle reports of credits go out with the turn's batch, like any settle. */
  private readonly credits = new CreditTable((op) => this.enqueue(op));
  private readonly localTickets = new Map<string, LocalTicket>();
  private lastLocalTicket = 0;

  constructor(private readonly options: LocalBackendOptions) {
    this.health = new HealthTracker({ backend: 'local', onError: options.onError, logger: options.logger, onChange: options.onHealthChange, supervisorLogs: options.supervisorLogs });
    this.unsubscribe = options.channel.subscribe((message) => this.onAnswer(message));
  }

  /**
   * Scopes with a usable credit are admitted here; the others (if any) go to the supervisor,
   * which may grant them credits along with its answer. All or nothing: if the supervisor
   * refuses, what the credits gave is given back.
   */
  admit(scopes: LimitScope[], reserveTokens: number): Promise<Admission> {
    if (this.closed || !hasLimits(scopes)) return Promise.resolve(unlimitedAdmission());
    const reserve = sanitizeTokens(reserveTokens);
    const now = performance.now();
    let local: Credit[] | null = null;
    let remote: LimitScope[] | null = null;
    for (const scope of normalizeScopes(scopes)) {
      if (scope.rpm === undefined && scope.tpm === undefined && scope.concurrency === undefined) continue;
      const credit = this.credits.usable(scope, reserve, now);
      if (credit) (local ??= []).push(credit);
      else (remote ??= []).push(scope);
    }
    if (local) for (const credit of local) this.credits.take(credit, reserve);
    if (remote === null) return Promise.resolve(this.localAdmission(local!, reserve, null, null, null, false));
    const wants = [];
    for (const scope of remote) {
      const want = this.credits.want(scope, reserve);
      if (want) wants.push(want);
    }
    const asked = wants.map((want) => want.scope);
    const op = wants.length > 0 ? { op: 'admit' as const, scopes: remote, reserve, credits: wants } : { op: 'admit' as const, scopes: remote, reserve };
    return new Promise((resolve) => this.enqueue(op, { op: 'admit', reserve, resolve, scopes: remote, local, asked }));
  }

  settle(ticket: string, actualTokens: number): void {
    if (!ticket) return;
    const tokens = sanitizeTokens(actualTokens);
    if (ticket.startsWith(LOCAL_TICKET_PREFIX)) {
      const record = this.localTickets.get(ticket);
      if (!record) return;
      this.localTickets.delete(ticket);
      for (const credit of record.credits) this.credits.settle(credit, record.reserve, tokens);
      if (record.remote !== null) this.settle(record.remote, tokens);
      return;
    }
    if (this.closed) return;
    this.enqueue({ op: 'settle', ticket, tokens });
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

  cacheTouch(key: string): void {
    this.enqueue({ op: 'cache-touch', key });
  }

  cacheSetBeforeSend(key: string, value: Buffer, ttlMs: number, send: () => void): void {
    if (!this.closed) this.enqueue({ op: 'cache-set', key, value: value.toString('base64'), ttlMs });
    this.sendAfterQueued(send);
  }

  sendAfterQueued(send: () => void): void {
    if (this.closed || this.ops.length === 0) sendAtTurnEnd(send);
    else this.afterFlush.push(send);
  }

  retire(): void {
    if (!this.closed) this.credits.retire(performance.now());
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  status(): HealthStatus {
    return this.health.status();
  }

  /** Returns the credits, sends what is queued (settles of finished requests), then fails whatever still waits. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.credits.closeAll(performance.now());
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
    if (this.closed) return;
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
      // Credits in the answer run from here: before the store granted them, so before their entries' date.
      this.pending.set(id, { waiters, timer, sentAt: performance.now() });
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
      batch.waiters.forEach((waiter, i) => this.resolve(waiter, message.results[i], batch.sentAt));
      // The map's old hash tables may still point at this batch until a full GC: not at its requests.
      batch.waiters = [];
      return;
    }
    const late = this.abandoned.get(message.id);
    if (!late) {
      this.forgottenAnswer(message);
      return;
    }
    this.abandoned.delete(message.id);
    this.health.up();
    // These requests were already answered by the on_error policy: give back what was granted.
    // Admitted (open): its estimate stays counted; rejected (closed): nothing stays counted.
    late.forEach((waiter, i) => {
      if (waiter.op === 'admit') this.giveBack(message.results[i], this.options.onError === 'open' ? waiter.reserve : 0);
    });
  }

  /**
   * The answer of a batch given up on so long ago that it was forgotten (MAX_ABANDONED): its
   * requests were answered by the on_error policy and their estimates are unknown now, so what it
   * granted is freed with 0 tokens (a slot must not stay taken for the worker's life).
   */
  private forgottenAnswer(message: StateBatchResultMessage): void {
    if (message.id >= this.nextId) return; // not one of ours
    this.health.up();
    for (const result of message.results) this.giveBack(result, 0);
  }

  /** A late admit result, its request long answered by the on_error policy: its slot settled at `tokens`, its credits refused. */
  private giveBack(result: StateResult | undefined, tokens: number): void {
    if (!isAdmitResult(result)) return;
    if (result.ok && result.ticket) this.settle(result.ticket, tokens);
    if (result.credits) for (const grant of result.credits) this.credits.refuse(grant);
  }

  /**
   * Timers run before the turn's I/O is read: when the event loop was busy past the timeout (a
   * burst of large bodies), the answer may be waiting in the channel already. It is read first
   * (setImmediate runs after the poll phase), so only a supervisor that really did not answer
   * counts as down.
   */
  private onTimeout(id: number): void {
    if (this.pending.has(id)) setImmediate(() => this.expire(id));
  }

  private expire(id: number): void {
    const batch = this.pending.get(id);
    if (!batch) return;
    this.pending.delete(id);
    this.health.down(`the supervisor did not answer a state batch within ${this.options.timeoutMs} ms`);
    this.fail(batch.waiters);
    this.abandoned.set(id, batch.waiters);
    if (this.abandoned.size > MAX_ABANDONED) this.abandoned.delete(this.abandoned.keys().next().value!);
  }

  private resolve(waiter: Waiter, result: StateResult | undefined, sentAt: number): void {
    if (waiter.op !== 'admit') {
      waiter.resolve(typeof result === 'string' ? Buffer.from(result, 'base64') : null);
      return;
    }
    if (!isAdmitResult(result)) {
      this.failAdmit(waiter);
      return;
    }
    for (const scope of waiter.asked) this.credits.answered(scope);
    const { ok, ticket, retryAfterMs, violated, requests, tokens, credits } = result;
    if (credits) for (const grant of credits) this.credits.install(grant, waiter.scopes.find((scope) => scope.id === grant.scope), sentAt);
    if (waiter.local === null) {
      waiter.resolve({ ok, ticket, retryAfterMs, violated, requests, tokens, degraded: false });
    } else if (!ok) {
      for (const credit of waiter.local) this.credits.untake(credit, waiter.reserve);
      waiter.resolve({ ok, ticket, retryAfterMs, violated, requests, tokens, degraded: false });
    } else {
      waiter.resolve(this.localAdmission(waiter.local, waiter.reserve, ticket, requests, tokens, false));
    }
  }

  private fail(waiters: readonly Waiter[]): void {
    for (const waiter of waiters) {
      if (waiter.op === 'admit') this.failAdmit(waiter);
      else waiter.resolve(null);
    }
  }

  /** The supervisor did not answer: state.on_error decides; what the credits admitted stays counted when open. */
  private failAdmit(waiter: Extract<Waiter, { op: 'admit' }>): void {
    for (const scope of waiter.asked) this.credits.answered(scope);
    if (waiter.local === null) {
      waiter.resolve(this.failedAdmission());
    } else if (this.options.onError === 'open') {
      waiter.resolve(this.localAdmission(waiter.local, waiter.reserve, null, null, null, true));
    } else {
      for (const credit of waiter.local) this.credits.untake(credit, waiter.reserve);
      waiter.resolve(unavailableAdmission());
    }
  }

  private localAdmission(credits: Credit[], reserve: number, remote: string | null, requests: Admission['requests'], tokens: Admission['tokens'], degraded: boolean): Admission {
    const ticket = LOCAL_TICKET_PREFIX + String(++this.lastLocalTicket);
    this.localTickets.set(ticket, { credits, reserve, remote });
    let windows = { requests, tokens };
    for (const credit of credits) windows = this.credits.windows(credit, windows.requests, windows.tokens);
    return { ok: true, ticket, retryAfterMs: 0, violated: null, requests: windows.requests, tokens: windows.tokens, degraded };
  }

  private failedAdmission(): Admission {
    return this.options.onError === 'open' ? unlimitedAdmission(true) : unavailableAdmission();
  }
}

function isAdmitResult(value: StateResult | undefined): value is AdmitResult {
  return typeof value === 'object' && value !== null && typeof value.ok === 'boolean';
}
