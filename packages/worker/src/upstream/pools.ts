/**
 * One keep-alive pool per upstream origin and connection limit (h1/pool.ts), shared by every
 * request of the worker: provider.max_connections connections, no pipelining, TLS for https
 * origins. Destroyed when the worker exits.
 */
import { H1Pool } from './h1/pool.js';

/** How long an idle upstream connection is kept (a server's shorter `keep-alive: timeout` wins). */
const KEEP_ALIVE_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;

export class PoolRegistry {
  private readonly pools = new Map<string, H1Pool>();
  private closed = false;

  /**
   * The pool of an origin and connection limit, created on first use; throws for an origin that
   * is not http(s). Providers on one origin share a pool only when their max_connections agree:
   * each keeps its own limit.
   */
  get(origin: string, connections: number, servername?: string): H1Pool {
    // A TLS server name of its own is another pool: its connections are for that name only.
    const key = servername === undefined ? `${connections} ${origin}` : `${connections} ${origin} ${servername}`;
    const existing = this.pools.get(key);
    if (existing !== undefined) return existing;
    const pool = new H1Pool(origin, { maxConnections: connections, connectTimeoutMs: CONNECT_TIMEOUT_MS, keepAliveMs: KEEP_ALIVE_MS, servername });
    if (this.closed) pool.destroy();
    else this.pools.set(key, pool);
    return pool;
  }

  get size(): number {
    return this.pools.size;
  }

  /** Closes every connection at once (the worker is exiting). Idempotent. */
  async destroy(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    for (const pool of pools) pool.destroy();
  }
}
