/**
 * Fast token ESTIMATES (no tokenizer): used for /v1/messages/count_tokens answers for providers that
 * cannot count, TPM reservations before a call, and output estimates when an upstream reports no
 * usage. Rule: ~4 characters per token for ASCII, 1 token per non-ASCII UTF-16 unit (CJK text is
 * roughly a token per character; erring high is the safe side for rate limits), plus small fixed
 * costs per message, image and document. Never use it for billing when the upstream reports usage.
 */
import type {
  AnthropicContentBlockParam,
  AnthropicCountTokensRequest,
  AnthropicMessagesRequest,
  ChatCompletionMessage,
  ChatCompletionRequest,
  CompletionRequest,
  EmbeddingRequest,
} from '@gatewayd/shared';
import { textOf } from './content.js';
import { reasoningOf } from './reasoning.js';

/** Per-message framing (role markers), as in OpenAI's published counting recipe. */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** Tokens priming the assistant's reply. */
export const REPLY_PRIMING_TOKENS = 3;
/** One image of typical size (OpenAI high detail 1024px ~765, Anthropic ~1600 at 1.15 MP). */
export const IMAGE_TOKENS = 1000;
/** Inline documents (PDF) by size: about one token per 50 bytes of file. */
const DOCUMENT_BYTES_PER_TOKEN = 50;

export function estimateTextTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 4) + other;
}

function jsonTokens(value: unknown): number {
  return value === undefined ? 0 : estimateTextTokens(JSON.stringify(value));
}

function base64Tokens(base64Length: number): number {
  return Math.ceil((base64Length * 3) / 4 / DOCUMENT_BYTES_PER_TOKEN);
}

export function estimateChatTokens(req: ChatCompletionRequest): number {
  let total = REPLY_PRIMING_TOKENS + jsonTokens(req.tools);
  for (const message of req.messages) {
    total += MESSAGE_OVERHEAD_TOKENS;
    const content = message.content;
    if (typeof content === 'string') total += estimateTextTokens(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (part.type === 'text') total += estimateTextTokens(part.text);
        else if (part.type === 'refusal') total += estimateTextTokens(part.refusal);
        else if (part.type === 'image_url') total += IMAGE_TOKENS;
        else if (part.type === 'input_audio') total += base64Tokens(part.input_audio.data.length);
        else if (part.type === 'file') total += base64Tokens(part.file.file_data?.length ?? 0);
      }
    }
    if (message.role === 'assistant') {
      for (const call of message.tool_calls ?? []) {
        total += call.type === 'custom' ? estimateTextTokens(call.custom.name) + estimateTextTokens(call.custom.input) : estimateTextTokens(call.function.name) + estimateTextTokens(call.function.arguments);
      }
    }
  }
  return total;
}

export function estimateAnthropicTokens(req: AnthropicMessagesRequest | AnthropicCountTokensRequest): number {
  let total = REPLY_PRIMING_TOKENS + jsonTokens(req.tools);
  // The system prompt costs what an OpenAI system message does, so both protocols agree.
  if (typeof req.system === 'string') total += MESSAGE_OVERHEAD_TOKENS + estimateTextTokens(req.system);
  else if (Array.isArray(req.system)) {
    total += MESSAGE_OVERHEAD_TOKENS;
    for (const block of req.system) total += estimateTextTokens(block.text);
  }
  for (const message of req.messages) {
    total += MESSAGE_OVERHEAD_TOKENS;
    if (typeof message.content === 'string') total += estimateTextTokens(message.content);
    else for (const block of message.content) total += anthropicBlockTokens(block);
  }
  return total;
}

function anthropicBlockTokens(block: AnthropicContentBlockParam): number {
  switch (block.type) {
    case 'text':
      return estimateTextTokens(block.text);
    case 'image':
      return IMAGE_TOKENS;
    case 'document':
      if (block.source.type === 'base64') return base64Tokens(block.source.data.length);
      if (block.source.type === 'text') return estimateTextTokens(block.source.data);
      return block.source.type === 'content' ? jsonTokens(block.source.content) : IMAGE_TOKENS;
    case 'tool_use':
      return estimateTextTokens(block.name) + jsonTokens(block.input);
    case 'tool_result':
      if (typeof block.content === 'string') return estimateTextTokens(block.content);
      return (block.content ?? []).reduce((sum, inner) => sum + (inner.type === 'text' ? estimateTextTokens(inner.text) : IMAGE_TOKENS), 0);
    case 'thinking':
      return estimateTextTokens(block.thinking);
    default:
      return 0;
  }
}

export function estimateCompletionPromptTokens(req: CompletionRequest): number {
  const prompt = req.prompt;
  if (typeof prompt === 'string') return estimateTextTokens(prompt);
  let total = 0;
  for (const item of prompt) {
    if (typeof item === 'string') total += estimateTextTokens(item);
    else if (typeof item === 'number') total += 1; // a token id
    else total += item.length;
  }
  return total;
}

export function estimateEmbeddingTokens(req: EmbeddingRequest): number {
  const input = req.input;
  if (typeof input === 'string') return estimateTextTokens(input);
  let total = 0;
  for (const item of input) {
    if (typeof item === 'string') total += estimateTextTokens(item);
    else if (typeof item === 'number') total += 1;
    else total += item.length;
  }
  return total;
}

/** Output tokens of an answer its upstream reported no usage for: ~4 characters per token. */
export function outputTokensOfChars(chars: number): number {
  return Math.ceil(chars / 4);
}

/**
 * The characters of an answer that count as output when its upstream reports no usage: reasoning,
 * text, refusal and function-call arguments, as a streamed answer counts them (stream-from-openai).
 */
export function answerChars(message: ChatCompletionMessage | undefined): number {
  if (message === undefined) return 0;
  let chars = reasoningOf(message).length + textOf(message.content).length + (message.refusal ?? '').length;
  for (const call of message.tool_calls ?? []) if (call.type !== 'custom') chars += call.function.arguments?.length ?? 0;
  return chars;
}

/** The output budget a request may consume (for TPM reservation), or the caller's default. */
export function requestedOutputTokens(req: { max_tokens?: number | null; max_completion_tokens?: number | null }, fallback: number): number {
  return req.max_completion_tokens ?? req.max_tokens ?? fallback;
}
