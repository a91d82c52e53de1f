/**
 * One keep-alive HTTP/1.1 connection to an upstream origin, carrying one exchange at a time (no
 * pipelining: a slow answer must not hold up the ones behind it). The exchange's request is
 * written in one socket write; the answer goes to its sink as the socket reads it. One timer per
 * connection, re-armed, not re-created, while its duration stays the same.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { UpstreamHeaders, UpstreamSink } from '../types.js';
import { guarded, UpstreamClientError } from './errors.js';
import { sendAtTurnEnd } from '../../http/turn-end.js';
import { ResponseParser, type ResponseEvents } from './response-parser.js';

/** What a connection needs of an exchange: its bytes, its sink, its timeouts. */
export interface Exchange {
  readonly head: string;
  readonly body: Buffer | string;
  readonly sink: UpstreamSink;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  /** Set while the exchange is on a connection (pause / resume / abort reach it). */
  connection: H1Connection | null;
  /** The caller asked to pause before a connection was assigned. */
  readonly pausePending: boolean;
}

export interface ConnectionOwner {
  /** The exchange is over and the connection can carry another. */
  released(connection: H1Connection): void;
  /** The connection is closed (by either side); it is forgotten. */
  closed(connection: H1Connection): void;
  /** Starts an exchange; here: one whose connection went away before its request was written. */
  dispatch(exchange: Exchange): void;
}

export interface Endpoint {
  tls: boolean;
  /** Host name or IP for connect (IPv6 without brackets). */
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** TLS server name when not `host` (a configured `host` header); Node checks the certificate against it. */
  servername?: string | undefined;
}

/**
 * Every upstream socket of this worker reads into this one buffer (`onread`): reads are handled one
 * at a time, and each is copied out before anything keeps it. Node's default read path allocates a
 * 64 KiB buffer per read and runs it through the Readable stream machinery.
 */
const READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024);

