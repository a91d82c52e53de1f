/**
 * The worker's side of credits (packages/shared/src/state/credits.ts): slices of a scope's budget
 * the supervisor set aside for this worker, on which it admits requests without a round trip
 * until the credit expires or runs out. Then it closes the credit (reports its use) and the next
 * request of the scope asks the supervisor again, for a new credit sized to the demand it saw.
 */
import { CREDIT_TTL_MS, tighterWindow, type CreditCloseOp, type CreditGrant, type CreditSettleOp, type CreditWant, type LimitScope, type LimitWindow } from '@gatewayd/shared/state';

/** The first credit a scope asks for (requests); later ones follow the rate seen on the last. */
const FIRST_WANT = 16;
const MAX_WANT = 1 << 16;
const FIRST_SLOTS = 8;
const MAX_SLOTS = 1 << 12;
const MAX_SIZED_SCOPES = 10_000;

export interface Credit {
  id: number;
  scope: string;
  /** The scope's limits when granted: a reload that changes them retires the credit. */
  rpm: number | undefined;
  tpm: number | undefined;
  concurrency: number | undefined;
  /** What is left to admit on; null: the scope has no such limit. */
  requestsLeft: number | null;
  tokensLeft: number | null;
  slotsLeft: number | null;
  /** Admitted on it so far, tokens reserved or reconciled so far, and still in flight. */
  used: number;
  tokens: number;
  pending: number;
  peakPending: number;
  grantedAt: number;
  expiresAt: number;
  open: boolean;
  requestsWindow: LimitWindow | null;
  tokensWindow: LimitWindow | null;
}

type Sizing = { requests: number; tokensPerRequest: number; slots: number };

export class CreditTable {
  private readonly live = new Map<string, Credit>();
  /** Scopes with an ask on its way: one ask per scope at a time. */
  private readonly asking = new Set<string>();
  private readonly sizing = new Map<string, Sizing>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  /** The worker is draining: no credit is asked for or kept any more. */
  private retired = false;

  /** `emit` queues an op for the supervisor (the next state batch). */
  constructor(private readonly emit: (op: CreditCloseOp | CreditSettleOp) => void) {}

  /** A live credit of `scope` that can admit one more request reserving `reserve` tokens; else null (and an unusable one is closed). */
  usable(scope: LimitScope, reserve: number, now: number): Credit | null {
    const credit = this.live.get(scope.id);
    if (!credit) return null;
    const fits =
      now < credit.expiresAt &&
      credit.rpm === scope.rpm &&
      credit.tpm === scope.tpm &&
      credit.concurrency === scope.concurrency &&
      (credit.requestsLeft === null || credit.requestsLeft >= 1) &&
      (credit.tokensLeft === null || credit.tokensLeft >= reserve) &&
      (credit.slotsLeft === null || credit.slotsLeft >= 1);
    if (fits) return credit;
    this.close(credit, now);
    return null;
  }

  take(credit: Credit, reserve: number): void {
    if (credit.requestsLeft !== null) credit.requestsLeft--;
    if (credit.tokensLeft !== null) credit.tokensLeft -= reserve;
    if (credit.slotsLeft !== null) credit.slotsLeft--;
    credit.used++;
    credit.tokens += reserve;
    if (++credit.pending > credit.peakPending) credit.peakPending = credit.pending;
  }

  /** A request admitted on `credit` ended (or was never served): its tokens become `actual`. */
  settle(credit: Credit, reserve: number, actual: number): void {
    credit.pending--;
    if (!credit.open) {
      this.emit({ op: 'credit-settle', id: credit.id, tokens: actual - reserve });
      return;
    }
    credit.tokens += actual - reserve;
    if (credit.tokensLeft !== null) credit.tokensLeft += reserve - actual;
    if (credit.slotsLeft !== null) credit.slotsLeft++;
  }

  /** Undoes take() for a request whose admission failed elsewhere: as if it never was. */
  untake(credit: Credit, reserve: number): void {
    credit.used--;
    credit.pending--;
    credit.tokens -= reserve;
    if (!credit.open) {
      // Closed meanwhile with this request counted: the store takes it back, request and tokens.
      this.emit({ op: 'credit-settle', id: credit.id, tokens: -reserve, unused: true });
      return;
    }
    if (credit.requestsLeft !== null) credit.requestsLeft++;
    if (credit.tokensLeft !== null) credit.tokensLeft += reserve;
    if (credit.slotsLeft !== null) credit.slotsLeft++;
  }

