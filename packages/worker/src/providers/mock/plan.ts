/**
 * The mock's answer as pure data: deterministic text derived from the last user message, cycled
 * over `chunks` words, with token estimates. Both the plain body and the SSE stream render it.
 */
import { messageText, type ChatMessage } from '../../routes/chat-request.js';

export interface MockPlan {
  /** chat.completion id; built from the request id, which holds only JSON-safe characters. */
  id: string;
  created: number;
  model: string;
  /** The reply cycles over these words, one per chunk. */
  words: readonly string[];
  chunks: number;
  promptTokens: number;
  completionTokens: number;
}

export interface MockPlanInput {
  messages: readonly ChatMessage[];
  model: string;
  requestId: string;
  chunks: number;
  nowMs: number;
}

const MAX_ECHOED_WORDS = 32;
const MAX_WORD_LENGTH = 40;
const REPLY_PREFIX = ['Mock', 'reply', 'to:'];
const EMPTY_PROMPT_REPLY = ['Mock', 'reply', 'from', 'gatewayd.'];

/** About four characters per token, plus the chat template's per-message overhead. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function lastUserText(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role === 'user') return messageText(message.content);
  }
  return '';
}

export function replyWords(messages: readonly ChatMessage[]): string[] {
  const echoed = lastUserText(messages)
    .split(/\s+/, MAX_ECHOED_WORDS + 1)
    .filter((w) => w.length > 0)
    .slice(0, MAX_ECHOED_WORDS)
    .map((w) => w.slice(0, MAX_WORD_LENGTH));
  return echoed.length === 0 ? EMPTY_PROMPT_REPLY : [...REPLY_PREFIX, ...echoed];
}

export function planMockAnswer(input: MockPlanInput): MockPlan {
  let promptTokens = 3;
  for (const message of input.messages) promptTokens += 4 + estimateTokens(messageText(message.content));
  return {
    id: `chatcmpl-${input.requestId}`,
    created: Math.floor(input.nowMs / 1000),
    model: input.model,
    words: replyWords(input.messages),
    chunks: input.chunks,
    promptTokens,
    // One word per chunk, about one token each.
    completionTokens: input.chunks,
  };
}

/** The reply text: `chunks` words cycled from the plan's words, space separated. */
export function mockContent(plan: MockPlan): string {
  const words = plan.words;
  const parts = new Array<string>(plan.chunks);
  for (let i = 0; i < plan.chunks; i++) parts[i] = words[i % words.length] ?? '';
  return parts.join(' ');
}

export function mockCompletionBody(plan: MockPlan): string {
  return JSON.stringify({
    id: plan.id,
    object: 'chat.completion',
    created: plan.created,
    model: plan.model,
    choices: [{ index: 0, message: { role: 'assistant', content: mockContent(plan), refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: plan.promptTokens, completion_tokens: plan.completionTokens, total_tokens: plan.promptTokens + plan.completionTokens },
    system_fingerprint: null,
  });
}
