/**
 * Credits: a worker admits requests itself, for a short while, against a slice of a scope's
 * budget that the store set aside for it (backend `local`). Without them every limited request
 * costs a round trip to the supervisor; with them, a busy worker asks about once per credit.
 *
 * Exactness is kept, not traded:
 * - A slice is counted as used in full while its credit is open: the store never admits more
 *   than the limit, whatever the workers do with their slices. Its rpm / tpm entries are stamped
 *   at the credit's expiry, the latest time a request can use them, so a window never frees a
 *   slot before the exact minute is over (at worst a credit's lifetime after it).
 * - A slice is only granted from a plentiful budget: at most 1/CREDIT_SHARE of what is left, and
 *   never less than CREDIT_MIN_REQUESTS requests. Small limits are never credited at all.
 * - When the store would refuse a request while another worker's credit on the same scope is
 *   open, it does not refuse yet: it waits for that credit to close (its unused part returns),
 *   then decides (StateCore defers the batch's answer). So a burst gets exactly the limit.
 * - On close the worker reports what it used; the entries are reweighed to it. A worker that
 *   dies, or never closes, forfeits the whole slice: counted in full, slots freed.
 */
import type { CreditGrant, CreditWant } from './messages.js';
import type { SlidingLog } from './sliding-log.js';
import type { LimitScope, LimitWindow } from './types.js';

/** How long a worker may admit on a credit. Also the worst delay of a deferred refusal. */
export const CREDIT_TTL_MS = 250;
/** A credit the worker has not closed this long after its expiry is overdue: nobody waits for it any more. */
export const CREDIT_GRACE_MS = 250;
/**
 * An overdue credit still not closed this long after its expiry is forfeited (its slots freed):
 * its grant never reached the worker (an answer given up on), or the worker is stuck.
 */
export const CREDIT_FORFEIT_MS = 10_000;
/** A grant takes at most this share of what is left of a limit (1/8). */
export const CREDIT_SHARE = 8;
/** A slice smaller than this (requests, or requests' worth of tokens) is not worth a credit. */
export const CREDIT_MIN_REQUESTS = 4;
/** Concurrency: fewer free slots than this per grant, no credit. */
export const CREDIT_MIN_SLOTS = 2;

/** What a credit needs of a scope's state (limiter.ts owns it). */
export interface CreditScopeState {
  rpm: SlidingLog | null;
  tpm: SlidingLog | null;
  inFlight: number;
  openCredits: number;
  /**
   * Tickets and credit records that will still reconcile tokens on this state's logs: while any,
   * the state is not swept, even with empty windows (a settle must land in the live logs).
   */
  holders: number;
}

interface CreditRecord {
  id: number;
  owner: number;
  state: CreditScopeState;
  /** open: the owner may admit on it; overdue: it should have been closed, the deferred stop waiting for it. */
  phase: 'open' | 'overdue' | 'closed';
  expiresAt: number;
  rpmSeq: number;
  requests: number;
  tpmSeq: number;
  /** The tpm entry's current weight. */
  tokens: number;
  /** Concurrency slots this credit holds in the store (granted while open; then its pending requests'). */
  slots: number;
  /** Requests admitted on it that have not ended (known once it is closed). */
  pending: number;
}

export class CreditLedger {
  private readonly records = new Map<number, CreditRecord>();
  private readonly byOwner = new Map<number, Set<number>>();
  private lastId = 0;
  /** Records open or overdue: the ones expire() may still move on. */
  private unclosed = 0;

  constructor(private readonly windowMs: number) {}

  get size(): number {
    return this.records.size;
  }

  /** Credits open or overdue (closed ones waiting for their requests' settles are not: time does nothing to them). */
  get unclosedCount(): number {
    return this.unclosed;
  }

  /**
   * Sets aside a slice of `scope` for `owner`, if every limit of the scope is plentiful; the
   * request that asked was admitted already (its own share is counted). null: no credit.
   */
  grant(scope: LimitScope, state: CreditScopeState, want: CreditWant, reserve: number, owner: number, now: number): CreditGrant | null {
    let requests: number | null = null;
    let tokens: number | null = null;
    let slots: number | null = null;
    if (scope.rpm !== undefined && state.rpm) {
      requests = Math.min(integer(want.requests), Math.floor((scope.rpm - state.rpm.total) / CREDIT_SHARE));
      if (!(requests >= CREDIT_MIN_REQUESTS)) return null;
    }
    if (scope.tpm !== undefined && state.tpm) {
      tokens = Math.min(integer(want.tokens), Math.floor((scope.tpm - state.tpm.total) / CREDIT_SHARE));
      if (!(tokens >= Math.max(1, reserve) * CREDIT_MIN_REQUESTS)) return null;
    }
    if (scope.concurrency !== undefined) {
      slots = Math.min(integer(want.slots), Math.floor((scope.concurrency - state.inFlight) / CREDIT_SHARE));
      if (!(slots >= CREDIT_MIN_SLOTS)) return null;
    }
    if (requests === null && tokens === null && slots === null) return null;
    const expiresAt = now + CREDIT_TTL_MS;
    const record: CreditRecord = { id: ++this.lastId, owner, state, phase: 'open', expiresAt, rpmSeq: -1, requests: requests ?? 0, tpmSeq: -1, tokens: tokens ?? 0, slots: slots ?? 0, pending: 0 };
    state.holders++;
    let requestsWindow: LimitWindow | null = null;
    let tokensWindow: LimitWindow | null = null;
    if (requests !== null) {
      record.rpmSeq = state.rpm!.append(expiresAt, requests);
      requestsWindow = { limit: scope.rpm!, remaining: Math.max(0, scope.rpm! - state.rpm!.total + requests), resetMs: this.windowMs };
    }
    if (tokens !== null) {
      record.tpmSeq = state.tpm!.append(expiresAt, tokens);
      tokensWindow = { limit: scope.tpm!, remaining: Math.max(0, scope.tpm! - state.tpm!.total + tokens), resetMs: this.windowMs };
    }
    state.inFlight += record.slots;
    state.openCredits++;
    this.unclosed++;
    this.records.set(record.id, record);
    let owned = this.byOwner.get(owner);
    if (!owned) this.byOwner.set(owner, (owned = new Set()));
    owned.add(record.id);
    return { id: record.id, scope: scope.id, requests, tokens, slots, ttlMs: CREDIT_TTL_MS, requestsWindow, tokensWindow };
  }

