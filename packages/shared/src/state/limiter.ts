/**
 * The exact, in-memory limit store behind backend `local` (owned by the supervisor, one for all
 * workers) and the in-process fallback. Pure: the clock is injected, nothing is scheduled.
 *
 * admit() is atomic over all the scopes of a request: it checks every limit first and reserves
 * in all of them only when none is violated, so a rejected request costs nothing anywhere.
 */
import { CreditLedger, type CreditScopeState } from './credits.js';
import type { CreditGrant, CreditWant } from './messages.js';
import { SlidingLog } from './sliding-log.js';
import {
  CONCURRENCY_RETRY_MS,
  LIMIT_WINDOW_MS,
  tighterWindow,
  type Admission,
  type LimitKind,
  type LimitScope,
  type LimitViolation,
  type LimitWindow,
} from './types.js';

/** A scope's logs, its requests in flight and its open credits (the shape credits.ts works on). */
type ScopeState = CreditScopeState;

interface Ticket {
  owner: number;
  /** TPM entries reserved by this request (each `reserved` tokens), reconciled by settle(). */
  tokenEntries: Array<{ log: SlidingLog; seq: number; state: ScopeState }>;
  reserved: number;
  /** Scopes whose concurrency slot this request holds. */
  slots: ScopeState[];
}

interface Check {
  state: ScopeState;
  scope: string;
  kind: LimitKind;
  limit: number;
}

/** Merges repeated scope ids (smallest limit wins) so a limit is never checked twice per request. */
export function normalizeScopes(scopes: readonly LimitScope[]): readonly LimitScope[] {
  // The usual case (a handful of distinct ids) allocates nothing.
  let distinct = true;
  for (let i = 1; i < scopes.length && distinct; i++) for (let j = 0; j < i; j++) if (scopes[i]!.id === scopes[j]!.id) distinct = false;
  if (distinct) return scopes;
  const byId = new Map<string, LimitScope>();
  for (const scope of scopes) {
    const seen = byId.get(scope.id);
    if (!seen) {
      byId.set(scope.id, { ...scope });
      continue;
    }
    for (const kind of ['rpm', 'tpm', 'concurrency'] as const) {
      const value = scope[kind];
      if (value !== undefined) seen[kind] = seen[kind] === undefined ? value : Math.min(seen[kind], value);
    }
  }
  return [...byId.values()];
}

/**
 * More tokens than any request has (2^40): a larger figure (an absurd max_tokens) counts as this.
 * Keeps every sum the Redis scripts compute far below 1e17, where Lua would print it in exponent
 * form and HINCRBY would refuse it.
 */
export const MAX_REQUEST_TOKENS = 2 ** 40;

/** A token count from a caller: a non-negative integer up to MAX_REQUEST_TOKENS, 0 for anything else. */
export function sanitizeTokens(tokens: number): number {
  return Number.isFinite(tokens) && tokens > 0 ? Math.min(Math.ceil(tokens), MAX_REQUEST_TOKENS) : 0;
}

