/** Non-streamed Gemini generateContent response -> OpenAI chat.completion. */
import type {
  ChatCompletionChoice,
  ChatCompletionMessage,
  ChatCompletionResponse,
  GeminiCandidate,
  GeminiGenerateContentResponse,
  OpenaiToolCall,
} from '@gatewayd/shared';
import { requireAnswer } from '../../protocol/errors.js';
import { freshResponseKey, geminiFinishToOpenai, geminiToolCallId, geminiUsageToOpenai } from './mapping.js';

export interface GeminiResponseContext {
  /** Unix seconds for `created` (the caller owns the clock). */
  created?: number;
  /** Response id; defaults to `chatcmpl-<responseId>`. Also seeds tool-call ids. */
  id?: string;
}

/** Throws for a body that is no answer: an `error` object, or neither candidates nor a blocked prompt. */
export function geminiToOpenaiResponse(res: GeminiGenerateContentResponse, model: string, ctx: GeminiResponseContext = {}): ChatCompletionResponse {
  const blocked = typeof res?.promptFeedback?.blockReason === 'string';
  requireAnswer(res, (Array.isArray(res?.candidates) && res.candidates.length > 0) || blocked, 'candidates and no promptFeedback.blockReason');
  // Without a responseId (proxies, older Vertex builds) a fresh key: tool-call ids must differ across turns.
  const responseKey = res.responseId ?? ctx.id ?? freshResponseKey();
  const candidates = Array.isArray(res.candidates) ? res.candidates : [];
  let toolCallCount = 0;
  const choices: ChatCompletionChoice[] = candidates.map((candidate, i) => {
    const { text, reasoning, toolCalls } = candidateContent(candidate, () => toolCallCount++, responseKey);
    const message: ChatCompletionMessage = { role: 'assistant', content: toolCalls.length > 0 ? text || null : text, refusal: null };
    if (reasoning) message.reasoning_content = reasoning;
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    return {
      index: candidate.index ?? i,
      message,
      logprobs: null,
      finish_reason: geminiFinishToOpenai(candidate.finishReason, toolCalls.length > 0),
    };
  });
  if (choices.length === 0) {
    // No candidates: the prompt itself was blocked (promptFeedback.blockReason, required above).
    choices.push({ index: 0, message: { role: 'assistant', content: null, refusal: null }, logprobs: null, finish_reason: 'content_filter' });
  }
  return {
    id: ctx.id ?? `chatcmpl-${res.responseId ?? responseKey}`,
    object: 'chat.completion',
    created: ctx.created ?? 0,
    model,
    choices,
    usage: geminiUsageToOpenai(res.usageMetadata),
  };
}

/** Text, reasoning (thought summaries: parts with `thought: true`) and function calls of one candidate. */
export function candidateContent(
  candidate: GeminiCandidate,
  nextToolNumber: () => number,
  responseKey: string,
): { text: string; reasoning: string; toolCalls: OpenaiToolCall[] } {
  let text = '';
  let reasoning = '';
  const toolCalls: OpenaiToolCall[] = [];
  for (const part of candidate.content?.parts ?? []) {
    if (part.thought) {
      if (typeof part.text === 'string') reasoning += part.text;
      continue;
    }
    if (typeof part.text === 'string') text += part.text;
    if (part.functionCall) {
      toolCalls.push({
        // Numbered whether or not Gemini named it: the stream's tool-call indexes count every call.
        id: geminiToolCallId(responseKey, nextToolNumber(), part.thoughtSignature, part.functionCall.id),
        type: 'function',
        function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
      });
    }
  }
  return { text, reasoning, toolCalls };
}
