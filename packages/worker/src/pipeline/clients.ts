/**
 * The caller's side of the hub, per client protocol: its request as a hub (OpenAI Chat) request,
 * a hub response as its answer, and hub stream chunks as its stream.
 */
import type { AnthropicMessagesRequest, ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse, CompletionRequest } from '@gatewayd/shared';
import { openaiToAnthropicResponse } from '../providers/anthropic/response.js';
import { anthropicToOpenaiRequest } from '../providers/anthropic/request-to-openai.js';
import { OpenaiToAnthropicStream } from '../providers/anthropic/stream-from-openai.js';
import { isUsageOnlyChunk } from '../providers/openai/usage-tap.js';
import { chatChunkToCompletionChunk, chatToCompletionResponse, completionToChatRequest } from '../protocol/completions.js';
import { encodeAnthropicEvent, encodeOpenaiChunk, OPENAI_DONE } from '../protocol/sse/encode.js';
import { estimateAnthropicTokens } from '../protocol/tokens.js';
import type { HubStreamEncoder } from './adapter.js';
import type { ClientRequest } from './types.js';

export interface ChatClientSide<B> {
  toHub(body: B): ChatCompletionRequest;
  /** The caller's answer, serialised once. */
  fromHub(res: ChatCompletionResponse, body: B): string;
  encoder(body: B, request: ClientRequest): HubStreamEncoder;
}

/** OpenAI chat chunks as they are; the usage-only chunk only when the caller asked for it. */
class OpenaiChatEncoder implements HubStreamEncoder {
  constructor(private readonly keepUsage: boolean) {}

  encode(chunks: readonly ChatCompletionChunk[]): string {
    let out = '';
    for (const chunk of chunks) if (this.keepUsage || !isUsageOnlyChunk(chunk)) out += encodeOpenaiChunk(chunk);
    return out;
  }

  end(): string {
    return OPENAI_DONE;
  }
}

class CompletionEncoder implements HubStreamEncoder {
  constructor(private readonly keepUsage: boolean) {}

  encode(chunks: readonly ChatCompletionChunk[]): string {
    let out = '';
    for (const chunk of chunks) {
      if (!this.keepUsage && isUsageOnlyChunk(chunk)) continue;
      const legacy = chatChunkToCompletionChunk(chunk);
      if (legacy !== undefined) out += encodeOpenaiChunk(legacy);
    }
    return out;
  }

  end(): string {
    return OPENAI_DONE;
  }
}

class AnthropicEncoder implements HubStreamEncoder {
  private readonly stream: OpenaiToAnthropicStream;

  constructor(body: AnthropicMessagesRequest) {
    this.stream = new OpenaiToAnthropicStream({ inputTokensEstimate: estimateAnthropicTokens(body) });
  }

  encode(chunks: readonly ChatCompletionChunk[]): string {
    let out = '';
    for (const chunk of chunks) for (const event of this.stream.push(chunk)) out += encodeAnthropicEvent(event);
    return out;
  }

  end(): string {
    let out = '';
    for (const event of this.stream.end()) out += encodeAnthropicEvent(event);
    return out;
  }
}

export const openaiChatClient: ChatClientSide<ChatCompletionRequest> = {
  toHub: (body) => body,
  fromHub: (res) => JSON.stringify(res),
  encoder: (_body, request) => new OpenaiChatEncoder(request.callerWantsUsage),
};

export const openaiCompletionsClient: ChatClientSide<CompletionRequest> = {
  toHub: (body) => completionToChatRequest(body),
  fromHub: (res) => JSON.stringify(chatToCompletionResponse(res)),
  encoder: (_body, request) => new CompletionEncoder(request.callerWantsUsage),
};

export const anthropicMessagesClient: ChatClientSide<AnthropicMessagesRequest> = {
  toHub: (body) => anthropicToOpenaiRequest(body, body.model),
  // The input estimate only when it is reported: an answer without usage.
  fromHub: (res, body) => JSON.stringify(openaiToAnthropicResponse(res, res.usage ? {} : { inputTokensEstimate: estimateAnthropicTokens(body) })),
  encoder: (body) => new AnthropicEncoder(body),
};