/** The connection went away (closed or reset), as opposed to a timeout or a protocol error. */
function isClose(err: Error): boolean {
  if (err instanceof UpstreamClientError) return err.code === 'UPSTREAM_CLOSED';
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** SNI name: the configured one, else the host unless it is an IP address (SNI takes names only). */
function serverNameOf(endpoint: Endpoint): string | undefined {
  const name = endpoint.servername ?? endpoint.host;
  return isIP(name) === 0 ? name : undefined;
}

const enum TimerKind {
  None,
  Connect,
  Headers,
  Body,
}

export class H1Connection implements ResponseEvents {
  readonly socket: Socket;
  private exchange: Exchange | null = null;
  private parser: ResponseParser | null = null;
  private completed = false;
  private headSeen = false;
  private connected = false;
  private closedAlready = false;
  /** The current exchange's request has been handed to the socket. */
  private written = false;
  /** A byte of the current exchange's answer has arrived. */
  private received = false;
  /** Exchanges carried before the current one: a reused connection may have gone stale. */
  private carried = 0;
  /** Reads are paused for the sink (backpressure): the body timeout does not run meanwhile. */
  private paused = false;
  private timer: NodeJS.Timeout | null = null;
  private timerMs = 0;
  private timerKind = TimerKind.None;
  /** The current exchange's headers timeout, less what it spent queued for this connection. */
  private headersMs = 0;
  /** When the current exchange was assigned, and when connecting gives up (performance.now()). */
  private assignedAt = 0;
  private readonly connectBy: number;
  /** Set by the pool when the connection goes idle. */
  idleSince = 0;
  /** How long it may stay idle: ours, shortened by the server's `keep-alive: timeout=N`. */
  idleLimitMs: number;

  constructor(
    endpoint: Endpoint,
    private readonly owner: ConnectionOwner,
    keepAliveMs: number,
  ) {
    this.idleLimitMs = keepAliveMs;
    // true: keep reading (pause() is explicit, for backpressure).
    const onread = {
      buffer: READ_BUFFER,
      callback: (length: number, buffer: Uint8Array): boolean => {
        this.onData(Buffer.from(buffer.subarray(0, length)));
        return true;
      },
    };
    const options = { host: endpoint.host, port: endpoint.port, onread };
    this.socket = endpoint.tls
      ? tlsConnect({ ...options, servername: serverNameOf(endpoint), ALPNProtocols: ['http/1.1'] })
      : netConnect(options);
    this.socket.setNoDelay(true);
    this.socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
      this.connected = true;
      // The headers timeout runs from the assignment: connecting was part of it.
      if (this.exchange !== null) this.arm(TimerKind.Headers, this.headersMs > 0 ? Math.max(1, this.headersMs - (performance.now() - this.assignedAt)) : 0);
      else this.disarm();
    });
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (err: Error) => this.fail(err));
    this.socket.on('close', () => this.onClose());
    this.connectBy = performance.now() + endpoint.connectTimeoutMs;
    this.arm(TimerKind.Connect, endpoint.connectTimeoutMs);
  }

  get isClosed(): boolean {
    return this.closedAlready;
  }

  /**
   * Sends the exchange's request (written at once; Node holds it until the socket connects).
   * `waitedMs`: how long it queued for a connection, taken off its headers timeout.
   */
  assign(exchange: Exchange, waitedMs = 0): void {
    this.exchange = exchange;
    // 0 is "no headers timeout": it stays 0 (arm() sets no timer for it).
    this.headersMs = exchange.headersTimeout > 0 ? Math.max(1, exchange.headersTimeout - waitedMs) : 0;
    this.assignedAt = performance.now();
    // Still connecting: a headers timeout shorter than what is left of the connect timeout bounds
    // the connect (a black-holed address or a stalled TLS handshake must not outlast it).
    if (!this.connected && this.headersMs > 0 && this.headersMs < this.connectBy - this.assignedAt) this.arm(TimerKind.Connect, this.headersMs);
    exchange.connection = this;
    this.parser = new ResponseParser(this);
    this.completed = false;
    this.headSeen = false;
    this.written = false;
    this.received = false;
    if (this.connected) this.arm(TimerKind.Headers, this.headersMs);
    sendAtTurnEnd(() => this.write(exchange));
    if (exchange.pausePending) this.pause();
  }

  private write(exchange: Exchange): void {
    if (this.exchange !== exchange) return;
    this.written = true;
    if (typeof exchange.body === 'string') this.socket.write(exchange.head + exchange.body);
    else {
      this.socket.cork();
      this.socket.write(exchange.head);
      this.socket.write(exchange.body);
      this.socket.uncork();
    }
  }

  pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    this.paused = false;
    this.socket.resume();
    // The idle time starts over: the wait was the caller's, not the upstream's.
    if (this.timerKind === TimerKind.Body) this.timer?.refresh();
  }

  /** The exchange is cancelled: the connection is closed (the upstream sees it go away), nothing is reported. */
  cancel(): void {
    if (this.exchange !== null) this.exchange.connection = null;
    this.exchange = null;
    this.close();
  }

  /** Closes the connection; a running exchange is not told (see fail for that). */
  close(): void {
    if (this.closedAlready) return;
    this.closedAlready = true;
    this.disarm();
    this.socket.destroy();
    this.owner.closed(this);
  }

  // ---- ResponseEvents (called inside parser.execute) -----------------------------------------

  onHead(status: number, headers: UpstreamHeaders): void {
    this.headSeen = true;
    const hint = headers['keep-alive'];
    if (typeof hint === 'string') this.applyKeepAliveHint(hint);
    this.exchange?.sink.onStart(status, headers);
  }

  onBody(chunk: Buffer): void {
    const exchange = this.exchange;
    // Pausing stops the socket's reads: the upstream's TCP window fills up.
    if (exchange !== null && !exchange.sink.onData(chunk)) this.pause();
  }

  onComplete(): void {
    this.completed = true;
  }

  // ---- socket events ---------------------------------------------------------------------------

  private onData(data: Buffer): void {
    const parser = this.parser;
    if (this.exchange === null || parser === null) {
      // Bytes nobody asked for (no pipelining): the connection's framing cannot be trusted.
      this.close();
      return;
    }
    // Bytes before the request left (a late 408 on a stale connection) belong to no exchange.
    if (this.staleBeforeWrite()) return;
    this.received = true;
    try {
      parser.execute(data);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    // The sink may have cancelled the exchange from inside a callback.
    const exchange = this.exchange;
    if (exchange === null) return;
    if (this.completed) return this.finish(exchange, parser.reusable);
    if (this.headSeen) {
      if (this.timerKind === TimerKind.Body) this.timer?.refresh();
      else this.arm(TimerKind.Body, exchange.bodyTimeout);
    }
  }

  private onEnd(): void {
    if (this.staleBeforeWrite()) return;
    const exchange = this.exchange;
    if (exchange !== null && this.parser?.endsAtClose === true) this.finish(exchange, false);
    else if (exchange !== null) this.fail(new UpstreamClientError('UPSTREAM_CLOSED', 'the upstream closed the connection before the response was complete'));
    else this.close();
  }

  private onClose(): void {
    if (this.staleBeforeWrite()) return;
    if (this.exchange !== null) this.fail(new UpstreamClientError('UPSTREAM_CLOSED', 'the upstream connection closed before the response was complete'));
    else this.close();
  }

  /**
   * A reused connection that ended, failed or spoke before this exchange's request was written
   * (the upstream closed it while idle; its FIN crossed our assign): the request never left, so it
   * goes out on another connection instead of failing. True when that happened.
   */
  private staleBeforeWrite(): boolean {
    const exchange = this.exchange;
    if (exchange === null || this.written || this.carried === 0) return false;
    this.exchange = null;
    this.parser = null;
    exchange.connection = null;
    this.close();
    this.owner.dispatch(exchange);
    return true;
  }

  private finish(exchange: Exchange, reusable: boolean): void {
    this.exchange = null;
    this.parser = null;
    exchange.connection = null;
    this.carried++;
    this.disarm();
    // Released before the sink hears the end, so a request it starts can reuse this connection.
    if (reusable && !this.closedAlready) {
      if (this.paused) this.resume();
      this.owner.released(this);
    } else this.close();
    guarded(() => exchange.sink.onEnd());
  }

  /** Closes the connection; a running exchange hears `err`. */
  fail(cause: Error): void {
    if (this.staleBeforeWrite()) return;
    // Not resent (a POST may have been acted on), but not the upstream's failure either.
    const err = this.carried > 0 && this.written && !this.received && this.exchange !== null && isClose(cause) ? new UpstreamClientError('UPSTREAM_STALE', `the reused connection was closed before any answer (${cause.message})`) : cause;
    const exchange = this.exchange;
    this.exchange = null;
    if (exchange !== null) exchange.connection = null;
    this.close();
    if (exchange !== null) guarded(() => exchange.sink.onError(err));
  }

  private onTimer(): void {
    const kind = this.timerKind;
    this.timerKind = TimerKind.None;
    if (kind === TimerKind.Connect) this.fail(new UpstreamClientError('UPSTREAM_CONNECT_TIMEOUT', 'the upstream connection was not established in time'));
    else if (kind === TimerKind.Headers) this.fail(new UpstreamClientError('UPSTREAM_HEADERS_TIMEOUT', 'no response headers in time'));
    else if (kind === TimerKind.Body && this.paused) this.timerKind = kind; // the caller is slow, not the upstream
    else if (kind === TimerKind.Body) this.fail(new UpstreamClientError('UPSTREAM_BODY_TIMEOUT', 'the response went idle'));
  }

  private arm(kind: TimerKind, ms: number): void {
    this.timerKind = ms > 0 ? kind : TimerKind.None;
    if (ms <= 0) return;
    if (this.timer !== null && this.timerMs === ms) {
      this.timer.refresh();
      return;
    }
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerMs = ms;
    this.timer = setTimeout(() => this.onTimer(), ms);
    this.timer.unref();
  }

  /** The timer may still fire; with no kind it does nothing (cheaper than clearing it each time). */
  private disarm(): void {
    this.timerKind = TimerKind.None;
    if (this.closedAlready && this.timer !== null) clearTimeout(this.timer);
  }

  private applyKeepAliveHint(hint: string): void {
    const match = /timeout=(\d+)/i.exec(hint);
    // A second of margin: the server may close it while our next request is on its way.
    if (match !== null) this.idleLimitMs = Math.min(this.idleLimitMs, Math.max(0, Number(match[1]) * 1000 - 1000));
  }
}
