/**
 * What a provider adapter (providers/<type>/adapter.ts) supplies to the pipeline.
 *
 * OpenAI Chat is the hub: a caller's request is turned into a hub request once, a provider turns
 * the hub request into its own and its answers back into hub responses or chunks. When the caller
 * already speaks the provider's protocol, the adapter's native() plan forwards bytes instead.
 */
import type { ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse, EmbeddingRequest, EmbeddingResponse, OpenaiUsage, ProviderType } from '@gatewayd/shared';
import type { AttemptInput, ClientRequest, ExchangePlan, TokenUsage, UpstreamRequest } from './types.js';
import { CACHE_WRITES, type HubUsage } from '../protocol/content.js';

/** Provider stream bytes -> hub chunks. One per attempt; all state inside. */
export interface HubStreamDecoder {
  /** Throws UpstreamStreamError on an upstream error event, SyntaxError on broken JSON. */
  push(chunk: Buffer): ChatCompletionChunk[];
  /** Upstream EOF: the chunks still due (only meaningful when `complete`). */
  end(): ChatCompletionChunk[];
  /** The upstream finished the stream properly (as far as EOF so far shows). */
  readonly complete: boolean;
  /** The upstream's last event arrived ([DONE], message_stop): nothing of the answer follows it. */
  readonly ended?: boolean;
  readonly usage: OpenaiUsage | undefined;
  /**
   * Chunks decoded so far, by decoders of formats whose usage comes only at the end (OpenAI's):
   * about a token each, for an estimate when the usage never arrives.
   */
  readonly chunkEvents?: number;
}

/** Hub chunks -> the caller's stream text. */
export interface HubStreamEncoder {
  encode(chunks: readonly ChatCompletionChunk[]): string;
  /** The closing frames of a complete stream ([DONE], message_delta + message_stop). */
  end(): string;
}

export interface ChatProviderSide {
  request(hub: ChatCompletionRequest, input: AttemptInput): UpstreamRequest;
  /** A complete 2xx body -> hub response. Throws when unreadable. */
  parse(body: Buffer, input: AttemptInput): ChatCompletionResponse;
  decoder(input: AttemptInput): HubStreamDecoder;
}

/** Embeddings for providers whose API is not OpenAI's (translated both ways). */
export interface EmbeddingsProviderSide {
  request(body: EmbeddingRequest, input: AttemptInput): UpstreamRequest;
  parse(body: Buffer, request: EmbeddingRequest, input: AttemptInput): EmbeddingResponse;
}

/** What an error body says beyond its status (see ProviderAdapter.errorHint). */
export interface UpstreamErrorHint {
  /** The status the error stands for, where the upstream's own is misleading. */
  status?: number;
  /** A wait given in the body rather than a retry-after header. */
  retryAfterMs?: number;
}

export interface ProviderAdapter {
  readonly type: ProviderType;
  readonly chat: ChatProviderSide;
  readonly embeddings: EmbeddingsProviderSide | null;
  /** The plan that forwards bytes when this provider speaks the caller's protocol; else undefined. */
  native(request: ClientRequest): ExchangePlan | undefined;
  /** An error answer's meaning read from its (capped) body, where the status alone misleads. */
  errorHint?(status: number, body: Buffer): UpstreamErrorHint | undefined;
}

export type AdapterRegistry = Readonly<Record<ProviderType, ProviderAdapter>>;

export function usageFromOpenai(usage: OpenaiUsage | null | undefined): TokenUsage | undefined {
  if (usage == null) return undefined;
  // issue 5: cached prompt tokens, for the cost at the cached_input price.
  const result: TokenUsage = { prompt: usage.prompt_tokens ?? 0, completion: usage.completion_tokens ?? 0 };
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  if (cached > 0) result.cached = cached;
  const writes = (usage as HubUsage)[CACHE_WRITES]; // translated from Anthropic
  if (writes !== undefined) {
    result.cacheWrite = writes.tokens;
    if (writes.hour > 0) result.cacheWrite1h = writes.hour;
  }
  return result;
}