  /** The owner stops using credit `id` and reports its use. Returns the scope state it freed, if any. */
  close(owner: number, id: number, requests: number, tokens: number, pending: number, now: number): CreditScopeState | null {
    const record = this.records.get(id);
    if (!record || record.owner !== owner || record.phase === 'closed') return null;
    // The worker cannot have admitted more requests than the slice; tokens may exceed it (the
    // reconciled usage of a request is what the upstream reported).
    record.requests = Math.min(integer(requests), record.requests);
    if (record.rpmSeq !== -1) record.state.rpm!.reweigh(record.rpmSeq, record.requests);
    if (record.tpmSeq !== -1) this.reweighTokens(record, integer(tokens), now);
    record.pending = integer(pending);
    const held = Math.min(record.pending, record.slots);
    record.state.inFlight -= record.slots - held;
    record.slots = held;
    this.markClosed(record);
    if (record.pending === 0) this.forget(record);
    return record.state;
  }

  /**
   * A request admitted on closed credit `id` ended: its reservation becomes the actual tokens.
   * `unused`: it never ran (its admission was undone), so it leaves the rpm count too.
   */
  settle(owner: number, id: number, tokenDelta: number, unused: boolean, now: number): void {
    const record = this.records.get(id);
    if (!record || record.owner !== owner || record.phase !== 'closed') return;
    if (record.tpmSeq !== -1 && Number.isFinite(tokenDelta)) this.reweighTokens(record, Math.min(Math.max(0, record.tokens + Math.trunc(tokenDelta)), MAX_REPORTED), now);
    if (unused && record.rpmSeq !== -1 && record.requests > 0) record.state.rpm!.reweigh(record.rpmSeq, --record.requests);
    if (record.slots > 0) {
      record.slots--;
      record.state.inFlight--;
    }
    if (--record.pending <= 0) this.forget(record);
  }

  /** The owner is gone: its open slices stay counted in full, every slot it held is freed. */
  releaseOwner(owner: number): number {
    const owned = this.byOwner.get(owner);
    if (!owned) return 0;
    let released = 0;
    for (const id of [...owned]) {
      const record = this.records.get(id)!;
      released += record.slots;
      this.forfeit(record);
    }
    return released;
  }

  /**
   * When expire() next has something to do: the earliest moment an open credit becomes overdue
   * or an overdue one is forfeited (expire() acts once `now` is past it). Infinity: nothing is due.
   */
  nextDueAt(): number {
    let due = Infinity;
    if (this.unclosed === 0) return due;
    for (const record of this.records.values()) {
      if (record.phase === 'open') due = Math.min(due, record.expiresAt + CREDIT_GRACE_MS);
      else if (record.phase === 'overdue') due = Math.min(due, record.expiresAt + CREDIT_FORFEIT_MS);
    }
    return due;
  }

  /**
   * Credits still open past expiry + grace become overdue: deferred admissions stop waiting for
   * them and are decided with their whole slice counted. Their slots stay held (the owner may be
   * alive and busy, its requests in flight) until it closes them, is gone, or CREDIT_FORFEIT_MS.
   */
  expire(now: number): boolean {
    let any = false;
    for (const record of this.records.values()) {
      if (record.phase === 'open' && now > record.expiresAt + CREDIT_GRACE_MS) {
        this.leaveOpen(record);
        record.phase = 'overdue';
        any = true;
      } else if (record.phase === 'overdue' && now > record.expiresAt + CREDIT_FORFEIT_MS) {
        this.forfeit(record);
        any = true;
      }
    }
    return any;
  }

  private forfeit(record: CreditRecord): void {
    record.state.inFlight -= record.slots;
    record.slots = 0;
    this.markClosed(record);
    this.forget(record);
  }

  private reweighTokens(record: CreditRecord, tokens: number, now: number): void {
    const previous = record.tokens;
    record.tokens = tokens;
    record.state.tpm!.reconcile(record.tpmSeq, previous, tokens, now);
  }

  private leaveOpen(record: CreditRecord): void {
    if (record.phase === 'open') record.state.openCredits--;
  }

  private markClosed(record: CreditRecord): void {
    if (record.phase === 'closed') return;
    this.leaveOpen(record);
    record.phase = 'closed';
    this.unclosed--;
  }

  private forget(record: CreditRecord): void {
    if (this.records.delete(record.id)) record.state.holders--;
    const owned = this.byOwner.get(record.owner);
    owned?.delete(record.id);
    if (owned?.size === 0) this.byOwner.delete(record.owner);
  }
}

/** Larger than any count a worker reports (2^40 tokens, as MAX_REQUEST_TOKENS): a bogus figure cannot block a scope for ever. */
const MAX_REPORTED = 2 ** 40;

/** A non-negative integer from a worker's report (anything else counts as 0), capped at MAX_REPORTED. */
function integer(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.min(Math.floor(value), MAX_REPORTED) : 0;
}
