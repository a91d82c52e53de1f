/**
 * One HTTP call to an upstream over its pool, with undici's low-level dispatch() and the undici 7
 * handler API (onRequestStart / onResponseStart / onResponseData / onResponseEnd /
 * onResponseError): about twice as cheap as request()/fetch(). The answer goes to an
 * UpstreamSink as raw Buffers; pause()/resume() apply backpressure to the upstream socket and
 * abort() closes it (the upstream sees the connection go away).
 */
import type { Dispatcher } from 'undici';
import type { PoolRegistry } from './pools.js';
import type { HttpUpstreamRequest, UpstreamHandle, UpstreamHeaders, UpstreamSink } from './types.js';

/** Reason given to undici when the gateway cancels a call (client gone, drain cut, stream error). */
export class UpstreamCancelled extends Error {
  constructor() {
    super('the gateway cancelled the upstream call');
    this.name = 'UpstreamCancelled';
  }
}

const CANCELLED = new UpstreamCancelled();

export class HttpCall implements Dispatcher.DispatchHandler, UpstreamHandle {
  private controller: Dispatcher.DispatchController | null = null;
  private aborted = false;
  /** pause() came before undici handed out the controller. */
  private pausePending = false;

  constructor(private readonly sink: UpstreamSink) {}

  start(pools: PoolRegistry, request: HttpUpstreamRequest): void {
    if (this.aborted) return;
    const pool = pools.get(request.origin, request.connections);
    if (pool === null) {
      // Cold path: the first calls after start wait for undici to finish loading.
      pools.ready().then(
        () => this.start(pools, request),
        (err: unknown) => this.sink.onError(err instanceof Error ? err : new Error(String(err))),
      );
      return;
    }
    pool.dispatch(
      { path: request.path, method: 'POST', headers: request.headers, body: request.body, headersTimeout: request.headersTimeout, bodyTimeout: request.bodyTimeout },
      this,
    );
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Cancelled while the request waited for a free connection.
    if (this.aborted) controller.abort(CANCELLED);
    else if (this.pausePending) controller.pause();
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: UpstreamHeaders): void {
    if (!this.aborted) this.sink.onStart(statusCode, headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // Pausing here makes undici stop reading the socket: the upstream's TCP window fills up.
    if (!this.aborted && !this.sink.onData(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    if (!this.aborted) this.sink.onEnd();
  }

  /** `controller` is undefined when the call failed before it was sent (connect error). */
  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (!this.aborted) this.sink.onError(err);
  }

  pause(): void {
    if (this.controller !== null) this.controller.pause();
    else this.pausePending = true;
  }

  resume(): void {
    this.pausePending = false;
    this.controller?.resume();
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const controller = this.controller;
    if (controller !== null && !controller.aborted) controller.abort(CANCELLED);
  }
}
