/**
 * The pipeline's vocabulary: the caller's request as read by an endpoint, what one attempt against
 * one routing target needs, and the plan of a (client protocol, provider) pair.
 */
import type {
  AnthropicCountTokensRequest,
  AnthropicMessagesRequest,
  ChatCompletionRequest,
  CompletionRequest,
  EmbeddingRequest,
} from '@gatewayd/shared';
import type { MockOverrideHeaders } from '../providers/mock/options.js';
import type { RouteTarget } from '../routing/index.js';
import type { BatchedUpstreamRequest, HttpUpstreamRequest, UpstreamHandle, UpstreamSink } from '../upstream/types.js';

export type ClientProtocol = 'openai-chat' | 'openai-completions' | 'openai-embeddings' | 'anthropic-messages' | 'anthropic-count-tokens';

/** The validated request body, tagged with the protocol it came in. */
export type ClientCall =
  | { protocol: 'openai-chat'; body: ChatCompletionRequest }
  | { protocol: 'openai-completions'; body: CompletionRequest }
  | { protocol: 'openai-embeddings'; body: EmbeddingRequest }
  | { protocol: 'anthropic-messages'; body: AnthropicMessagesRequest }
  | { protocol: 'anthropic-count-tokens'; body: AnthropicCountTokensRequest };

/** Client headers that travel upstream when the upstream speaks their protocol ('' when absent). */
export interface ForwardHeaders {
  anthropicVersion: string;
  anthropicBeta: string;
  openaiOrganization: string;
  openaiProject: string;
}

export interface ClientRequest {
  readonly call: ClientCall;
  /** The body bytes exactly as received: forwarded unchanged when nothing needs to change. */
  readonly raw: Buffer;
  readonly stream: boolean;
  /** OpenAI callers: stream_options.include_usage was set (the usage chunk is kept). */
  readonly callerWantsUsage: boolean;
  readonly forward: ForwardHeaders;
  /** The mock provider's per-request overrides (load tests). */
  readonly mock: MockOverrideHeaders | null;
  readonly requestId: string;
  /** The OpenAI Chat (hub) form of the request, made once on first need and reused by failover. */
  hub?: ChatCompletionRequest;
}

export interface TokenUsage {
  /** Input tokens, cached ones included (OpenAI's convention). */
  prompt: number;
  completion: number;
  /** issue 5: the part of `prompt` read from the provider's prompt cache (cost at cached_input); absent: 0. */
  cached?: number;
  /** The part of `prompt` written to the provider's prompt cache (Anthropic: cost at cache_write); absent: 0. */
  cacheWrite?: number;
  /** The part of `cacheWrite` with a 1-hour lifetime (cost at cache_write_1h); absent: 0. */
  cacheWrite1h?: number;
  /**
   * The stream was cut (abort, failure) before its final usage: `completion` is what was counted
   * so far (Anthropic's message_start says 1, Gemini's counts grow), a lower bound.
   */
  partial?: true;
  /**
   * No upstream reported these figures: the gateway estimated them (a prompt estimate, a token per
   * streamed chunk) for the token and cost metrics. Limits keep the reservation for such an answer,
   * and the cache stores no usage for it.
   */
  estimated?: true;
}

/** One attempt against one target. */
export interface AttemptInput {
  readonly request: ClientRequest;
  readonly target: RouteTarget;
  /** Provider key for this attempt (config rotation or the caller's own); undefined: none. */
  readonly apiKey: string | undefined;
  /** apiKey is the caller's own: no credential from the provider config goes with it. */
  readonly keyFromCaller: boolean;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
}

/** The caller's own provider key when the attempt goes with it: scrubbed from upstream text that reaches anyone. */
export function callerKeyOf(input: AttemptInput): string | undefined {
  return input.keyFromCaller ? input.apiKey : undefined;
}

/** An upstream served inside the worker (the mock provider). */
export interface InProcessUpstream {
  open(sink: UpstreamSink): UpstreamHandle;
}

export type UpstreamRequest = HttpUpstreamRequest | InProcessUpstream | BatchedUpstreamRequest;

export function isInProcess(request: UpstreamRequest): request is InProcessUpstream {
  return typeof (request as Partial<InProcessUpstream>).open === 'function';
}

export function isBatched(request: UpstreamRequest): request is BatchedUpstreamRequest {
  return Array.isArray((request as Partial<BatchedUpstreamRequest>).batches);
}

/** A complete (non-streamed) answer for the caller. */
export interface PlainAnswer {
  status: number;
  contentType: string;
  body: Buffer | string;
  usage: TokenUsage | undefined;
}

/** Where a stream relay writes the caller's bytes (the uWS response, with backpressure). */
export interface ChunkWriter {
  write(data: string | Uint8Array): void;
}

/** Turns one upstream stream into the caller's stream, chunk by chunk. */
export interface StreamRelay {
  /** One upstream read. Throws when the upstream stream is broken (error event, bad JSON). */
  push(chunk: Buffer, out: ChunkWriter): void;
  /** Upstream EOF: writes what remains. False when the upstream stream ended early. */
  finish(out: ChunkWriter): boolean;
  usage(): TokenUsage | undefined;
  /**
   * The upstream already sent its protocol's end (message_stop, [DONE]): a failure after it (a
   * reset, an idle timeout before EOF) ends the answer normally. Absent: never known early.
   */
  complete?(): boolean;
  /**
   * The upstream's last event arrived ([DONE], message_stop; not a finish_reason, which a usage
   * chunk may follow): the caller's stream ends now, not at the upstream's EOF, which an upstream
   * or a proxy may hold back. Absent: the stream ends at EOF.
   */
  ended?(): boolean;
}

/** How a client call is served by one kind of provider. */
export interface ExchangePlan {
  /** Caller and upstream speak one protocol: upstream 4xx bodies reach the caller unchanged. */
  readonly sameProtocol: boolean;
  /** Answered by the gateway itself, without an upstream call (count_tokens estimates). */
  localAnswer?(): PlainAnswer;
  /** The upstream request for one attempt. Throws TranslationError when it cannot be expressed. */
  request(input: AttemptInput): UpstreamRequest;
  /** A complete 2xx upstream body turned into the caller's answer. Throws when it is unreadable. */
  plain(body: Buffer, status: number, contentType: string | undefined, input: AttemptInput): PlainAnswer;
  /** A fresh relay for a streamed 2xx answer. */
  stream(input: AttemptInput): StreamRelay;
}