export class LimitStore {
  private readonly scopes = new Map<string, ScopeState>();
  private readonly tickets = new Map<string, Ticket>();
  private readonly ticketsByOwner = new Map<number, Set<string>>();
  private readonly credits: CreditLedger;
  private lastTicket = 0;
  private lastSweep: number;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly windowMs: number = LIMIT_WINDOW_MS,
  ) {
    this.lastSweep = now();
    this.credits = new CreditLedger(windowMs);
  }

  /** Live counters, for status and tests. */
  get size(): { scopes: number; tickets: number; credits: number } {
    return { scopes: this.scopes.size, tickets: this.tickets.size, credits: this.credits.size };
  }

  /** Credits open or overdue: while there are any, expireCredits() has work coming due. */
  get unclosedCredits(): number {
    return this.credits.unclosedCount;
  }

  /**
   * With `mayDefer`, a refusal that another worker's open credit on a refusing scope could turn
   * into an admission is not given: null instead, to ask again once credits close (credits.ts).
   */
  admit(scopes: readonly LimitScope[], reserveTokens: number, owner: number, mayDefer: true): Admission | null;
  admit(scopes: readonly LimitScope[], reserveTokens: number, owner: number, mayDefer?: false): Admission;
  admit(scopes: readonly LimitScope[], reserveTokens: number, owner: number, mayDefer = false): Admission | null {
    const now = this.now();
    this.maybeSweep(now);
    const reserve = sanitizeTokens(reserveTokens);
    const checks = this.checksOf(normalizeScopes(scopes), now);
    let requests: LimitWindow | null = null;
    let tokens: LimitWindow | null = null;
    let violated: LimitViolation | null = null;
    let retryAfterMs = 0;
    // Deferred only if an open credit sits on every limit that refuses: otherwise no credit can help.
    let deferrable = true;
    for (const check of checks) {
      const verdict = this.evaluate(check, reserve, now);
      if (verdict.waitMs > 0 && check.state.openCredits === 0) deferrable = false;
      if (check.kind === 'rpm') requests = tighterWindow(requests, verdict.window!);
      if (check.kind === 'tpm') tokens = tighterWindow(tokens, verdict.window!);
      // The binding limit is the one that keeps the request out longest.
      if (verdict.waitMs > 0 && verdict.waitMs > retryAfterMs) {
        retryAfterMs = verdict.waitMs;
        violated = { scope: check.scope, kind: check.kind };
      }
    }
    if (violated) return mayDefer && deferrable ? null : { ok: false, ticket: null, retryAfterMs, violated, requests, tokens, degraded: false };
    return { ...this.reserve(checks, reserve, owner, now), retryAfterMs: 0, violated: null, degraded: false };
  }

  /** Reconciles the request's TPM entries to `actualTokens` and frees its slots. Idempotent. */
  settle(ticket: string, actualTokens: number): boolean {
    const record = this.tickets.get(ticket);
    if (!record) return false;
    const tokens = sanitizeTokens(actualTokens);
    if (record.tokenEntries.length > 0) {
      const now = this.now();
      for (const { log, seq } of record.tokenEntries) log.reconcile(seq, record.reserved, tokens, now);
    }
    this.drop(ticket, record);
    return true;
  }

  /** Credits for the scopes of an admitted request that `wants` names (credits.ts); [] when none is plentiful. */
  grantCredits(scopes: readonly LimitScope[], wants: readonly CreditWant[], reserveTokens: number, owner: number): CreditGrant[] {
    const grants: CreditGrant[] = [];
    const now = this.now();
    const reserve = sanitizeTokens(reserveTokens);
    const merged = normalizeScopes(scopes);
    for (const want of wants) {
      // A worker's message: anything malformed gets no credit rather than an exception.
      if (typeof want !== 'object' || want === null || typeof want.scope !== 'string') continue;
      const scope = merged.find((s) => s.id === want.scope);
      const state = scope && this.scopes.get(scope.id);
      if (!scope || !state) continue;
      const grant = this.credits.grant(scope, state, want, reserve, owner, now);
      if (grant) grants.push(grant);
    }
    return grants;
  }

  /** See CreditLedger.close: true when it freed something (deferred admissions may now go). */
  closeCredit(owner: number, id: number, requests: number, tokens: number, pending: number): boolean {
    return this.credits.close(owner, id, requests, tokens, pending, this.now()) !== null;
  }

  settleCredit(owner: number, id: number, tokenDelta: number, unused = false): void {
    this.credits.settle(owner, id, tokenDelta, unused === true, this.now());
  }

  /** When expireCredits() next has work (see CreditLedger.nextDueAt); Infinity: none. */
  nextCreditDueAt(): number {
    return this.credits.nextDueAt();
  }

  /** Forfeits credits left open past their expiry; true when any was (deferred admissions may go). */
  expireCredits(): boolean {
    return this.credits.expire(this.now());
  }

  /** A worker died: its requests are gone, so are their concurrency slots (their rpm/tpm use stays). */
  releaseOwner(owner: number): number {
    let released = this.credits.releaseOwner(owner);
    const tickets = this.ticketsByOwner.get(owner);
    if (!tickets) return released;
    for (const ticket of [...tickets]) {
      const record = this.tickets.get(ticket);
      if (record) {
        this.drop(ticket, record);
        released++;
      }
    }
    this.ticketsByOwner.delete(owner);
    return released;
  }

  /** Forgets scopes with nothing in their windows, no request in flight and nothing left to reconcile. */
  sweep(): void {
    const now = this.now();
    this.lastSweep = now;
    for (const [id, state] of this.scopes) {
      state.rpm?.prune(now);
      state.tpm?.prune(now);
      if ((state.rpm?.count ?? 0) === 0 && (state.tpm?.count ?? 0) === 0 && state.inFlight === 0 && state.openCredits === 0 && state.holders === 0) this.scopes.delete(id);
    }
  }

  private maybeSweep(now: number): void {
    if (now - this.lastSweep >= this.windowMs) this.sweep();
  }

  private checksOf(scopes: readonly LimitScope[], now: number): Check[] {
    const checks: Check[] = [];
    for (const scope of scopes) {
      if (scope.rpm === undefined && scope.tpm === undefined && scope.concurrency === undefined) continue;
      let state = this.scopes.get(scope.id);
      if (!state) {
        state = { rpm: null, tpm: null, inFlight: 0, openCredits: 0, holders: 0 };
        this.scopes.set(scope.id, state);
      }
      if (scope.rpm !== undefined) {
        state.rpm ??= new SlidingLog(this.windowMs);
        state.rpm.prune(now);
        checks.push({ state, scope: scope.id, kind: 'rpm', limit: scope.rpm });
      }
      if (scope.tpm !== undefined) {
        state.tpm ??= new SlidingLog(this.windowMs);
        state.tpm.prune(now);
        checks.push({ state, scope: scope.id, kind: 'tpm', limit: scope.tpm });
      }
      if (scope.concurrency !== undefined) checks.push({ state, scope: scope.id, kind: 'concurrency', limit: scope.concurrency });
    }
    return checks;
  }

  /** waitMs > 0: this limit rejects the request for that long. window: its figures before reserving. */
  private evaluate(check: Check, reserve: number, now: number): { waitMs: number; window: LimitWindow | null } {
    const { state, limit } = check;
    switch (check.kind) {
      case 'rpm': {
        const log = state.rpm!;
        const window = { limit, remaining: Math.max(0, limit - log.total), resetMs: Math.ceil(log.resetMs(now)) };
        return { waitMs: log.total + 1 > limit ? Math.max(1, Math.ceil(log.waitUntilTotalAtMost(limit - 1, now))) : 0, window };
      }
      case 'tpm': {
        const log = state.tpm!;
        // A reservation larger than the whole budget goes when the window is empty, not never.
        const need = Math.min(reserve, limit);
        const window = { limit, remaining: Math.max(0, limit - log.total), resetMs: Math.ceil(log.resetMs(now)) };
        return { waitMs: log.total + need > limit ? Math.max(1, Math.ceil(log.waitUntilTotalAtMost(limit - need, now))) : 0, window };
      }
      case 'concurrency':
        return { waitMs: state.inFlight + 1 > limit ? CONCURRENCY_RETRY_MS : 0, window: null };
    }
  }

  private reserve(checks: readonly Check[], reserve: number, owner: number, now: number): Pick<Admission, 'ok' | 'ticket' | 'requests' | 'tokens'> {
    let requests: LimitWindow | null = null;
    let tokens: LimitWindow | null = null;
    const record: Ticket = { owner, tokenEntries: [], reserved: reserve, slots: [] };
    for (const { state, kind, limit } of checks) {
      if (kind === 'rpm') {
        state.rpm!.append(now, 1);
        requests = tighterWindow(requests, { limit, remaining: Math.max(0, limit - state.rpm!.total), resetMs: this.windowMs });
      } else if (kind === 'tpm') {
        record.tokenEntries.push({ log: state.tpm!, seq: state.tpm!.append(now, reserve), state });
        state.holders++;
        tokens = tighterWindow(tokens, { limit, remaining: Math.max(0, limit - state.tpm!.total), resetMs: this.windowMs });
      } else {
        state.inFlight++;
        record.slots.push(state);
      }
    }
    if (record.tokenEntries.length === 0 && record.slots.length === 0) return { ok: true, ticket: null, requests, tokens };
    const ticket = String(++this.lastTicket);
    this.tickets.set(ticket, record);
    let owned = this.ticketsByOwner.get(owner);
    if (!owned) this.ticketsByOwner.set(owner, (owned = new Set()));
    owned.add(ticket);
    return { ok: true, ticket, requests, tokens };
  }

  private drop(ticket: string, record: Ticket): void {
    for (const state of record.slots) state.inFlight--;
    for (const entry of record.tokenEntries) entry.state.holders--;
    this.tickets.delete(ticket);
    const owned = this.ticketsByOwner.get(record.owner);
    owned?.delete(ticket);
    if (owned?.size === 0) this.ticketsByOwner.delete(record.owner);
  }
}
