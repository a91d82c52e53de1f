/**
 * One HTTP call to an upstream over its origin's pool (gatewayd's own HTTP/1.1 client, h1/). The
 * request head is serialised before a connection is taken, so a bad header fails the call without
 * touching the pool. The answer goes to an UpstreamSink as raw Buffers; pause()/resume() apply
 * backpressure to the upstream socket and abort() closes it (the upstream sees the connection go
 * away).
 */
import type { H1Connection, Exchange } from './h1/connection.js';
import type { H1Pool } from './h1/pool.js';
import { guarded } from './h1/errors.js';
import { requestHead } from './h1/request-head.js';
import type { PoolRegistry } from './pools.js';
import type { HttpUpstreamRequest, UpstreamHandle, UpstreamSink } from './types.js';

export class HttpCall implements Exchange, UpstreamHandle {
  head = '';
  body: Buffer | string = '';
  headersTimeout = 0;
  bodyTimeout = 0;
  connection: H1Connection | null = null;
  pausePending = false;
  private pool: H1Pool | null = null;
  private aborted = false;

  constructor(readonly sink: UpstreamSink) {}

  start(pools: PoolRegistry, request: HttpUpstreamRequest): void {
    if (this.aborted) return;
    try {
      const pool = pools.get(request.origin, request.connections, request.servername);
      const bodyBytes = typeof request.body === 'string' ? Buffer.byteLength(request.body) : request.body.length;
      this.head = requestHead('POST', request.path, pool.hostHeader, request.headers, bodyBytes);
      this.pool = pool;
    } catch (err) {
      // Reported asynchronously, as every other failure is: the caller is still inside start().
      queueMicrotask(() => {
        if (!this.aborted) guarded(() => this.sink.onError(err as Error));
      });
      return;
    }
    this.body = request.body;
    this.headersTimeout = request.headersTimeout;
    this.bodyTimeout = request.bodyTimeout;
    this.pool.dispatch(this);
  }

  get sent(): boolean {
    return this.connection !== null;
  }

  pause(): void {
    if (this.connection !== null) this.connection.pause();
    else this.pausePending = true;
  }

  resume(): void {
    this.pausePending = false;
    this.connection?.resume();
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    if (this.connection !== null) this.connection.cancel();
    else this.pool?.unqueue(this);
  }
}