  /** What to ask for `scope` along with a request that goes to the supervisor; null: already asked. */
  want(scope: LimitScope, reserve: number): CreditWant | null {
    if (this.retired || this.asking.has(scope.id) || this.live.has(scope.id)) return null;
    this.asking.add(scope.id);
    const sizing = this.sizing.get(scope.id) ?? { requests: FIRST_WANT, tokensPerRequest: 0, slots: FIRST_SLOTS };
    const perRequest = Math.max(1, reserve, sizing.tokensPerRequest);
    return { scope: scope.id, requests: sizing.requests, tokens: sizing.requests * perRequest, slots: sizing.slots };
  }

  /** The ask for `scopeId` was answered (granted or not) or given up. */
  answered(scopeId: string): void {
    this.asking.delete(scopeId);
  }

  /**
   * `sentAt`: when the batch that asked left this worker. The credit runs from then, not from
   * its arrival, so this worker stops using it before the date the store put on its entries.
   */
  install(grant: CreditGrant, scope: LimitScope | undefined, sentAt: number): void {
    if (this.retired) {
      this.refuse(grant); // asked for before the drain began
      return;
    }
    const now = performance.now();
    const previous = this.live.get(grant.scope);
    if (previous) this.close(previous, now);
    const credit: Credit = {
      id: grant.id,
      scope: grant.scope,
      rpm: scope?.rpm,
      tpm: scope?.tpm,
      concurrency: scope?.concurrency,
      requestsLeft: grant.requests,
      tokensLeft: grant.tokens,
      slotsLeft: grant.slots,
      used: 0,
      tokens: 0,
      pending: 0,
      peakPending: 0,
      grantedAt: sentAt,
      expiresAt: sentAt + Math.min(grant.ttlMs, CREDIT_TTL_MS),
      open: true,
      requestsWindow: grant.requestsWindow,
      tokensWindow: grant.tokensWindow,
    };
    if (credit.expiresAt <= now) {
      // Arrived too late to be of use: back at once.
      this.live.set(grant.scope, credit);
      this.close(credit, now);
      return;
    }
    this.live.set(grant.scope, credit);
    this.armTimer(credit.expiresAt, now);
  }

  /** A grant this worker will not use (its admit was given up on): returned unused at once. */
  refuse(grant: CreditGrant): void {
    this.emit({ op: 'credit-close', id: grant.id, requests: 0, tokens: 0, pending: 0 });
  }

  /** Folds a local admission's figures into the headers' windows. */
  windows(credit: Credit, requests: LimitWindow | null, tokens: LimitWindow | null): { requests: LimitWindow | null; tokens: LimitWindow | null } {
    if (credit.requestsWindow) requests = tighterWindow(requests, { ...credit.requestsWindow, remaining: Math.max(0, credit.requestsWindow.remaining - credit.used) });
    if (credit.tokensWindow) tokens = tighterWindow(tokens, { ...credit.tokensWindow, remaining: Math.max(0, credit.tokensWindow.remaining - credit.tokens) });
    return { requests, tokens };
  }

  /**
   * The worker is draining: its credits go back now, not when they expire or the worker exits,
   * so the next generation's workers can be granted their budget, and none is asked for again.
   */
  retire(now: number): void {
    this.retired = true;
    this.closeAll(now);
  }

  /** Closes every live credit (the worker is leaving, or the supervisor link was lost). */
  closeAll(now: number): void {
    for (const credit of [...this.live.values()]) this.close(credit, now);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private close(credit: Credit, now: number): void {
    if (!credit.open) return;
    credit.open = false;
    if (this.live.get(credit.scope) === credit) this.live.delete(credit.scope);
    this.emit({ op: 'credit-close', id: credit.id, requests: credit.used, tokens: credit.tokens, pending: credit.pending });
    // The next credit is sized to the rate this one saw, for a whole lifetime, with headroom.
    const lifetime = Math.max(1, Math.min(now, credit.expiresAt) - credit.grantedAt);
    if (this.sizing.size >= MAX_SIZED_SCOPES) this.sizing.clear(); // scope ids come from the config, but bound it anyway
    const rate = (credit.used * CREDIT_TTL_MS) / lifetime;
    this.sizing.set(credit.scope, {
      requests: clamp(Math.ceil(rate * 2), FIRST_WANT, MAX_WANT),
      tokensPerRequest: credit.used > 0 ? Math.ceil(credit.tokens / credit.used) : 0,
      slots: clamp(credit.peakPending * 2, FIRST_SLOTS, MAX_SLOTS),
    });
  }

  /** One timer for all credits: closes the expired ones, so the supervisor gets their unused part back. */
  private armTimer(at: number, now: number): void {
    if (this.timer !== null && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, at - now) + 1);
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const credit of [...this.live.values()]) {
      if (now >= credit.expiresAt) this.close(credit, now);
      else next = Math.min(next, credit.expiresAt);
    }
    if (next !== Infinity) this.armTimer(next, now);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
