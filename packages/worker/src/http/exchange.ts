/**
 * One request/response pair and its bookkeeping: in-flight and stream counters, the drain
 * activity clock, the access line. A uWS response must not be touched after it ended or was
 * aborted, so every writer checks `done` first.
 */
import type { RequestObservation } from '../observe/observation.js';
import type { WorkerState } from '../state.js';
import type { HttpResponse } from './uws.js';

/** Logged status of a request the client abandoned (nginx's convention). */
export const CLIENT_CLOSED_STATUS = 499;

/** The error body shape a caller understands: OpenAI's or Anthropic's. */
export type ErrorShape = 'openai' | 'anthropic';

/** Response headers as name/value pairs, written in order. */
export type HeaderList = ReadonlyArray<readonly [string, string]>;

/** Work an async handler started (timers, an upstream call): stopped on abort and at the drain cut. */
export interface Cancellable {
  cancel(): void;
}

export class Exchange {
  status = 0;
  /** The response ended or the client went away: `res` is off limits. */
  done = false;
  headersWritten = false;
  streaming = false;
  /** True while the uWS handler runs synchronously: writes are already corked. */
  inHandler = true;
  /**
   * The client sent `Connection: close`. uWS closes such a connection after the answer but does
   * not say so in the headers, so answers announce it themselves (clients and wrk expect it).
   */
  closeRequested = false;
  /** `close` inside a token list (`keep-alive, close`): uWS misses it, so answers end with close. */
  closeListed = false;
  /** Error bodies and stream error events use this protocol's shape (set from the path). */
  errorShape: ErrorShape = 'openai';
  /** CORS headers for this request's Origin (null: none to send). Written on every answer. */
  cors: HeaderList | null = null;
  /** Stops the handler's work; set by async handlers, called on abort and at the drain cut. */
  cancel: Cancellable | null = null;
  /** issue 4: headers every answer to this request carries (x-ratelimit-*, x-cache), set before it starts. */
  stateHeaders: HeaderList | null = null;
  /** issue 4: runs once when the response ends, however it ends (settles the rate-limit reservation). */
  onFinished: (() => void) | null = null;
  /** issue 5: metrics, access line and trace of an LLM API request (observe/); null for other routes. */
  obs: RequestObservation | null = null;
  /** issue 4 -> issue 5: the response cache's verdict, read once at finish (metrics, access line). */
  cacheStatus: 'hit' | 'miss' | 'bypass' | 'off' = 'off';
  /** goAsync() was called: the response may legitimately come after the handler returned. */
  private tracked = false;
  /** Links of WorkerState.pending (an intrusive list: see pending.ts). */
  pendingPrev: Exchange | null = null;
  pendingNext: Exchange | null = null;
  readonly startedAt: number;

  constructor(
    readonly res: HttpResponse,
    readonly worker: WorkerState,
    readonly id: string,
    /** Lower case, as uWS reports it. */
    readonly method: string,
    readonly path: string,
  ) {
    this.startedAt = performance.now();
    worker.requestsTotal++;
    worker.inFlight++;
    worker.lastActivityAt = this.startedAt;
  }

  /**
   * The answer comes later (body, timers): watch for the client going away and let a drain
   * deadline find this request. Must be called inside the uWS handler.
   */
  goAsync(): void {
    if (this.tracked) return;
    this.tracked = true;
    this.worker.pending.add(this);
    this.res.onAborted(() => this.onClientAbort());
  }

  get isAsync(): boolean {
    return this.tracked;
  }

  /** Counts the response as a stream (active_streams) once its headers go out. */
  markStreaming(): void {
    this.streaming = true;
    this.worker.activeStreams++;
    this.obs?.streamStarted(); // issue 5: llm_gateway_active_streams
  }

  /** The response must announce and perform a connection close (drain, client asked). */
  get closing(): boolean {
    return this.worker.draining || this.closeRequested || this.closeListed;
  }

  finish(status: number): void {
    if (this.done) return;
    this.done = true;
    this.status = status;
    this.cancel = null;
    const worker = this.worker;
    worker.inFlight--;
    if (this.streaming) worker.activeStreams--;
    if (this.tracked) worker.pending.delete(this);
    const now = performance.now();
    worker.lastActivityAt = now;
    // issue 5: an API request records its metrics, access line and span exactly once, here.
    if (this.obs !== null) this.obs.finish(this, now);
    else if (worker.accessLog) {
      worker.logger.debug(
        { reqId: this.id, method: this.method.toUpperCase(), path: this.path, status, durationMs: Math.round((now - this.startedAt) * 1000) / 1000 },
        'request',
      );
    }
    // issue 4: shared-state bookkeeping of this request (pipeline/admission.ts), before a drain may exit.
    const onFinished = this.onFinished;
    if (onFinished !== null) {
      this.onFinished = null;
      onFinished();
    }
    if (worker.draining) worker.onRequestFinished?.();
  }

  /** Stops the handler's work (if any) exactly once. */
  cancelWork(): void {
    const work = this.cancel;
    this.cancel = null;
    work?.cancel();
  }

  private onClientAbort(): void {
    // The fallback engine also reports the socket closing after a completed response: ignore it.
    if (this.done) return;
    const work = this.cancel;
    this.cancel = null;
    // The work stops first, so what it counted (the tokens a stream reported) is there when
    // finish() records the request and settles its rate-limit reservation.
    work?.cancel();
    this.finish(CLIENT_CLOSED_STATUS);
  }
}
