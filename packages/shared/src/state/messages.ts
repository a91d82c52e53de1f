/**
 * IPC between a worker's state client and the supervisor's store (backend `local`).
 *
 * A worker sends every state operation of one event-loop turn in ONE `state-batch` message; the
 * supervisor answers with ONE `state-batch-result` holding the answers of the operations that
 * have one (admit, cache-get), in the order of those operations. A batch of fire-and-forget
 * operations only (settle, cache-set, cache-touch, credit-close, credit-settle) gets no answer at all. Cache
 * values travel as base64: cluster IPC is JSON, where a Buffer would become an array of numbers.
 * The supervisor may hold a batch's answer back while one of its admissions waits for another
 * worker's credit to close (credits.ts); the batches of one worker are still answered by id.
 */
import type { LimitScope, LimitWindow, LimitViolation } from './types.js';

export interface AdmitOp {
  op: 'admit';
  scopes: LimitScope[];
  reserve: number;
  /** Credits the worker would like for some of these scopes, granted only if the request is admitted. */
  credits?: CreditWant[];
}

/**
 * How much of a scope's budget a worker asks for, to admit requests itself for a short while
 * (see credits.ts). The supervisor grants less, or nothing, when the budget is not plentiful.
 */
export interface CreditWant {
  scope: string;
  requests: number;
  tokens: number;
  slots: number;
}

/** A credit: the worker may admit on `scope` against these amounts until `ttlMs` from now. */
export interface CreditGrant {
  id: number;
  scope: string;
  /** null: the scope has no such limit (nothing to count locally). */
  requests: number | null;
  tokens: number | null;
  slots: number | null;
  ttlMs: number;
  /** The rpm / tpm window as the store saw it once the credit was taken out, for the headers. */
  requestsWindow: LimitWindow | null;
  tokensWindow: LimitWindow | null;
}

/**
 * The worker stops admitting on a credit (it expired, ran out, or the worker is leaving) and
 * reports what it used: `requests` admitted, `tokens` reserved or reconciled, `pending` of them
 * still in flight (they keep their concurrency slots and report with credit-settle).
 */
export interface CreditCloseOp {
  op: 'credit-close';
  id: number;
  requests: number;
  tokens: number;
  pending: number;
}

/** A request admitted on a credit that is closed already has ended: `tokens` = actual - reserved. */
export interface CreditSettleOp {
  op: 'credit-settle';
  id: number;
  tokens: number;
  /** Its admission was undone (another scope refused it): it does not count as a request either. */
  unused?: boolean;
}

export interface SettleOp {
  op: 'settle';
  ticket: string;
  tokens: number;
}

export interface CacheGetOp {
  op: 'cache-get';
  key: string;
}

export interface CacheSetOp {
  op: 'cache-set';
  key: string;
  /** base64 */
  value: string;
  ttlMs: number;
}

/** A worker answered from its copy of the entry: it counts as recently used in the store too. */
export interface CacheTouchOp {
  op: 'cache-touch';
  key: string;
}

export type StateOp = AdmitOp | SettleOp | CacheGetOp | CacheSetOp | CacheTouchOp | CreditCloseOp | CreditSettleOp;

/** An admission as the store decided it (a worker adds `degraded: false`). */
export interface AdmitResult {
  ok: boolean;
  ticket: string | null;
  retryAfterMs: number;
  violated: LimitViolation | null;
  requests: LimitWindow | null;
  tokens: LimitWindow | null;
  /** Credits granted with this admission (AdmitOp.credits). */
  credits?: CreditGrant[];
}

/** base64 value, or null on a miss. */
export type CacheGetResult = string | null;

export type StateResult = AdmitResult | CacheGetResult;

/** worker -> supervisor */
export interface StateBatchMessage {
  type: 'state-batch';
  /** Per worker, increasing; echoed by the answer. */
  id: number;
  ops: StateOp[];
}

/** supervisor -> worker: one result per admit/cache-get op of the batch, in order. */
export interface StateBatchResultMessage {
  type: 'state-batch-result';
  id: number;
  results: StateResult[];
}

export function expectsAnswer(op: StateOp): boolean {
  return op.op === 'admit' || op.op === 'cache-get';
}

export function isStateBatchResult(value: unknown): value is StateBatchResultMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'state-batch-result';
}
