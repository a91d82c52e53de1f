/**
 * Serves a mock answer on a uWS response: `latency` before the first byte, then the plain body, or
 * the SSE bursts spaced by `chunk_delay`. Timers, never busy waits; a write that reports
 * backpressure waits for onWritable; a client abort or a drain cut stops every timer.
 */
import type { Exchange } from '../../http/exchange.js';
import { corked, sendJson } from '../../http/respond.js';
import { beginSse, endSse, writeSse } from '../../http/sse.js';
import { isNativeEngine } from '../../http/uws.js';
import type { ChatRequest } from '../../routes/chat-request.js';
import type { MockOptions } from './options.js';
import { mockCompletionBody, planMockAnswer } from './plan.js';
import { createMockStream, nextBurst, streamFinished, type MockStreamState } from './stream.js';

const BATCH_CHARS = 16 * 1024;

export function serveMock(ex: Exchange, request: ChatRequest, model: string, options: MockOptions): void {
  const plan = planMockAnswer({ messages: request.messages, model, requestId: ex.id, chunks: options.chunks, nowMs: Date.now() });
  if (request.stream === true) {
    new MockStreamDriver(ex, createMockStream(plan, request.stream_options?.include_usage === true), options).start();
  } else if (options.latencyMs > 0) {
    ex.goAsync();
    const timer = setTimeout(() => sendJson(ex, 200, mockCompletionBody(plan)), options.latencyMs);
    ex.cancel = () => clearTimeout(timer);
  } else {
    sendJson(ex, 200, mockCompletionBody(plan));
  }
}

class MockStreamDriver {
  private timer: NodeJS.Timeout | null = null;
  /** A write reported backpressure: nothing more until onWritable. */
  private waitingWritable = false;
  private readonly pumpCorked = (): void => this.pump();
  private readonly onTimer = (): void => {
    this.timer = null;
    if (!this.ex.done) this.ex.res.cork(this.pumpCorked);
  };

  constructor(
    private readonly ex: Exchange,
    private readonly state: MockStreamState,
    private readonly options: MockOptions,
  ) {}

  start(): void {
    const ex = this.ex;
    ex.goAsync();
    ex.cancel = () => this.stopTimer();
    if (isNativeEngine) {
      ex.res.onWritable(() => {
        this.resume();
        return true;
      });
    }
    if (this.options.latencyMs > 0) this.timer = setTimeout(this.onTimer, this.options.latencyMs);
    else corked(ex, this.pumpCorked);
  }

  private stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Writes bursts until the stream ends, a delay is due, or the socket pushes back. Without a
   * delay, bursts are joined into writes of up to BATCH_CHARS: the same bytes on the wire, far
   * fewer calls into uWS.
   */
  private pump(): void {
    const ex = this.ex;
    if (ex.done) return;
    if (!ex.headersWritten) beginSse(ex);
    const delay = this.options.chunkDelayMs;
    let batch = '';
    for (;;) {
      const burst = nextBurst(this.state);
      if (streamFinished(this.state)) {
        endSse(ex, batch + burst);
        return;
      }
      if (delay === 0 && batch.length + burst.length < BATCH_CHARS) {
        batch += burst;
        continue;
      }
      const accepted = writeSse(ex, batch + burst);
      batch = '';
      if (!accepted && isNativeEngine) {
        this.waitingWritable = true; // resume() runs from onWritable
        return;
      }
      if (delay > 0) {
        this.timer = setTimeout(this.onTimer, delay);
        return;
      }
    }
  }

  /** The socket drained: continue after the chunk delay, or at once when there is none. */
  private resume(): void {
    if (this.ex.done || !this.waitingWritable) return;
    this.waitingWritable = false;
    if (this.options.chunkDelayMs > 0) this.timer = setTimeout(this.onTimer, this.options.chunkDelayMs);
    else this.ex.res.cork(this.pumpCorked);
  }
}
