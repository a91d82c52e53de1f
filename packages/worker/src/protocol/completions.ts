/**
 * Legacy /v1/completions on top of Chat Completions, for providers with no legacy endpoint
 * (Anthropic, Gemini, the mock): the prompt becomes one user message and the answer's text
 * becomes choices[].text. OpenAI-compatible upstreams get /v1/completions passed through instead.
 */
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  CompletionChoice,
  CompletionRequest,
  CompletionResponse,
  OpenaiFinishReason,
} from '@gatewayd/shared';
import { TranslationError } from './errors.js';

/** OpenAI's legacy endpoint generates 16 tokens when max_tokens is omitted; kept for fidelity. */
export const LEGACY_COMPLETION_DEFAULT_MAX_TOKENS = 16;

export function completionToChatRequest(req: CompletionRequest): ChatCompletionRequest {
  const prompt = singlePrompt(req.prompt);
  if (req.echo) throw new TranslationError('echo is not supported for this model');
  if (req.suffix) throw new TranslationError('suffix is not supported for this model');
  const out: ChatCompletionRequest = {
    model: req.model,
    messages: [{ role: 'user', content: prompt }],
    max_tokens: req.max_tokens ?? LEGACY_COMPLETION_DEFAULT_MAX_TOKENS,
  };
  const copied = ['temperature', 'top_p', 'n', 'stop', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'seed', 'user'] as const;
  for (const key of copied) if (req[key] != null) (out as Record<string, unknown>)[key] = req[key];
  if (req.stream) {
    out.stream = true;
    if (req.stream_options) out.stream_options = req.stream_options;
  }
  return out;
}

function singlePrompt(prompt: CompletionRequest['prompt']): string {
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') return prompt[0];
  if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((p) => typeof p === 'string')) {
    throw new TranslationError('a batch of prompts is not supported for this model; send one prompt per request');
  }
  throw new TranslationError('prompt must be a string for this model (token ids are not supported)');
}

function legacyFinish(reason: OpenaiFinishReason | null): CompletionChoice['finish_reason'] {
  if (reason === null) return null;
  if (reason === 'length' || reason === 'content_filter') return reason;
  return 'stop';
}

function legacyId(chatId: string): string {
  return chatId.startsWith('chatcmpl-') ? `cmpl-${chatId.slice('chatcmpl-'.length)}` : chatId;
}

export function chatToCompletionResponse(res: ChatCompletionResponse): CompletionResponse {
  const out: CompletionResponse = {
    id: legacyId(res.id),
    object: 'text_completion',
    created: res.created,
    model: res.model,
    choices: res.choices.map((c) => ({ text: c.message.content ?? '', index: c.index, logprobs: null, finish_reason: legacyFinish(c.finish_reason) })),
  };
  if (res.usage) out.usage = res.usage;
  return out;
}

/** One chat chunk as a legacy chunk; undefined for chunks with nothing to say (role-only). */
export function chatChunkToCompletionChunk(chunk: ChatCompletionChunk): CompletionResponse | undefined {
  const choices: CompletionChoice[] = [];
  for (const c of chunk.choices) {
    const text = c.delta.content ?? '';
    if (text || c.finish_reason) choices.push({ text, index: c.index, logprobs: null, finish_reason: legacyFinish(c.finish_reason) });
  }
  if (choices.length === 0 && !chunk.usage) return undefined;
  const out: CompletionResponse = { id: legacyId(chunk.id), object: 'text_completion', created: chunk.created, model: chunk.model, choices };
  if (chunk.usage) out.usage = chunk.usage;
  return out;
}
