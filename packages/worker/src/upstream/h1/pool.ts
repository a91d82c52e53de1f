/**
 * The keep-alive connections of one upstream origin: at most `maxConnections`, the most recently
 * used idle one first (it is the least likely to have been closed by the server), exchanges
 * beyond that wait in arrival order. A waiting exchange's headers timeout runs from its dispatch:
 * one that gets no connection in time fails as a headers timeout (so the router fails over) and
 * one that does keeps only what is left of it. Idle connections are closed after their keep-alive
 * limit.
 */
import { H1Connection, type ConnectionOwner, type Endpoint, type Exchange } from './connection.js';
import { guarded, UpstreamClientError } from './errors.js';

export interface PoolOptions {
  maxConnections: number;
  connectTimeoutMs: number;
  keepAliveMs: number;
  /** TLS server name (SNI and the certificate check) when not the origin's host. */
  servername?: string | undefined;
}

const SWEEP_MS = 1_000;
/** setTimeout's largest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

export class H1Pool implements ConnectionOwner {
  private readonly endpoint: Endpoint;
  /** `host[:port]` as the Host header carries it. */
  readonly hostHeader: string;
  private readonly idle: H1Connection[] = [];
  private readonly all = new Set<H1Connection>();
  private waiting: Exchange[] = [];
  private waitingHead = 0;
  /** When each waiting exchange was queued, and the timer of its deadline. */
  private readonly queued = new Map<Exchange, { since: number; timer: NodeJS.Timeout | null }>();
  private readonly sweeper: NodeJS.Timeout;
  private destroyed = false;

  constructor(
    origin: string,
    private readonly options: PoolOptions,
  ) {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported upstream scheme ${url.protocol}`);
    const tls = url.protocol === 'https:';
    this.endpoint = {
      tls,
      host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port === '' ? (tls ? 443 : 80) : Number(url.port),
      connectTimeoutMs: options.connectTimeoutMs,
      servername: options.servername,
    };
    this.hostHeader = url.host;
    this.sweeper = setInterval(() => this.closeExpiredIdle(Date.now()), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Starts the exchange on an idle or new connection, or queues it. */
  dispatch(exchange: Exchange): void {
    if (this.destroyed) {
      queueMicrotask(() => guarded(() => exchange.sink.onError(new UpstreamClientError('UPSTREAM_CLIENT_CLOSED', 'the upstream client is closed'))));
      return;
    }
    const connection = this.takeIdle();
    if (connection !== null) connection.assign(exchange);
    else if (this.all.size < this.options.maxConnections) this.open().assign(exchange);
    else this.enqueue(exchange);
  }

  /** A queued exchange was cancelled before it got a connection. */
  unqueue(exchange: Exchange): void {
    this.leaveQueue(exchange);
    const at = this.waiting.indexOf(exchange, this.waitingHead);
    if (at !== -1) this.waiting.splice(at, 1);
  }

  get connections(): number {
    return this.all.size;
  }

  get idleConnections(): number {
    return this.idle.length;
  }

  released(connection: H1Connection): void {
    const next = this.nextWaiting();
    if (next !== undefined) {
      connection.assign(next, this.leaveQueue(next));
      return;
    }
    connection.idleSince = Date.now();
    this.idle.push(connection);
  }

  closed(connection: H1Connection): void {
    if (!this.all.delete(connection)) return;
    const at = this.idle.indexOf(connection);
    if (at !== -1) this.idle.splice(at, 1);
    // A slot is free: the next waiting exchange gets a new connection.
    if (!this.destroyed && this.waitingHead < this.waiting.length) {
      const next = this.nextWaiting();
      if (next !== undefined) this.open().assign(next, this.leaveQueue(next));
    }
  }

  destroy(): void {
    this.destroyed = true;
    clearInterval(this.sweeper);
    const waiting = this.waiting.slice(this.waitingHead);
    this.waiting = [];
    this.waitingHead = 0;
    for (const { timer } of this.queued.values()) if (timer !== null) clearTimeout(timer);
    this.queued.clear();
    const err = new UpstreamClientError('UPSTREAM_CLIENT_CLOSED', 'the upstream client is closed');
    for (const connection of [...this.all]) connection.fail(err);
    for (const exchange of waiting) guarded(() => exchange.sink.onError(err));
  }

  private enqueue(exchange: Exchange): void {
    this.waiting.push(exchange);
    const ms = exchange.headersTimeout;
    // 0: no headers timeout (none for the wait either); beyond setTimeout's range: none needed.
    const timer = ms > 0 && ms <= MAX_TIMER_MS ? setTimeout(() => this.queueTimedOut(exchange), ms) : null;
    this.queued.set(exchange, { since: performance.now(), timer });
  }

  /** Out of the queue (to a connection, or cancelled): its deadline is off; returns how long it waited (ms). */
  private leaveQueue(exchange: Exchange): number {
    const entry = this.queued.get(exchange);
    if (entry === undefined) return 0;
    if (entry.timer !== null) clearTimeout(entry.timer);
    this.queued.delete(exchange);
    return performance.now() - entry.since;
  }

  private queueTimedOut(exchange: Exchange): void {
    if (!this.queued.has(exchange)) return;
    this.unqueue(exchange);
    const err = new UpstreamClientError('UPSTREAM_POOL_TIMEOUT', `no connection to ${this.hostHeader} came free within ${exchange.headersTimeout} ms (all ${this.options.maxConnections} busy)`);
    guarded(() => exchange.sink.onError(err));
  }

  private open(): H1Connection {
    const connection = new H1Connection(this.endpoint, this, this.options.keepAliveMs);
    this.all.add(connection);
    return connection;
  }

  private takeIdle(): H1Connection | null {
    const now = this.idle.length > 0 ? Date.now() : 0;
    while (this.idle.length > 0) {
      const connection = this.idle.pop()!;
      if (!connection.isClosed && now - connection.idleSince < connection.idleLimitMs) return connection;
      connection.close();
    }
    return null;
  }

  private nextWaiting(): Exchange | undefined {
    if (this.waitingHead >= this.waiting.length) return undefined;
    const next = this.waiting[this.waitingHead];
    // Taken slots are cleared, and an emptied queue starts over: nothing finished stays referenced.
    (this.waiting as Array<Exchange | undefined>)[this.waitingHead++] = undefined;
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
      return next;
    }
    // Compact now and then instead of shifting on every take.
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
    return next;
  }

  private closeExpiredIdle(now: number): void {
    // Oldest first: the stack's bottom has been idle longest.
    while (this.idle.length > 0 && now - this.idle[0]!.idleSince >= this.idle[0]!.idleLimitMs) this.idle.shift()!.close();
  }
}
