/**
 * Request normalisation for OpenAI-compatible upstreams (the caller's body is never mutated).
 * Streams always ask for usage (`stream_options.include_usage`) so the gateway can count tokens;
 * whether the caller asked is returned so the usage-only chunk can be stripped on the way back.
 */
import type { ChatCompletionRequest, CompletionRequest } from '@gatewayd/shared';
import type { BodyEdits } from '../../pipeline/body-edit.js';

export interface OpenaiUpstreamOptions {
  /** The upstream model name chosen by routing. */
  model: string;
  /**
   * Keep non-standard fields of the hub format (`top_k`). vLLM, llama.cpp and Ollama accept them;
   * api.openai.com and Azure reject unknown fields. See `acceptsExtensions`.
   */
  allowExtensions?: boolean;
  /** Rename the output limit for upstreams that only know one name. Default: keep as sent. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
}

export interface PreparedOpenaiRequest<T> {
  body: T;
  stream: boolean;
  /** The caller set stream_options.include_usage: forward the usage chunk, else strip it. */
  callerWantsUsage: boolean;
}

export function prepareOpenaiChatRequest(req: ChatCompletionRequest, options: OpenaiUpstreamOptions): PreparedOpenaiRequest<ChatCompletionRequest> {
  const body: ChatCompletionRequest = { ...req, model: options.model };
  if (!options.allowExtensions) delete body.top_k;
  const limit = req.max_completion_tokens ?? req.max_tokens;
  if (options.maxTokensField && limit != null) {
    delete body.max_tokens;
    delete body.max_completion_tokens;
    body[options.maxTokensField] = limit;
  }
  return withStreamUsage(body);
}

export function prepareOpenaiCompletionRequest(req: CompletionRequest, options: OpenaiUpstreamOptions): PreparedOpenaiRequest<CompletionRequest> {
  const body = { ...req, model: options.model };
  if (!options.allowExtensions) delete (body as { top_k?: unknown }).top_k; // vLLM's extension, sent by some callers
  return withStreamUsage(body);
}

function withStreamUsage<T extends { stream?: boolean | null; stream_options?: { include_usage?: boolean } | null }>(body: T): PreparedOpenaiRequest<T> {
  const stream = body.stream === true;
  const callerWantsUsage = stream && body.stream_options?.include_usage === true;
  if (stream) body.stream_options = { ...(body.stream_options ?? {}), include_usage: true };
  // OpenAI rejects stream_options on non-streamed requests.
  else delete body.stream_options;
  return { body, stream, callerWantsUsage };
}

/** Upstreams known to reject unknown request fields (OpenAI itself and Azure OpenAI). */
export function acceptsExtensions(baseUrl: string): boolean {
  const host = safeHost(baseUrl);
  return !(host === 'api.openai.com' || isAzureHost(host));
}

/**
 * The output-limit field a TRANSLATED request (an Anthropic or Gemini-shaped caller) gets.
 * api.openai.com's reasoning models (o1, o3, o4-mini, gpt-5) reject `max_tokens`, and every model
 * there takes `max_completion_tokens`; an Anthropic caller always sends max_tokens, so without the
 * rename every such request would fail. Azure keeps `max_tokens`: its older api-versions do not
 * know the new name. Other OpenAI-compatible servers (vLLM, Ollama, llama.cpp) know `max_tokens`.
 * A native OpenAI caller's body is its own business: passed as sent.
 */
export function translatedOutputLimitField(baseUrl: string): 'max_completion_tokens' | undefined {
  return safeHost(baseUrl) === 'api.openai.com' ? 'max_completion_tokens' : undefined;
}

export function isAzureHost(host: string): boolean {
  return host.endsWith('.openai.azure.com') || host.endsWith('.cognitiveservices.azure.com') || host.endsWith('.services.ai.azure.com');
}

export function safeHost(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return '';
  }
}

/**
 * What prepareOpenai*Request + the model rename change, as edits of the caller's bytes (see
 * pipeline/body-edit.ts), or null when they change nothing and the bytes go up as they are. Once
 * parsed, the edited body equals the prepared one, except that added members come first, not last.
 * `dropTopK`: the upstream rejects extensions.
 */
export function openaiNativeEdits(body: ChatCompletionRequest | CompletionRequest, model: string, callerWantsUsage: boolean, dropTopK: boolean): BodyEdits | null {
  const renamed = body.model !== model;
  const askUsage = body.stream === true && !callerWantsUsage;
  // OpenAI rejects stream_options without stream.
  const dropOptions = body.stream !== true && body.stream_options !== undefined;
  const dropTop = dropTopK && body.top_k !== undefined;
  if (!renamed && !askUsage && !dropOptions && !dropTop) return null;
  const add = new Map<string, string>();
  const replace = new Map<string, string>();
  const drop = new Set<string>();
  if (renamed) replace.set('model', JSON.stringify(model));
  if (askUsage) {
    if (body.stream_options === undefined) add.set('stream_options', INCLUDE_USAGE);
    else replace.set('stream_options', JSON.stringify({ ...(body.stream_options ?? {}), include_usage: true }));
  }
  if (dropOptions) drop.add('stream_options');
  if (dropTop) drop.add('top_k');
  return { add, replace, drop };
}

const INCLUDE_USAGE = JSON.stringify({ include_usage: true });
