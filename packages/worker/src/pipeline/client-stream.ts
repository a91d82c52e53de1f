/**
 * A committed stream towards the caller: the first upstream chunk reached it, so failover is over.
 * Each upstream chunk goes through the relay (pass-through tap or translation) into uWS, corked
 * (the calls come from undici or timer callbacks). A write that uWS could not send at once blocks
 * the upstream (the owner pauses it) until onWritable; so at most one upstream read waits in uWS's
 * buffer. A failure ends the stream with an error event in the caller's protocol.
 */
import type { ErrorCode } from '@gatewayd/shared/errors';
import type { AnswerCapture } from '../cache/capture.js';
import { carriesToken, TOKEN_SEARCH_WRITES } from '../observe/first-token.js';
import { scrubChunkForCallers, scrubTextForCallers } from '../observe/secrets.js';
import type { Exchange, HeaderList } from '../http/exchange.js';
import { beginSse, endSse, streamErrorEvent } from '../http/sse.js';
import { isNativeEngine, onceDrained } from '../http/uws.js';
import { UpstreamStreamError } from '../protocol/errors.js';
import type { AttemptFailure } from '../routing/index.js';
import { classifyTransportError } from '../upstream/errors.js';
import { describeTransport, transportFailure, unreadableDetail } from './failures.js';
import { callerKeyOf, type AttemptInput, type ChunkWriter, type StreamRelay, type TokenUsage } from './types.js';

/** What the stream needs from the attempt that owns the upstream call. */
export interface StreamOwner {
  resumeUpstream(): void;
  abortUpstream(): void;
  /** A failure after the first byte still counts against the target (breaker). */
  recordFailure(failure: AttemptFailure): void;
  streamEnded(usage: TokenUsage | undefined): void;
  /**
   * A complete stream's end (its last bytes are out): `end` runs once the request's concurrency
   * slot is free, so a caller's next request is not refused for the stream it just finished.
   */
  endAfterState(end: () => void): void;
}

export class ClientStream implements ChunkWriter {
  /** A uWS write reported backpressure; cleared by onWritable. */
  private blocked = false;
  private pendingChunk: Buffer | null = null;
  private pendingError: unknown = null;
  /** issue 4: the response cache's copy of what the caller gets (set on a cache miss). */
  capture: AnswerCapture | null = null;
  private over = false;
  /** Scrubbed from upstream text written to the caller (callerKeyOf). */
  private readonly callerKey: string | undefined;
  /** Writes still searched for the first generated content (time to first token); 0 once found. */
  private tokenSearchesLeft = TOKEN_SEARCH_WRITES;
  // Bound once per stream: res.cork() and res.onWritable() take functions.
  private readonly relayCorked = (): void => this.relayNow();
  private readonly endCorked = (): void => this.endNow();
  private readonly failCorked = (): void => this.failNow(this.pendingError);
  /** Fallback engine: the node:http response drained. */
  private readonly drained = (): void => {
    if (!this.blocked) return;
    this.blocked = false;
    if (!this.ex.done && !this.over) this.owner.resumeUpstream();
  };

  constructor(
    private readonly ex: Exchange,
    private readonly relay: StreamRelay,
    private readonly owner: StreamOwner,
    private readonly input: AttemptInput,
    /** Response headers: upstream request ids, and the upstream content-type when bytes pass through. */
    private readonly headers: HeaderList | null,
    private readonly contentType: string | undefined,
  ) {
    this.callerKey = callerKeyOf(input);
  }

  /** One upstream read; false: the caller is not keeping up (pause the upstream until resumed). */
  chunk(chunk: Buffer): boolean {
    if (this.ex.done || this.over) {
      this.owner.abortUpstream();
      return true;
    }
    this.pendingChunk = chunk;
    this.ex.res.cork(this.relayCorked);
    return !this.blocked;
  }

  /** Upstream EOF. */
  end(): void {
    if (!this.ex.done && !this.over) this.ex.res.cork(this.endCorked);
  }

  /** Upstream failure after the first byte. */
  fail(err: unknown): void {
    if (this.ex.done || this.over) return;
    this.pendingError = err;
    this.ex.res.cork(this.failCorked);
  }

