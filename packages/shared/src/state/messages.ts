/**
 * IPC between a worker's state client and the supervisor's store (backend `local`).
 *
 * A worker sends every state operation of one event-loop turn in ONE `state-batch` message; the
 * supervisor answers with ONE `state-batch-result` holding the answers of the operations that
 * have one (admit, cache-get), in the order of those operations. A batch of fire-and-forget
 * operations only (settle, cache-set) gets no answer at all. Cache values travel as base64:
 * cluster IPC is JSON, where a Buffer would become an array of numbers.
 */
import type { LimitScope, LimitWindow, LimitViolation } from './types.js';

export interface AdmitOp {
  op: 'admit';
  scopes: LimitScope[];
  reserve: number;
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

export type StateOp = AdmitOp | SettleOp | CacheGetOp | CacheSetOp;

/** An admission as the store decided it (a worker adds `degraded: false`). */
export interface AdmitResult {
  ok: boolean;
  ticket: string | null;
  retryAfterMs: number;
  violated: LimitViolation | null;
  requests: LimitWindow | null;
  tokens: LimitWindow | null;
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
