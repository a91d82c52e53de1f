/**
 * One undici Pool per upstream origin, shared by every request of the worker: keep-alive
 * connections (provider.max_connections of them), no pipelining (a slow answer must not hold up
 * the ones behind it), TLS for https origins. Destroyed when the worker exits.
 */
import type { Pool } from 'undici';
import { loadUndici, undiciIfLoaded } from './undici.js';

/** How long an idle upstream connection is kept (undici's default is 4 s). */
const KEEP_ALIVE_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;

export class PoolRegistry {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  /** The pool of an origin, created on first use; null while undici is still loading. */
  get(origin: string, connections: number): Pool | null {
    const existing = this.pools.get(origin);
    if (existing !== undefined) return existing;
    const undici = undiciIfLoaded();
    if (undici === null || this.closed) return null;
    const pool = new undici.Pool(origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: KEEP_ALIVE_MS,
      keepAliveMaxTimeout: KEEP_ALIVE_MS,
      connect: { timeout: CONNECT_TIMEOUT_MS },
    });
    this.pools.set(origin, pool);
    return pool;
  }

  /** Resolves once get() can create pools. */
  ready(): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the upstream pools are closed'));
    return loadUndici();
  }

  get size(): number {
    return this.pools.size;
  }

  /** Closes every connection at once (the worker is exiting). Idempotent. */
  async destroy(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map((pool) => pool.destroy()));
  }
}