  write(chunk: string | Uint8Array): void {
    const ex = this.ex;
    if (ex.done) return;
    // An upstream's error event may echo what it received: the operator's key, or the caller's own.
    const data = scrubChunkForCallers(chunk, this.callerKey);
    if (!ex.res.write(data) && !this.blocked) {
      // Native: onWritable (set in begin) resumes. Fallback: node:http buffers; its 'drain' resumes.
      if (isNativeEngine || onceDrained(ex.res, this.drained)) this.blocked = true;
    }
    this.capture?.streamData(data); // issue 4
    const obs = ex.obs;
    if (obs !== null) {
      obs.capture?.chunk(data); // issue 5: streamed completion text, log_prompts only
      if (this.tokenSearchesLeft > 0) {
        this.tokenSearchesLeft--;
        if (carriesToken(data, ex.errorShape)) {
          this.tokenSearchesLeft = 0;
          obs.firstToken(); // issue 5: time to first token
        }
      }
    }
  }

  private begin(): void {
    const ex = this.ex;
    beginSse(ex, this.headers, this.contentType);
    if (!isNativeEngine) return; // the fallback has no onWritable: write() watches node:http's 'drain'
    ex.res.onWritable(() => {
      if (this.blocked) {
        this.blocked = false;
        this.owner.resumeUpstream();
      }
      return true;
    });
  }

  private relayNow(): void {
    const chunk = this.pendingChunk;
    this.pendingChunk = null;
    if (chunk === null || this.ex.done || this.over) return;
    if (!this.ex.headersWritten) this.begin();
    try {
      this.relay.push(chunk, this);
    } catch (err) {
      this.failNow(err);
      return;
    }
    // The answer is whole: the caller need not wait for the upstream's EOF (see StreamRelay.ended).
    if (this.relay.ended?.() === true) {
      // The upstream must still be read to its end (its connection then goes back to the pool):
      // a caller's full socket no longer holds it, the end is written and buffered.
      this.blocked = false;
      this.endNow();
    }
  }

  private endNow(): void {
    const ex = this.ex;
    if (ex.done || this.over) return;
    if (!ex.headersWritten) this.begin();
    let complete: boolean;
    try {
      complete = this.relay.finish(this);
    } catch (err) {
      this.failNow(err);
      return;
    }
    this.over = true;
    this.owner.streamEnded(complete ? this.relay.usage() : this.usageSoFar());
    this.capture?.streamEnd(complete); // issue 4: only a complete stream is cached
    if (complete) this.owner.endAfterState(() => endSse(ex, ''));
    else this.endWithError('GW_ERR_STREAM_INTERRUPTED', `provider ${this.input.target.provider.name} ended the stream before it was complete`);
  }

  /**
   * What the upstream reported so far (an aborted or failed stream counts its tokens too), marked
   * partial unless the answer was whole.
   */
  usageSoFar(): TokenUsage | undefined {
    const usage = this.relay.usage();
    return usage === undefined || this.relay.complete?.() === true ? usage : { ...usage, partial: true };
  }

  private failNow(err: unknown): void {
    if (this.ex.done || this.over) return;
    if (this.relay.complete?.() === true) {
      // The answer was whole: what broke afterwards is no failure of it, nor of the target.
      this.owner.abortUpstream();
      this.endNow();
      return;
    }
    this.over = true;
    this.owner.abortUpstream();
    this.owner.streamEnded(this.usageSoFar());
    if (!this.ex.headersWritten) this.begin();
    const name = this.input.target.provider.name;
    if (err instanceof UpstreamStreamError) {
      this.endWithError('GW_ERR_STREAM_INTERRUPTED', `provider ${name} reported an error mid-stream (${err.upstreamType}): ${err.message}`);
    } else if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') {
      const failure = classifyTransportError(err);
      this.owner.recordFailure(transportFailure(err, this.input));
      this.endWithError(failure.kind === 'timeout' ? 'GW_ERR_UPSTREAM_TIMEOUT' : 'GW_ERR_STREAM_INTERRUPTED', describeTransport(failure, this.input.target, this.input));
    } else {
      const detail = unreadableDetail(err, this.input.target, 'stream event');
      this.endWithError('GW_ERR_STREAM_INTERRUPTED', `provider ${name} sent a stream the gateway cannot read: ${detail}`);
    }
  }

  /** `message` may quote the upstream's error text: scrubbed like every upstream text that reaches callers. */
  private endWithError(code: ErrorCode, message: string): void {
    endSse(this.ex, streamErrorEvent(this.ex.errorShape, code, scrubTextForCallers(message, this.callerKey)));
  }
}
