/**
 * One attempt against one target: sends the upstream request and receives its answer
 * (UpstreamSink). Until the first byte goes to the caller the attempt can still fail over: it
 * resolves with a failure and the Router tries the next target. A streamed answer commits on its
 * first chunk (the attempt resolves ok: latency to first byte) and is handed to a ClientStream;
 * complete answers are delivered (or turned into failures) once their body is in.
 */
import type { AttemptFailure, AttemptResult } from '../routing/index.js';
import type { Exchange, HeaderList } from '../http/exchange.js';
import { sendAtTurnEnd } from '../http/turn-end.js';
import { corked, sendBody, sendGatewayError } from '../http/respond.js';
import { classifyStatus, MAX_RETRY_AFTER_MS, parseRetryAfter } from '../routing/index.js';
import { BatchedCall } from '../upstream/batched-call.js';
import { HttpCall } from '../upstream/call.js';
import type { UpstreamHandle, UpstreamHeaders, UpstreamSink } from '../upstream/types.js';
import { MAX_ANSWER_BYTES } from './answer-limit.js';
import { ClientStream, type StreamOwner } from './client-stream.js';
import { answerTooLargeFailure, clientErrorFrom, emptyStreamFailure, redirectFailure, statusFailure, transportFailure, unreadableFailure } from './failures.js';
import type { ProxyRequest } from './proxy.js';
import { callerKeyOf, isBatched, isInProcess, type AttemptInput, type ExchangePlan, type TokenUsage, type UpstreamRequest } from './types.js';
import { scrubBodyForCallers } from '../observe/secrets.js';
import { leadingStreamError } from './leading-error.js';
import { prepareHit, sendCached } from '../cache/serve.js';
import { isEventStreamType, startsLikeEventStream } from './media-type.js';
import { PrimedRelay, readFirst } from './primed-relay.js';
import { UpstreamStreamError } from '../protocol/errors.js';

type Phase = 'waiting' | 'body' | 'error-body' | 'stream-head' | 'streaming' | 'over';

/** Error bodies are read up to this size (they only feed a message). */
const MAX_ERROR_BODY = 64 * 1024;
const OK: AttemptResult = { ok: true };
const JSON_TYPE = 'application/json';

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Upstream request ids, under names that do not collide with the gateway's own x-request-id. */
function upstreamHeaderList(headers: UpstreamHeaders): HeaderList | null {
  let list: Array<[string, string]> | null = null;
  const upstreamId = first(headers['x-request-id']);
  if (upstreamId !== undefined) (list ??= []).push(['x-upstream-request-id', upstreamId]);
  const requestId = first(headers['request-id']);
  if (requestId !== undefined) (list ??= []).push(['request-id', requestId]);
  return list;
}

function isEventStream(headers: UpstreamHeaders): boolean {
  return isEventStreamType(first(headers['content-type']));
}

export class Attempt implements UpstreamSink, StreamOwner {
  private phase: Phase = 'waiting';
  /** A streamed answer whose content-type did not say so (startsLikeEventStream): the caller's says it. */
  private unlabelledStream = false;
  private status = 0;
  private headers: UpstreamHeaders = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private handle: UpstreamHandle | null = null;
  private abortPending = false;
  private stream: ClientStream | null = null;
  private settled = false;
  /** Router time at the start (see recordFailure). */
  private startedAt = 0;
  private resolve: (result: AttemptResult) => void = () => {};

  constructor(
    private readonly proxy: ProxyRequest,
    private readonly plan: ExchangePlan,
    private readonly input: AttemptInput,
    /** The key came from the provider config (rotated and cooled down), not from the caller. */
    private readonly keyFromConfig: boolean,
  ) {}

