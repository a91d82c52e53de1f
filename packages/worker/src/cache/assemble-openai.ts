/**
 * Folds the OpenAI stream a caller received (chat.completion.chunk or text_completion chunks) into
 * the complete answer a plain request would have got, for the response cache. Returns null when
 * the stream is not a complete, storable answer: an error event, a choice without finish_reason,
 * no [DONE], or logprobs (which the replay would not reproduce).
 */
import type {
  ChatCompletionChunk,
  ChatCompletionResponse,
  CompletionResponse,
  OpenaiAnyToolCall,
  OpenaiFinishReason,
  OpenaiToolCallDelta,
  OpenaiUsage,
} from '@gatewayd/shared';
import type { SseEvent } from '../protocol/sse/index.js';
import { continuedToolCall } from '../protocol/tool-call-deltas.js';
import type { TokenUsage } from '../pipeline/types.js';

interface ChoiceParts {
  content: string;
  hasContent: boolean;
  refusal: string | null;
  /** Reasoning under the field name the stream used (`reasoning_content`, or vLLM's `reasoning`). */
  reasoningContent: string | null;
  reasoning: string | null;
  /** In order of first appearance; `byIndex` maps the stream's tool_calls index to its call. */
  toolCalls: OpenaiAnyToolCall[];
  byIndex: Map<number, OpenaiAnyToolCall>;
  finish: OpenaiFinishReason | null;
  stopReason: string | number | null | undefined;
}

type Json = Record<string, unknown>;

/** OpenAI usage from the gateway's own count when the stream carried none (include_usage unset). */
export function openaiUsageOf(usage: TokenUsage): OpenaiUsage {
  return { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion };
}

/** The payloads of the stream's data events; null when [DONE] is missing or an event is not JSON. */
function payloads(events: readonly SseEvent[]): Json[] | null {
  const out: Json[] = [];
  let done = false;
  for (const event of events) {
    if (event.data === '') continue;
    if (event.data === '[DONE]') {
      done = true;
      continue;
    }
    try {
      const value: unknown = JSON.parse(event.data);
      if (typeof value !== 'object' || value === null || 'error' in value) return null;
      out.push(value as Json);
    } catch {
      return null;
    }
  }
  return done && out.length > 0 ? out : null;
}

/**
 * The chunk whose id, created, model and system_fingerprint the answer takes: the first with an id,
 * a model or choices. Azure opens its streams with a prompt-filter chunk that has none of them
 * (`id: ""`, `created: 0`, `model: ""`); a plain request gets the names of the real chunks.
 */
function envelopeOf<T extends { id?: string; model?: string; choices?: readonly unknown[] }>(chunks: readonly T[]): T {
  return chunks.find((chunk) => !!chunk.id || !!chunk.model || (chunk.choices?.length ?? 0) > 0) ?? (chunks[0] as T);
}

