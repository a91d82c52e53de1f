/**
 * Model reasoning in the hub: `reasoning_content` on a chat completion's message and on a chunk's
 * delta (DeepSeek, vLLM, SGLang, Qwen). Newer vLLM and OpenRouter send `reasoning`: both are read
 * from upstreams, the hub carries `reasoning_content` only.
 */
import type { AnthropicThinkingConfig, ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse } from '@gatewayd/shared';

interface Reasoning {
  reasoning_content?: string | null;
  reasoning?: string | null;
}

/** The reasoning text of a message or delta ('' when none); `reasoning_content` wins. */
export function reasoningOf(value: Reasoning | undefined): string {
  const text = value?.reasoning_content ?? value?.reasoning;
  return typeof text === 'string' ? text : '';
}

/** The same object without `reasoning`, its text moved to `reasoning_content` when that is unset. */
function normalise<T extends Reasoning>(value: T): T {
  if (value.reasoning === undefined) return value;
  const { reasoning, ...rest } = value;
  const out = rest as T;
  if (typeof reasoning === 'string' && typeof value.reasoning_content !== 'string') out.reasoning_content = reasoning;
  return out;
}

/** An OpenAI-compatible upstream's chunk as a hub chunk (`reasoning` -> `reasoning_content`). */
export function hubChunk(chunk: ChatCompletionChunk): ChatCompletionChunk {
  if (!chunk.choices?.some((c) => c.delta?.reasoning !== undefined)) return chunk;
  return { ...chunk, choices: chunk.choices.map((c) => (c.delta ? { ...c, delta: normalise(c.delta) } : c)) };
}

/** An OpenAI-compatible upstream's answer as a hub answer (`reasoning` -> `reasoning_content`). */
export function hubResponse(res: ChatCompletionResponse): ChatCompletionResponse {
  if (!res.choices?.some((c) => c.message?.reasoning !== undefined)) return res;
  return { ...res, choices: res.choices.map((c) => (c.message ? { ...c, message: normalise(c.message) } : c)) };
}

/**
 * An Anthropic caller's `thinking` parameter rides on the hub request under a symbol key: never
 * serialised, so OpenAI-compatible upstreams (which may reject reasoning parameters) never see it;
 * the Gemini mapping reads it.
 */
export const HUB_THINKING: unique symbol = Symbol('gatewayd.thinking');

export type HubRequest = ChatCompletionRequest & { [HUB_THINKING]?: AnthropicThinkingConfig };

export function hubThinkingOf(req: ChatCompletionRequest): AnthropicThinkingConfig | undefined {
  return (req as HubRequest)[HUB_THINKING];
}
