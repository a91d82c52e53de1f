/**
 * One API request as observed from start to finish: who called (key name), which model and which
 * target actually served it, the time spent in upstream calls, the first byte of a stream, token
 * usage, the cache verdict. Exchange.finish() calls finish() exactly once, whatever ended the
 * request (answer, error, 429, client abort, drain cut); that single call records the metrics,
 * writes the access line and ends the trace span. Events after finish are ignored.
 *
 * The access line and the metrics record are ONE object (RequestRecord plus the log-only fields),
 * serialised once by pino.
 */
import type { ModelConfig } from '@gatewayd/shared';
import type { Exchange } from '../http/exchange.js';
import type { RequestRecord } from '../metrics/index.js';
import type { TokenUsage } from '../pipeline/types.js';
import type { AttemptFailure, AttemptResult, RouteTarget } from '../routing/index.js';
import type { UpstreamHeaders } from '../upstream/types.js';
import type { ObserveContext } from './context.js';
import type { CompletionCapture } from './prompts.js';
import { bool, int, str } from './tracing/span.js';
import type { SpanBuilder } from './tracing/tracer.js';

/** The access line: the metrics record plus what only the log needs. */
export interface AccessLine extends RequestRecord {
  reqId: string;
  method: string;
  path: string;
  /** Upstream model name of the target that served the request. */
  target: string | null;
  attempts: number;
  upstreamRequestId: string | null;
  prompt?: unknown;
  completion?: string;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

export class RequestObservation {
  keyName: string | null = null;
  /** The configured model (an alias resolved); null before resolution or when unknown. */
  model: ModelConfig | null = null;
  /** The name the caller sent (logged when it did not resolve). */
  requestedModel = '';
  stream = false;
  target: RouteTarget | null = null;
  attempts = 0;
  upstreamRequestId: string | null = null;
  usage: TokenUsage | undefined = undefined;
  /** log_prompts only. */
  prompt: unknown = undefined;
  capture: CompletionCapture | null = null;
  private upstreamMs = 0;
  /** Waits between attempts (retry backoff, retry-after), ms: see ProxyRequest. */
  retryWaitMs = 0;
  /** performance.now() when the running attempt started; -1: none running. */
  private openedAt = -1;
  private firstTokenAt = -1;
  private streamCounted = false;
  private finished = false;
  private attemptSpan: SpanBuilder | null = null;

  constructor(
    private readonly ctx: ObserveContext,
    private readonly span: SpanBuilder | null,
  ) {}

  /** The target an attempt (or a local answer) is for. */
  routedTo(target: RouteTarget): void {
    if (!this.finished) this.target = target;
  }

  attemptStarted(): void {
    if (this.finished) return;
    const now = performance.now();
    this.closeAttempt(now);
    this.exportAttemptSpan(now);
    this.attempts++;
    this.openedAt = now;
    const target = this.target;
    if (this.span !== null && this.ctx.tracer !== null && target !== null) {
      const span = this.ctx.tracer.startAttempt(this.span, `upstream ${target.provider.name}`, now);
      span.add(str('gateway.provider', target.provider.name));
      span.add(str('gateway.provider.type', target.provider.type));
      span.add(str('gen_ai.request.model', target.model));
      span.add(int('gateway.attempt', this.attempts));
      this.attemptSpan = span;
    }
  }

  /** The upstream's status line and headers arrived. */
  upstreamResponded(status: number, headers: UpstreamHeaders): void {
    if (this.finished) return;
    this.upstreamRequestId = first(headers['x-request-id']) ?? first(headers['request-id']) ?? null;
    this.attemptSpan?.add(int('http.response.status_code', status));
    if (this.upstreamRequestId !== null) this.attemptSpan?.add(str('gateway.upstream_request_id', this.upstreamRequestId));
  }

  /** The upstream call is over (answer read, failed, or aborted): its time stops counting. */
  attemptEnded(): void {
    if (!this.finished) this.closeAttempt(performance.now());
  }

  /**
   * The attempt's verdict (a stream: at its first chunk; a complete answer: right after it was
   * sent). Provider health hears it from the router, which records it (observe/passive-health.ts).
   */
  attemptSettled(result: AttemptResult): void {
    if (result.ok) return;
    this.attemptSpan?.add(str('error.type', result.failure.kind));
    this.attemptSpan?.fail(result.failure.error.message);
  }

