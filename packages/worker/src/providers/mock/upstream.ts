/**
 * The mock provider as an in-process upstream: it answers like an OpenAI-compatible server (a
 * chat.completion body, or SSE chunks) into the same UpstreamSink an HTTP call feeds, so its
 * answers take the same pipeline path (pass-through for OpenAI callers, translation for
 * Anthropic ones). `latency` before the first byte and `chunk_delay` between chunks are timers,
 * cancelled by abort(); a sink that pushes back (onData false) stops the pump until resume().
 */
import type { ChatCompletionRequest, EmbeddingRequest } from '@gatewayd/shared';
import type { InProcessUpstream, TokenUsage } from '../../pipeline/types.js';
import type { UpstreamHandle, UpstreamSink } from '../../upstream/types.js';
import type { ChatMessage } from '../../routes/chat-request.js';
import { mockEmbeddingItems, mockEmbeddingsEnvelope, planMockEmbeddings, type MockEmbeddingsPlan } from './embeddings.js';
import type { MockOptions } from './options.js';
import { mockCompletionBody, planMockAnswer } from './plan.js';
import { createMockStream, nextBurst, streamFinished, type MockStreamState } from './stream.js';
import { mockToolCall, mockToolCallBody, mockToolCallStream, toolCallTokens } from './tools.js';

const SSE_HEADERS = { 'content-type': 'text/event-stream' };
const JSON_HEADERS = { 'content-type': 'application/json' };
/** Without a chunk delay, bursts are joined into reads of about this size (far fewer writes). */
const BATCH_CHARS = 16 * 1024;

export class MockChatUpstream implements InProcessUpstream, UpstreamHandle {
  usage: TokenUsage | undefined;
  private sink: UpstreamSink | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stream: MockStreamState | null = null;
  private paused = false;
  private aborted = false;
  private readonly onTimer = (): void => {
    this.timer = null;
    if (this.stream === null) this.begin();
    else this.pump();
  };

  constructor(
    private readonly request: ChatCompletionRequest,
    private readonly model: string,
    private readonly requestId: string,
    private readonly options: MockOptions,
    /** Render the usage chunk (stream_options.include_usage). */
    private readonly includeUsage: boolean,
  ) {}

  open(sink: UpstreamSink): UpstreamHandle {
    this.sink = sink;
    if (this.options.latencyMs > 0) this.timer = setTimeout(this.onTimer, this.options.latencyMs);
    else this.begin();
    return this;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused || this.aborted || this.stream === null) return;
    this.paused = false;
    if (this.options.chunkDelayMs > 0) this.timer ??= setTimeout(this.onTimer, this.options.chunkDelayMs);
    else if (this.timer === null) this.pump();
  }

  abort(): void {
    this.aborted = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private begin(): void {
    const sink = this.sink;
    if (sink === null || this.aborted) return;
    const request = this.request;
    const plan = planMockAnswer({ messages: request.messages as ChatMessage[], model: this.model, requestId: this.requestId, chunks: this.options.chunks, nowMs: Date.now() });
    this.usage = { prompt: plan.promptTokens, completion: plan.completionTokens };
    const toolCall = mockToolCall(request, this.requestId);
    if (toolCall !== undefined) {
      // A tool call is short: one read, whether streamed or not.
      this.usage = { prompt: plan.promptTokens, completion: toolCallTokens(toolCall) };
      const streamed = request.stream === true;
      sink.onStart(200, streamed ? SSE_HEADERS : JSON_HEADERS);
      if (!this.aborted) sink.onData(Buffer.from(streamed ? mockToolCallStream(plan, toolCall, this.includeUsage) : mockToolCallBody(plan, toolCall)));
      if (!this.aborted) sink.onEnd();
      return;
    }
    if (request.stream !== true) {
      sink.onStart(200, JSON_HEADERS);
      if (!this.aborted) sink.onData(Buffer.from(mockCompletionBody(plan)));
      if (!this.aborted) sink.onEnd();
      return;
    }
    sink.onStart(200, SSE_HEADERS);
    this.stream = createMockStream(plan, this.includeUsage);
    this.pump();
  }

  /** Emits bursts until the stream ends, a delay is due, or the sink pushes back. */
  private pump(): void {
    const sink = this.sink;
    const state = this.stream;
    if (sink === null || state === null) return;
    const delay = this.options.chunkDelayMs;
    let batch = '';
    while (!this.aborted && !this.paused) {
      const burst = nextBurst(state);
      if (streamFinished(state)) {
        sink.onData(Buffer.from(batch + burst));
        if (!this.aborted) sink.onEnd();
        return;
      }
      if (delay === 0 && batch.length + burst.length < BATCH_CHARS) {
        batch += burst;
        continue;
      }
      const more = sink.onData(Buffer.from(batch + burst));
      batch = '';
      if (!more) this.paused = true;
      else if (delay > 0) {
        this.timer = setTimeout(this.onTimer, delay);
        return;
      }
    }
  }
}

/**
 * Inputs per event-loop turn: about this many floats (~5 ms of hashing and formatting), so the
 * worker's other requests go on while a large answer is built.
 */
const SLICE_VALUES = 16 * 1024;

export class MockEmbeddingsUpstream implements InProcessUpstream, UpstreamHandle {
  usage: TokenUsage | undefined;
  private readonly plan: MockEmbeddingsPlan;
  private readonly envelope: { head: string; tail: string };
  private sink: UpstreamSink | null = null;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private started = false;
  /** The next input to answer. */
  private next = 0;
  private paused = false;
  private aborted = false;
  private readonly onImmediate = (): void => {
    this.immediate = null;
    this.pump();
  };

  /** Throws TranslationError when the request is beyond the mock's bounds. */
  constructor(request: EmbeddingRequest, model: string, private readonly latencyMs: number) {
    this.plan = planMockEmbeddings(request, model);
    this.envelope = mockEmbeddingsEnvelope(this.plan);
  }

  open(sink: UpstreamSink): UpstreamHandle {
    this.sink = sink;
    if (this.latencyMs > 0) this.timer = setTimeout(() => this.begin(), this.latencyMs);
    else this.begin();
    return this;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused || this.aborted) return;
    this.paused = false;
    if (this.started) this.immediate ??= setImmediate(this.onImmediate);
  }

  abort(): void {
    this.aborted = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private begin(): void {
    this.timer = null;
    const sink = this.sink;
    if (sink === null || this.aborted) return;
    this.usage = { prompt: this.plan.promptTokens, completion: 0 };
    this.started = true;
    sink.onStart(200, JSON_HEADERS);
    this.pump();
  }

  /** One slice of inputs per turn; the last one closes the body. */
  private pump(): void {
    const sink = this.sink;
    if (sink === null || this.aborted || this.paused) return;
    const plan = this.plan;
    const from = this.next;
    const to = Math.min(plan.texts.length, from + Math.max(1, Math.floor(SLICE_VALUES / plan.dimensions)));
    const last = to === plan.texts.length;
    let piece = mockEmbeddingItems(plan, from, to);
    if (from === 0) piece = this.envelope.head + piece;
    if (last) piece += this.envelope.tail;
    this.next = to;
    const more = sink.onData(Buffer.from(piece));
    if (this.aborted) return;
    if (last) {
      sink.onEnd();
      return;
    }
    if (!more) this.paused = true;
    else this.immediate = setImmediate(this.onImmediate);
  }
}