  run(request: UpstreamRequest): Promise<AttemptResult> {
    this.startedAt = this.proxy.deps.router.now();
    this.proxy.ex.obs?.attemptStarted(); // issue 5: upstream time, attempt span
    const promise = new Promise<AttemptResult>((resolve) => (this.resolve = resolve));
    if (isInProcess(request)) {
      this.handle = request.open(this);
    } else if (isBatched(request)) {
      const call = new BatchedCall(this, request, this.proxy.deps.pools, MAX_ANSWER_BYTES);
      this.handle = call;
      call.start();
    } else {
      const call = new HttpCall(this);
      this.handle = call;
      call.start(this.proxy.deps.pools, request);
    }
    if (this.abortPending) this.handle.abort();
    return promise;
  }

  /**
   * The request went upstream and no answer has come yet, or a success is being read: what it
   * costs is the provider's to say. Not while it waits for a connection, nor once an error status
   * came (nothing was generated).
   */
  get inFlight(): boolean {
    switch (this.phase) {
      case 'waiting':
        return this.handle !== null && this.handle.sent !== false;
      case 'body':
      case 'stream-head':
      case 'streaming':
        return true;
      default:
        return false;
    }
  }

  /** The caller went away or the drain deadline cut the request: stop, report nothing. */
  abort(): void {
    this.phase = 'over';
    this.abortUpstream();
    // Tokens a stream reported before the cut were spent (and billed) all the same.
    if (this.stream !== null) this.streamEnded(this.stream.usageSoFar());
    this.ex.obs?.attemptEnded(); // issue 5
    // The router stopped waiting on its abort signal; this only releases the promise.
    this.settle({ ok: false, failure: { kind: 'reset', error: transportFailure(new Error('cancelled'), this.input).error } }, false);
  }

  private get ex(): Exchange {
    return this.proxy.ex;
  }

  // ---- StreamOwner -------------------------------------------------------------------------

  abortUpstream(): void {
    if (this.handle !== null) this.handle.abort();
    else this.abortPending = true;
  }

  resumeUpstream(): void {
    this.handle?.resume();
  }

  /**
   * A failure after the first byte (a stream cut). Dated from the attempt's start, so a breaker
   * that opened and closed meanwhile does not count it (see CircuitBreaker.onFailure).
   */
  recordFailure(failure: AttemptFailure): void {
    this.proxy.deps.router.recordFailure(this.input.target, failure, { startedAt: this.startedAt, probe: false });
    this.ex.obs?.lateFailure(failure); // issue 5: the attempt span
  }

  streamEnded(usage: TokenUsage | undefined): void {
    this.proxy.usage = usage;
    if (this.ex.obs !== null) this.ex.obs.usage = usage; // issue 5: tokens and cost
  }

  endAfterState(end: () => void): void {
    // issue 4: as for a complete plain answer, the settle (and cache write) go before the end.
    const sendAfterState = this.proxy.sendAfterState;
    if (sendAfterState === null) end();
    // The caller may leave (or a drain cut the request) while the end waits: nothing to end then.
    else sendAfterState(() => void (this.ex.done || corked(this.ex, end)), 200);
  }

  /** `observed` false: the caller went away, which says nothing about the provider (issue 5). */
  private settle(result: AttemptResult, observed = true): void {
    if (this.settled) return;
    this.settled = true;
    if (observed) this.ex.obs?.attemptSettled(result); // issue 5: the attempt span
    if (!result.ok && result.failure.kind === 'rate_limited') this.proxy.lastRateLimit = result.failure;
    this.resolve(result);
  }

  // ---- UpstreamSink ------------------------------------------------------------------------

  onStart(status: number, headers: UpstreamHeaders): void {
    if (this.phase !== 'waiting') return;
    this.status = status;
    this.headers = headers;
    this.ex.obs?.upstreamResponded(status, headers); // issue 5: upstream request id
    if (status < 200 || status >= 300) this.phase = 'error-body';
    else this.phase = this.input.request.stream && isEventStream(headers) ? 'stream-head' : 'body';
  }

