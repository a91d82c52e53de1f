/** Folds OpenAI stream chunks into the message they describe (what an SDK's stream helper does). */
import type { ChatCompletionChunk, OpenaiFinishReason, OpenaiUsage } from '@gatewayd/shared';

export interface AccumulatedMessage {
  content: string;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  finish: OpenaiFinishReason | null;
  usage: OpenaiUsage | undefined;
}

export function accumulateOpenai(chunks: ChatCompletionChunk[]): AccumulatedMessage {
  const out: AccumulatedMessage = { content: '', toolCalls: [], finish: null, usage: undefined };
  for (const chunk of chunks) {
    if (chunk.usage) out.usage = chunk.usage;
    for (const choice of chunk.choices) {
      if (choice.index !== 0) continue;
      out.content += choice.delta.content ?? '';
      for (const call of choice.delta.tool_calls ?? []) {
        const slot = (out.toolCalls[call.index] ??= { id: '', name: '', arguments: '' });
        if (call.id) slot.id = call.id;
        if (call.function?.name) slot.name += call.function.name;
        slot.arguments += call.function?.arguments ?? '';
      }
      if (choice.finish_reason) out.finish = choice.finish_reason;
    }
  }
  return out;
}
