/**
 * A BatchedUpstreamRequest: its calls one after another over the pools, then one answer for the
 * sink. A call answering other than 2xx is passed to the sink as it comes (status, headers, body
 * chunks, backpressure), so the sink's own limits and early stops apply to it as to any single
 * call, and no call follows. 2xx bodies are held until the last call, then merged; past
 * `maxBytes` they go to the sink as they are (whose answer limit then stops the request).
 */
import { HttpCall } from './call.js';
import { UpstreamClientError } from './h1/errors.js';
import type { PoolRegistry } from './pools.js';
import type { BatchedUpstreamRequest, UpstreamHandle, UpstreamHeaders, UpstreamSink } from './types.js';

export class BatchedCall implements UpstreamSink, UpstreamHandle {
  private index = 0;
  private current: HttpCall | null = null;
  /** A batch went to a connection (see UpstreamHandle.sent): an earlier one, or the current one. */
  get sent(): boolean {
    return this.index > 0 || this.current?.sent === true;
  }
  private status = 0;
  private headers: UpstreamHeaders = {};
  private chunks: Buffer[] = [];
  private held = 0;
  private readonly bodies: Buffer[] = [];
  /** The current call's answer goes straight to the sink (not a 2xx, or too large to hold). */
  private passing = false;
  private aborted = false;

  constructor(
    private readonly sink: UpstreamSink,
    private readonly request: BatchedUpstreamRequest,
    private readonly pools: PoolRegistry,
    private readonly maxBytes: number,
  ) {}

  start(): void {
    if (this.aborted) return;
    const batch = this.request.batches[this.index];
    if (batch === undefined) return;
    this.chunks = [];
    this.current = new HttpCall(this);
    this.current.start(this.pools, batch);
  }

  onStart(status: number, headers: UpstreamHeaders): void {
    this.status = status;
    this.headers = withoutLength(headers);
    if (status < 200 || status >= 300) this.pass();
  }

  onData(chunk: Buffer): boolean {
    if (this.passing) return this.sink.onData(chunk);
    this.chunks.push(chunk);
    this.held += chunk.length;
    if (this.held > this.maxBytes) {
      // Too large to merge: what is held goes on, and the sink's own limit ends the request.
      const heldSoFar = [...this.bodies, ...this.chunks];
      this.chunks = [];
      this.pass();
      for (const piece of heldSoFar) if (!this.aborted) this.sink.onData(piece);
    }
    return true;
  }

  onEnd(): void {
    if (this.aborted) return;
    if (this.passing) return this.sink.onEnd();
    this.bodies.push(this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks));
    this.chunks = [];
    this.index++;
    if (this.index < this.request.batches.length) return this.start();
    let merged: Buffer;
    try {
      merged = this.request.merge(this.bodies);
    } catch (err) {
      this.sink.onError(new UpstreamClientError('UPSTREAM_BAD_RESPONSE', `the batched answers do not add up: ${(err as Error).message}`));
      return;
    }
    this.sink.onStart(this.status, this.headers);
    if (merged.length > 0 && !this.aborted) this.sink.onData(merged);
    if (!this.aborted) this.sink.onEnd();
  }

  onError(err: Error): void {
    if (!this.aborted) this.sink.onError(err);
  }

  pause(): void {
    this.current?.pause();
  }

  resume(): void {
    this.current?.resume();
  }

  abort(): void {
    this.aborted = true;
    this.current?.abort();
  }

  private pass(): void {
    this.passing = true;
    this.sink.onStart(this.status, this.headers);
  }
}

/** The content-length of one call does not describe the answer the sink gets. */
function withoutLength(headers: UpstreamHeaders): UpstreamHeaders {
  if (headers['content-length'] === undefined) return headers;
  const { 'content-length': _length, ...rest } = headers;
  return rest;
}