  onData(chunk: Buffer): boolean {
    switch (this.phase) {
      case 'body':
        if (this.size === 0 && this.input.request.stream && startsLikeEventStream(chunk)) {
          // A stream under another content-type (or none): streamed as one, not failed as a plain answer.
          this.unlabelledStream = true;
          this.phase = 'stream-head';
          return this.onData(chunk);
        }
        if (this.size + chunk.length > MAX_ANSWER_BYTES) {
          this.answerTooLarge();
          return true;
        }
        this.chunks.push(chunk);
        this.size += chunk.length;
        return true;
      case 'error-body':
        this.chunks.push(chunk);
        this.size += chunk.length;
        // Enough to quote and pass on: the rest of a huge or trickling error body would only hold
        // back the failover (the connection is closed instead of drained).
        if (this.size >= MAX_ERROR_BODY) this.errorBodyRead();
        return true;
      case 'stream-head': {
        const leading = leadingStreamError(chunk);
        if (leading !== null) {
          this.failBeforeFirstByte(leading.status, leading.body);
          return true;
        }
        const stream = this.commitStream(chunk);
        return stream === null || stream.chunk(chunk);
      }
      case 'streaming':
        return (this.stream as ClientStream).chunk(chunk);
      default:
        return true;
    }
  }

  onEnd(): void {
    const phase = this.phase;
    this.phase = 'over';
    this.ex.obs?.attemptEnded(); // issue 5: upstream time stops here
    switch (phase) {
      case 'body':
        this.deliverPlain();
        return;
      case 'error-body':
        this.deliverErrorStatus();
        return;
      case 'stream-head':
        this.settle({ ok: false, failure: emptyStreamFailure(this.input.target) });
        return;
      case 'streaming':
        this.stream?.end();
        return;
      default:
        return;
    }
  }

  private errorBodyRead(): void {
    this.stopReading();
    this.deliverErrorStatus();
  }

  /** The attempt has what it needs (or gives up): the rest of the upstream's answer is not read. */
  private stopReading(): void {
    this.phase = 'over';
    this.abortUpstream();
    this.ex.obs?.attemptEnded(); // issue 5: the sink hears nothing more after the abort
  }

  onError(err: Error): void {
    const phase = this.phase;
    if (phase === 'over') return;
    this.phase = 'over';
    this.ex.obs?.attemptEnded(); // issue 5
    if (phase !== 'streaming') {
      this.settle({ ok: false, failure: transportFailure(err, this.input) });
      return;
    }
    this.stream?.fail(err);
  }

  // ---- streamed answers ----------------------------------------------------------------------

  /** Null: the first read is unreadable and the attempt failed (nothing reached the caller). */
  private commitStream(chunk: Buffer): ClientStream | null {
    let relay = this.plan.stream(this.input);
    if (!this.plan.sameProtocol) {
      // Translated: decoded before anything is sent (see primed-relay.ts). An upstream error event
      // still goes to the caller as a stream error, as before (leading-error.ts judges those).
      const read = readFirst(relay, chunk);
      if (read.failed && !(read.error instanceof UpstreamStreamError)) {
        this.stopReading();
        this.failUnreadable(read.error);
        return null;
      }
      relay = new PrimedRelay(relay, read);
    }
    this.phase = 'streaming';
    const contentType = this.plan.sameProtocol && !this.unlabelledStream ? first(this.headers['content-type']) : undefined;
    this.stream = new ClientStream(this.ex, relay, this, this.input, upstreamHeaderList(this.headers), contentType);
    this.stream.capture = this.proxy.capture; // issue 4: the response cache sees what the caller gets
    this.settle(OK);
    return this.stream;
  }

  // ---- complete answers ----------------------------------------------------------------------

