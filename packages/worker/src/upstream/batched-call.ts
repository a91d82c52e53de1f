/**
 * A BatchedUpstreamRequest: its calls one after another over the pools, each answer read whole,
 * then one answer for the sink: the merged 2xx bodies, or the first answer that is not a 2xx (with
 * its own status, headers and body, so failover and error mapping treat it as any other). The
 * bodies are held here (the pipeline holds a plain answer whole anyway), so pause() and resume()
 * have nothing to do; abort() cancels the call under way.
 */
import { HttpCall } from './call.js';
import type { PoolRegistry } from './pools.js';
import type { BatchedUpstreamRequest, UpstreamHandle, UpstreamHeaders, UpstreamSink } from './types.js';

export class BatchedCall implements UpstreamSink, UpstreamHandle {
  private index = 0;
  private current: HttpCall | null = null;
  private status = 0;
  private headers: UpstreamHeaders = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private readonly bodies: Buffer[] = [];
  private aborted = false;

  constructor(
    private readonly sink: UpstreamSink,
    private readonly request: BatchedUpstreamRequest,
    private readonly pools: PoolRegistry,
  ) {}

  start(): void {
    if (this.aborted) return;
    const batch = this.request.batches[this.index];
    if (batch === undefined) return;
    this.chunks = [];
    this.size = 0;
    this.current = new HttpCall(this);
    this.current.start(this.pools, batch);
  }

  onStart(status: number, headers: UpstreamHeaders): void {
    this.status = status;
    this.headers = headers;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  onEnd(): void {
    if (this.aborted) return;
    const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    if (this.status < 200 || this.status >= 300) return this.answer(body);
    this.bodies.push(body);
    this.index++;
    if (this.index < this.request.batches.length) return this.start();
    let merged: Buffer;
    try {
      merged = this.request.merge(this.bodies);
    } catch (err) {
      this.sink.onError(err as Error);
      return;
    }
    this.answer(merged);
  }

  onError(err: Error): void {
    if (!this.aborted) this.sink.onError(err);
  }

  pause(): void {}

  resume(): void {}

  abort(): void {
    this.aborted = true;
    this.current?.abort();
  }

  /** One answer for the sink; the last call's content-length does not describe a merged body. */
  private answer(body: Buffer): void {
    const { 'content-length': _length, ...headers } = this.headers;
    this.sink.onStart(this.status, headers);
    if (body.length > 0 && !this.aborted) this.sink.onData(body);
    if (!this.aborted) this.sink.onEnd();
  }
}
