/**
 * The client half of the batch script (redis-scripts.ts BATCH_LUA): which keys and arguments a
 * turn's settles and admits become, and how the integer reply becomes one Admission per admit.
 */
import { CONCURRENCY_RETRY_MS, tighterWindow, type Admission, type LimitKind, type LimitScope, type LimitWindow } from '@gatewayd/shared/state';
import type { RedisKeys } from './redis-keys.js';

export interface AdmitCheck {
  scope: string;
  kind: LimitKind;
  limit: number;
  /** rpm and tpm: the log's zset, then its weights hash; concurrency: its zset. Shared: do not modify. */
  keys: readonly string[];
}

/** What a settle needs: the ticket's tpm logs (zset and hash, to reconcile) and concurrency zsets (to free). */
export interface RedisTicket {
  tpmLogs: Array<readonly string[]>;
  slots: string[];
  /** The log entry its tokens were counted in (set from the reply); '' before. */
  bucket: string;
  reserved: number;
}

export interface AdmitPlan {
  checks: AdmitCheck[];
  ticket: RedisTicket;
}

export interface QueuedAdmit {
  plan: AdmitPlan;
  member: string;
  reserve: number;
}

export interface QueuedSettle {
  member: string;
  ticket: RedisTicket;
  /** The actual tokens; the script gets their difference to the reservation. */
  tokens: number;
}

const KIND_CODE: Record<LimitKind, string> = { rpm: 'r', tpm: 't', concurrency: 'c' };

/** `scopes` must be normalized (one entry per id). Checks run in scope order, rpm/tpm/concurrency. */
export function planAdmit(scopes: readonly LimitScope[], keys: RedisKeys, reserve: number): AdmitPlan {
  const plan: AdmitPlan = { checks: [], ticket: { tpmLogs: [], slots: [], bucket: '', reserved: reserve } };
  for (const scope of scopes) {
    const k = keys.ofScope(scope.id);
    if (scope.rpm !== undefined) plan.checks.push({ scope: scope.id, kind: 'rpm', limit: scope.rpm, keys: k.rpm });
    if (scope.tpm !== undefined) {
      plan.checks.push({ scope: scope.id, kind: 'tpm', limit: scope.tpm, keys: k.tpm });
      plan.ticket.tpmLogs.push(k.tpm);
    }
    if (scope.concurrency !== undefined) {
      plan.checks.push({ scope: scope.id, kind: 'concurrency', limit: scope.concurrency, keys: k.concurrency });
      plan.ticket.slots.push(k.concurrencyKey);
    }
  }
  return plan;
}

/** KEYS and ARGV of one BATCH_LUA call; `window`, `lease` and `concurrencyRetry` in ms. */
export function encodeBatch(
  settles: readonly QueuedSettle[],
  admits: readonly QueuedAdmit[],
  timing: { window: number; lease: number; concurrencyRetry: number },
): { keys: string[]; args: Array<string | number> } {
  const keys: string[] = [];
  const index = new Map<string, number>();
  const ref = (key: string): number => {
    let i = index.get(key);
    if (i === undefined) {
      i = keys.push(key);
      index.set(key, i);
    }
    return i;
  };
  const args: Array<string | number> = [timing.window, timing.lease, timing.concurrencyRetry, settles.length];
  for (const settle of settles) {
    const { ticket } = settle;
    args.push(settle.member, ticket.bucket, settle.tokens - ticket.reserved, ticket.tpmLogs.length, ticket.slots.length);
    for (const [zset, hash] of settle.ticket.tpmLogs) args.push(ref(zset!), ref(hash!));
    for (const key of settle.ticket.slots) args.push(ref(key));
  }
  // Admits of one caller make the same checks: each distinct list is sent once, as a plan.
  const plans: AdmitCheck[][] = [];
  const planOf = admits.map((admit) => {
    const { checks } = admit.plan;
    let i = plans.findIndex((plan) => sameChecks(plan, checks));
    if (i < 0) i = plans.push(checks) - 1;
    return i + 1;
  });
  args.push(plans.length);
  for (const checks of plans) {
    args.push(checks.length);
    for (const check of checks) {
      args.push(KIND_CODE[check.kind], check.limit);
      for (const key of check.keys) args.push(ref(key));
    }
  }
  args.push(admits.length);
  admits.forEach((admit, i) => args.push(admit.member, admit.reserve, planOf[i] as number));
  return { keys, args };
}

function sameChecks(a: readonly AdmitCheck[], b: readonly AdmitCheck[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((check, i) => {
    const other = b[i] as AdmitCheck;
    return check.scope === other.scope && check.kind === other.kind && check.limit === other.limit;
  });
}

/** A batch reply: the bucket, then per admit its integers. */
export type BatchReply = [string, ...number[]];

/**
 * The admissions in a batch reply, in the order of `admits`. The ticket is the request's member
 * id when it reserved anything that a settle must undo; its record learns the reply's bucket.
 * null: not a reply the script gives (a proxy or another server answered), to treat as an error.
 */
export function admissionsOf(reply: unknown, admits: readonly QueuedAdmit[]): Admission[] | null {
  const expected = admits.reduce((n, admit) => n + 3 + 2 * admit.plan.checks.length, 1);
  if (!Array.isArray(reply) || reply.length < expected || typeof reply[0] !== 'string') return null;
  const batch = reply as BatchReply;
  const admissions: Admission[] = [];
  const ints = reply as unknown as readonly number[];
  let at = 1;
  for (const admit of admits) {
    admit.plan.ticket.bucket = batch[0];
    admissions.push(admissionAt(ints, at, admit));
    at += 3 + 2 * admit.plan.checks.length;
  }
  return admissions;
}

function admissionAt(reply: readonly number[], at: number, admit: QueuedAdmit): Admission {
  const { checks, ticket } = admit.plan;
  let requests: LimitWindow | null = null;
  let tokens: LimitWindow | null = null;
  checks.forEach((check, i) => {
    if (check.kind === 'concurrency') return;
    const window = { limit: check.limit, remaining: reply[at + 3 + 2 * i] ?? 0, resetMs: reply[at + 4 + 2 * i] ?? 0 };
    if (check.kind === 'rpm') requests = tighterWindow(requests, window);
    else tokens = tighterWindow(tokens, window);
  });
  if (reply[at] !== 1) {
    const check = checks[(reply[at + 1] ?? 0) - 1];
    const violated = check ? { scope: check.scope, kind: check.kind } : null;
    return { ok: false, ticket: null, retryAfterMs: reply[at + 2] || CONCURRENCY_RETRY_MS, violated, requests, tokens, degraded: false };
  }
  const reserved = ticket.tpmLogs.length > 0 || ticket.slots.length > 0;
  return { ok: true, ticket: reserved ? admit.member : null, retryAfterMs: 0, violated: null, requests, tokens, degraded: false };
}