export function assembleChat(events: readonly SseEvent[], usage: TokenUsage | undefined): ChatCompletionResponse | null {
  const chunks = payloads(events) as unknown as ChatCompletionChunk[] | null;
  if (chunks === null) return null;
  const envelope = envelopeOf(chunks);
  const choices: ChoiceParts[] = [];
  let streamedUsage: OpenaiUsage | undefined;
  for (const chunk of chunks) {
    if (chunk.usage) streamedUsage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      // What the replay would not give back is not stored (see NOT_REPLAYED in capture.ts).
      if (choice.logprobs != null) return null;
      const at = choiceIndexOf(choice.index);
      if (at === null) return null;
      const parts = (choices[at] ??= { content: '', hasContent: false, refusal: null, reasoningContent: null, reasoning: null, toolCalls: [], byIndex: new Map(), finish: null, stopReason: undefined });
      const delta = choice.delta ?? {};
      const extra = delta as { function_call?: unknown; audio?: unknown; annotations?: unknown };
      if (extra.function_call != null || extra.audio != null || (Array.isArray(extra.annotations) && extra.annotations.length > 0)) return null;
      if (typeof delta.content === 'string') {
        parts.content += delta.content;
        parts.hasContent ||= delta.content !== '';
      }
      if (typeof delta.refusal === 'string') parts.refusal = (parts.refusal ?? '') + delta.refusal;
      if (typeof delta.reasoning_content === 'string') parts.reasoningContent = (parts.reasoningContent ?? '') + delta.reasoning_content;
      if (typeof delta.reasoning === 'string') parts.reasoning = (parts.reasoning ?? '') + delta.reasoning;
      for (const call of delta.tool_calls ?? []) {
        const slot = toolCallSlot(parts, call);
        if (call.id) slot.id = call.id;
        if (slot.type === 'custom') {
          if (call.custom?.name) slot.custom.name += call.custom.name;
          if (call.custom?.input) slot.custom.input += call.custom.input;
        } else {
          if (call.function?.name) slot.function.name += call.function.name;
          if (call.function?.arguments) slot.function.arguments += call.function.arguments;
        }
      }
      if (choice.finish_reason) parts.finish = choice.finish_reason;
      if (choice.stop_reason !== undefined) parts.stopReason = choice.stop_reason;
    }
  }
  if (choices.length === 0) return null;
  const answer: ChatCompletionResponse = { id: envelope.id, object: 'chat.completion', created: envelope.created, model: envelope.model, choices: [] };
  for (let index = 0; index < choices.length; index++) {
    const parts = choices[index];
    if (parts === undefined || parts.finish === null) return null;
    const toolCalls = parts.toolCalls;
    const message: ChatCompletionResponse['choices'][number]['message'] = {
      role: 'assistant',
      content: parts.hasContent || toolCalls.length === 0 ? parts.content : null,
      refusal: parts.refusal,
    };
    if (parts.reasoningContent !== null) message.reasoning_content = parts.reasoningContent;
    if (parts.reasoning !== null) message.reasoning = parts.reasoning;
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    const choice: ChatCompletionResponse['choices'][number] = { index, message, logprobs: null, finish_reason: parts.finish };
    if (parts.stopReason !== undefined) choice.stop_reason = parts.stopReason;
    answer.choices.push(choice);
  }
  const finalUsage = streamedUsage ?? (usage ? openaiUsageOf(usage) : undefined);
  if (finalUsage) answer.usage = finalUsage;
  if (envelope.system_fingerprint !== undefined) answer.system_fingerprint = envelope.system_fingerprint;
  return answer;
}

/** The call a tool_calls entry adds to (see continuedToolCall), made if new. */
function toolCallSlot(parts: ChoiceParts, call: OpenaiToolCallDelta): OpenaiAnyToolCall {
  const known = continuedToolCall(call, parts.byIndex, (slot) => slot.id, parts.toolCalls[parts.toolCalls.length - 1]);
  if (known !== undefined) return known;
  // A custom tool's call (GPT-5): its first delta says so, by type or by its `custom` member.
  const slot: OpenaiAnyToolCall =
    call.type === 'custom' || (call.type === undefined && call.custom !== undefined)
      ? { id: '', type: 'custom', custom: { name: '', input: '' } }
      : { id: '', type: 'function', function: { name: '', arguments: '' } };
  parts.toolCalls.push(slot);
  if (typeof call.index === 'number') parts.byIndex.set(call.index, slot);
  return slot;
}

export function assembleCompletion(events: readonly SseEvent[], usage: TokenUsage | undefined): CompletionResponse | null {
  const chunks = payloads(events) as unknown as CompletionResponse[] | null;
  if (chunks === null) return null;
  const envelope = envelopeOf(chunks);
  const texts: string[] = [];
  const finishes: Array<CompletionResponse['choices'][number]['finish_reason']> = [];
  let streamedUsage: OpenaiUsage | undefined;
  for (const chunk of chunks) {
    if (chunk.usage) streamedUsage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      // What the replay would not give back is not stored (see NOT_REPLAYED in capture.ts).
      if (choice.logprobs != null) return null;
      const at = choiceIndexOf(choice.index);
      if (at === null) return null;
      texts[at] = (texts[at] ?? '') + (choice.text ?? '');
      if (choice.finish_reason) finishes[at] = choice.finish_reason;
    }
  }
  if (texts.length === 0) return null;
  const answer: CompletionResponse = { id: envelope.id, object: 'text_completion', created: envelope.created, model: envelope.model, choices: [] };
  for (let index = 0; index < texts.length; index++) {
    const finish = finishes[index];
    if (texts[index] === undefined || !finish) return null;
    answer.choices.push({ text: texts[index] as string, index, logprobs: null, finish_reason: finish });
  }
  const finalUsage = streamedUsage ?? (usage ? openaiUsageOf(usage) : undefined);
  if (finalUsage) answer.usage = finalUsage;
  if (envelope.system_fingerprint !== undefined) answer.system_fingerprint = envelope.system_fingerprint;
  return answer;
}

/** Choices the SDKs can hold (n is at most 128); no index (some servers omit it) is choice 0. Else null: not stored. */
function choiceIndexOf(index: unknown): number | null {
  if (index === undefined || index === null) return 0;
  return Number.isInteger(index) && (index as number) >= 0 && (index as number) < 128 ? (index as number) : null;
}