  /** A stream failed after its first byte (the router has already recorded it). */
  lateFailure(failure: AttemptFailure): void {
    this.attemptSpan?.fail(failure.error.message);
  }

  /** The first bytes with generated content went to the caller (observe/first-token.ts; a cached replay sends it all at once). */
  firstToken(): void {
    if (this.firstTokenAt < 0) this.firstTokenAt = performance.now();
  }

  /** The stream's headers are written (http/sse.ts beginSse). */
  streamStarted(): void {
    if (this.streamCounted || this.finished) return;
    this.streamCounted = true;
    this.ctx.recorder.streamStarted();
  }

  /** Called by Exchange.finish() with the final status already set; never throws. */
  finish(ex: Exchange, now: number): void {
    if (this.finished) return;
    this.finished = true;
    try {
      this.closeAttempt(now);
      this.record(ex, now);
    } catch (err) {
      this.ctx.logger.error({ err, reqId: ex.id }, 'could not record a finished request');
    }
  }

  private record(ex: Exchange, now: number): void {
    const { ctx, target, usage } = this;
    const line: AccessLine = {
      reqId: ex.id,
      method: ex.method.toUpperCase(),
      path: ex.path,
      keyName: this.keyName,
      model: this.model?.name ?? this.requestedModel,
      provider: target?.provider.name ?? '',
      target: target?.model ?? null,
      status: ex.status,
      promptTokens: usage?.prompt ?? 0,
      completionTokens: usage?.completion ?? 0,
      cachedTokens: usage?.cached ?? 0,
      costUsd: ctx.costs.costOf(target, usage),
      ttftMs: this.stream && this.firstTokenAt >= 0 ? round3(this.firstTokenAt - ex.startedAt) : null,
      durationMs: round3(now - ex.startedAt),
      upstreamMs: this.attempts > 0 ? round3(this.upstreamMs) : null,
      retryWaitMs: round3(this.retryWaitMs),
      cache: ex.cacheStatus,
      stream: this.stream,
      attempts: this.attempts,
      upstreamRequestId: this.upstreamRequestId,
    };
    // Metrics labels use the configured model name only: an unknown name is not a label.
    const requestedOnly = this.model === null;
    if (requestedOnly) line.model = '';
    ctx.recorder.recordRequest(line);
    if (requestedOnly) line.model = this.requestedModel;
    if (this.streamCounted) ctx.recorder.streamEnded();
    if (ctx.accessLog) {
      if (ctx.logPrompts) {
        line.prompt = this.prompt;
        line.completion = this.capture?.text() ?? '';
      }
      ctx.logger.info(line, 'access');
    }
    this.exportAttemptSpan(now);
    if (this.span !== null) this.endSpan(line, now);
  }

  private endSpan(line: AccessLine, now: number): void {
    const span = this.span as SpanBuilder;
    const tracer = this.ctx.tracer;
    if (tracer === null) return;
    span.add(str('http.request.method', line.method));
    span.add(str('http.route', line.path));
    span.add(int('http.response.status_code', line.status));
    span.add(str('gateway.request_id', line.reqId));
    if (line.model !== '') span.add(str('gen_ai.request.model', line.model));
    if (line.provider !== '') span.add(str('gateway.provider', line.provider));
    if (line.target !== null) span.add(str('gateway.target', line.target));
    if (line.keyName !== null) span.add(str('gateway.key_name', line.keyName));
    span.add(int('gen_ai.usage.input_tokens', line.promptTokens));
    span.add(int('gen_ai.usage.output_tokens', line.completionTokens));
    span.add(str('gateway.cache', line.cache));
    span.add(bool('gateway.stream', line.stream));
    if (line.ttftMs !== null) span.add(int('gateway.ttft_ms', line.ttftMs));
    if (line.status >= 500 || line.status === 0) span.fail(`HTTP ${line.status}`);
    tracer.end(span, now);
  }

  /** The upstream call is over: its time is added, its span's end time fixed (exported later). */
  private closeAttempt(now: number): void {
    if (this.openedAt < 0) return;
    this.upstreamMs += now - this.openedAt;
    this.openedAt = -1;
    this.attemptSpan?.stop(now);
  }

  /** The attempt's verdict may arrive after its upstream call ended: its span goes out at the next attempt or at finish. */
  private exportAttemptSpan(now: number): void {
    if (this.attemptSpan !== null && this.ctx.tracer !== null) this.ctx.tracer.end(this.attemptSpan, now);
    this.attemptSpan = null;
  }
}
