/**
 * The client half of the admit script (redis-scripts.ts ADMIT_LUA): which keys and arguments a
 * request's scopes become, and how the integer reply becomes an Admission.
 */
import { CONCURRENCY_RETRY_MS, tighterWindow, type Admission, type LimitKind, type LimitScope, type LimitWindow } from '@gatewayd/shared/state';
import type { RedisKeys } from './redis-keys.js';

export interface AdmitCheck {
  scope: string;
  kind: LimitKind;
  limit: number;
}

/** What settle() needs: the ticket's tpm hashes (to reconcile) and concurrency zsets (to free). */
export interface RedisTicket {
  tpmHashes: string[];
  slots: string[];
}

export interface AdmitPlan {
  checks: AdmitCheck[];
  /** rpm: its zset; tpm: its zset then its hash; concurrency: its zset. */
  keys: string[];
  /** Per check: kind code ('r' | 't' | 'c') and limit. */
  pairs: Array<string | number>;
  ticket: RedisTicket;
}

/** `scopes` must be normalized (one entry per id). Checks run in scope order, rpm/tpm/concurrency. */
export function planAdmit(scopes: readonly LimitScope[], keys: RedisKeys): AdmitPlan {
  const plan: AdmitPlan = { checks: [], keys: [], pairs: [], ticket: { tpmHashes: [], slots: [] } };
  for (const scope of scopes) {
    if (scope.rpm !== undefined) {
      plan.checks.push({ scope: scope.id, kind: 'rpm', limit: scope.rpm });
      plan.keys.push(keys.rpm(scope.id));
      plan.pairs.push('r', scope.rpm);
    }
    if (scope.tpm !== undefined) {
      plan.checks.push({ scope: scope.id, kind: 'tpm', limit: scope.tpm });
      plan.keys.push(keys.tpm(scope.id), keys.tpmWeights(scope.id));
      plan.ticket.tpmHashes.push(keys.tpmWeights(scope.id));
      plan.pairs.push('t', scope.tpm);
    }
    if (scope.concurrency !== undefined) {
      plan.checks.push({ scope: scope.id, kind: 'concurrency', limit: scope.concurrency });
      plan.keys.push(keys.concurrency(scope.id));
      plan.ticket.slots.push(keys.concurrency(scope.id));
      plan.pairs.push('c', scope.concurrency);
    }
  }
  return plan;
}

/**
 * Reply: { ok, binding check (1-based, 0 none), retry ms, then per check: remaining, reset ms }.
 * The ticket is the request's member id when it reserved anything that settle() must undo.
 */
export function admissionOf(reply: readonly number[], checks: readonly AdmitCheck[], member: string, ticket: RedisTicket): Admission {
  let requests: LimitWindow | null = null;
  let tokens: LimitWindow | null = null;
  checks.forEach((check, i) => {
    if (check.kind === 'concurrency') return;
    const window = { limit: check.limit, remaining: reply[3 + 2 * i] ?? 0, resetMs: reply[4 + 2 * i] ?? 0 };
    if (check.kind === 'rpm') requests = tighterWindow(requests, window);
    else tokens = tighterWindow(tokens, window);
  });
  if (reply[0] !== 1) {
    const check = checks[(reply[1] ?? 0) - 1];
    const violated = check ? { scope: check.scope, kind: check.kind } : null;
    return { ok: false, ticket: null, retryAfterMs: reply[2] || CONCURRENCY_RETRY_MS, violated, requests, tokens, degraded: false };
  }
  const reserved = ticket.tpmHashes.length > 0 || ticket.slots.length > 0;
  return { ok: true, ticket: reserved ? member : null, retryAfterMs: 0, violated: null, requests, tokens, degraded: false };
}