  private body(): Buffer {
    const chunks = this.chunks;
    this.chunks = [];
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.size);
  }

  /** A leading stream error: judged as that status with that JSON body (see leading-error.ts). */
  private failBeforeFirstByte(status: number, body: Buffer): void {
    this.stopReading();
    this.status = status;
    this.headers = { ...this.headers, 'content-type': JSON_TYPE };
    this.chunks = [body];
    this.size = body.length;
    this.deliverErrorStatus();
  }

  /** The buffered answer passed MAX_ANSWER_BYTES: stop reading it and fail the attempt. */
  private answerTooLarge(): void {
    this.stopReading();
    this.chunks = [];
    this.size = 0;
    this.settle({ ok: false, failure: answerTooLargeFailure(MAX_ANSWER_BYTES, this.status, this.input.target) });
  }

  private deliverPlain(): void {
    const body = this.body();
    const contentType = first(this.headers['content-type']);
    let answer;
    try {
      answer = this.plan.plain(body, this.status, contentType, this.input);
    } catch (err) {
      this.failUnreadable(err);
      return;
    }
    // A streamed request answered whole (a server that ignores `stream`): the caller still gets its
    // stream, replayed from the answer as a cache hit would be. Only from one JSON answer (the
    // parse is the check): Ollama's ndjson, say, is not one and fails the attempt.
    const replay = this.input.request.stream ? prepareHit(this.input.request, typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body) : null;
    if (this.input.request.stream && replay === null) {
      this.failUnreadable(new Error(`a stream was asked for and the answer (${contentType?.slice(0, 60) ?? 'no content-type'}) is neither an event stream nor one JSON answer`));
      return;
    }
    this.proxy.usage = answer.usage;
    this.proxy.capture?.plain(answer); // issue 4: response cache
    const obs = this.ex.obs; // issue 5: tokens and cost; the completion text only with log_prompts
    if (obs !== null) {
      obs.usage = answer.usage;
      obs.capture?.answer(answer.body);
    }
    const extra = upstreamHeaderList(this.headers);
    const send = replay !== null ? (): void => sendCached(this.ex, replay, extra) : (): void => sendBody(this.ex, answer.status, answer.contentType, answer.body, extra);
    const sendAfterState = this.proxy.sendAfterState; // issue 4: the settle and cache write go before the answer
    if (sendAfterState !== null) sendAfterState(send, answer.status);
    else sendAtTurnEnd(send);
    this.settle(OK);
  }

  /** A 2xx answer the gateway cannot read: a failed attempt (failover, never cached; 502 at the end). */
  private failUnreadable(err: unknown): void {
    this.settle({ ok: false, failure: unreadableFailure(err, this.status, this.input.target, callerKeyOf(this.input)) });
  }

  private deliverErrorStatus(): void {
    const { headers, input } = this;
    const { target, apiKey } = input;
    const raw = this.body();
    const hint = this.proxy.deps.adapters[target.provider.type].errorHint?.(this.status, raw);
    const status = hint?.status ?? this.status;
    const body = scrubBodyForCallers(raw, callerKeyOf(this.input));
    const kind = classifyStatus(status);
    const clientKey = this.input.keyFromCaller;
    const passThrough = this.plan.sameProtocol && status >= 400 && status < 500;
    if (kind === 'ok') {
      this.settle({ ok: false, failure: redirectFailure(status, first(headers.location), target) });
      return;
    }
    if (kind === 'client_error') {
      // The request itself is wrong: no other target will like it better.
      if (passThrough) sendBody(this.ex, status, first(headers['content-type']) ?? JSON_TYPE, body, upstreamHeaderList(headers));
      else sendGatewayError(this.ex, clientErrorFrom(status, body, target));
      this.settle(OK);
      return;
    }
    const retryAfterMs = parseRetryAfter(headers, Date.now()) ?? (hint?.retryAfterMs === undefined ? undefined : Math.min(hint.retryAfterMs, MAX_RETRY_AFTER_MS));
    if (kind === 'auth' && clientKey && passThrough) {
      // The caller's own key was refused: its provider's answer, as it is.
      sendBody(this.ex, status, first(headers['content-type']) ?? JSON_TYPE, body, upstreamHeaderList(headers));
    }
    // Cooling a key down only helps when there is another to rotate to; cooling a provider's only
    // key would also defeat the retry after its retry-after (the breaker guards the provider).
    if (this.keyFromConfig && apiKey !== undefined && (kind === 'auth' || kind === 'rate_limited') && target.provider.api_keys.length > 1) {
      this.proxy.deps.router.coolDownKey(target.provider, apiKey, status, retryAfterMs);
    }
    this.settle({ ok: false, failure: statusFailure(kind, status, body, retryAfterMs, clientKey, target) });
  }
}
