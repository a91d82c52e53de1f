/**
 * Model reasoning in the hub: `reasoning_content` on a chat completion's message and on a chunk's
 * delta (DeepSeek, vLLM, SGLang, Qwen). Newer vLLM and OpenRouter send `reasoning`: both are read
 * from upstreams, the hub carries `reasoning_content` only. Mistral (magistral) sends `content` as
 * a list of parts, its reasoning as `thinking` parts: the hub carries the text parts as the
 * `content` string and the thinking parts as `reasoning_content`.
 */
import type { AnthropicThinkingConfig, ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse } from '@gatewayd/shared';

interface Reasoning {
  content?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
}

/** A Mistral content part: `text`, or `thinking` whose `thinking` holds text parts (or a string). */
interface ContentPart {
  type?: unknown;
  text?: unknown;
  thinking?: unknown;
}

/** The reasoning text of a message or delta ('' when none); `reasoning_content` wins. */
export function reasoningOf(value: Reasoning | undefined): string {
  const text = value?.reasoning_content ?? value?.reasoning;
  return typeof text === 'string' ? text : '';
}

/** Whether a message or delta needs normalise(): `reasoning`, or `content` as a list of parts. */
function needsNormalising(value: Reasoning | null | undefined): boolean {
  return value != null && (value.reasoning !== undefined || Array.isArray(value.content));
}

/**
 * The same object without `reasoning`, its text moved to `reasoning_content` when that is unset;
 * list `content`: text parts joined as the string, thinking parts appended to `reasoning_content`.
 */
function normalise<T extends Reasoning>(value: T): T {
  const { reasoning, ...rest } = value;
  const out = rest as T;
  if (typeof reasoning === 'string' && typeof value.reasoning_content !== 'string') out.reasoning_content = reasoning;
  const parts: unknown = value.content;
  if (Array.isArray(parts)) {
    const { text, thinking } = splitParts(parts as ContentPart[]);
    out.content = text;
    if (thinking) out.reasoning_content = (out.reasoning_content ?? '') + thinking;
  }
  return out;
}

/** Text and thinking of Mistral content parts; other parts (references, ...) carry no text. */
function splitParts(parts: readonly ContentPart[]): { text: string; thinking: string } {
  let text = '';
  let thinking = '';
  for (const part of parts) {
    if (part?.type === 'text' && typeof part.text === 'string') text += part.text;
    else if (part?.type === 'thinking') {
      if (typeof part.thinking === 'string') thinking += part.thinking;
      else if (Array.isArray(part.thinking)) thinking += splitParts(part.thinking as ContentPart[]).text;
    }
  }
  return { text, thinking };
}

/** An OpenAI-compatible upstream's chunk as a hub chunk (see normalise). */
export function hubChunk(chunk: ChatCompletionChunk): ChatCompletionChunk {
  if (!chunk.choices?.some((c) => needsNormalising(c.delta))) return chunk;
  return { ...chunk, choices: chunk.choices.map((c) => (c.delta ? { ...c, delta: normalise(c.delta) } : c)) };
}

/** An OpenAI-compatible upstream's answer as a hub answer (see normalise). */
export function hubResponse(res: ChatCompletionResponse): ChatCompletionResponse {
  if (!res.choices?.some((c) => needsNormalising(c.message))) return res;
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
