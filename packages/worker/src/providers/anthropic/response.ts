/** Non-streamed responses: Anthropic Message <-> OpenAI chat.completion. */
import { randomBytes } from 'node:crypto';
import type {
  AnthropicContentBlock,
  AnthropicMessage,
  AnthropicStopReason,
  ChatCompletionResponse,
  OpenaiToolCall,
} from '@gatewayd/shared';
import { textOf } from '../../protocol/content.js';
import { requireAnswer } from '../../protocol/errors.js';
import { toolInputOf } from '../../protocol/json-object-prefix.js';
import { reasoningOf } from '../../protocol/reasoning.js';
import { answerChars, outputTokensOfChars } from '../../protocol/tokens.js';
import { anthropicStopToOpenaiFinish, anthropicToolIdFor, anthropicUsageToOpenai, estimatedAnthropicUsage, openaiFinishToAnthropicStop, openaiUsageToAnthropic } from './mapping.js';

export interface OpenaiResponseContext {
  /** Unix seconds for `created`; the caller passes the clock (these functions are pure). */
  created?: number;
  /** Overrides the model name reported to the caller. */
  model?: string;
  /** The forced tool that carries a JSON answer (jsonOutputToolOf): its input is the text. */
  jsonTool?: string;
}

/** Throws for a body that is no message: an `error` object, or no content list. */
export function anthropicToOpenaiResponse(res: AnthropicMessage, ctx: OpenaiResponseContext = {}): ChatCompletionResponse {
  requireAnswer(res, Array.isArray(res?.content), 'content');
  let text = '';
  let reasoning = '';
  let answeredByJsonTool = false;
  const toolCalls: OpenaiToolCall[] = [];
  for (const block of res.content) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'thinking') reasoning += block.thinking;
    else if (block.type === 'tool_use' && ctx.jsonTool !== undefined && block.name === ctx.jsonTool) {
      // One JSON document: a second call (which disable_parallel_tool_use forbids) is left out.
      if (!answeredByJsonTool) text += JSON.stringify(block.input ?? {});
      answeredByJsonTool = true;
    } else if (block.type === 'tool_use') {
      toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    }
    // redacted_thinking (encrypted) and thinking signatures have no OpenAI Chat field: dropped.
  }
  const message: ChatCompletionResponse['choices'][number]['message'] = {
    role: 'assistant',
    content: text.length > 0 || toolCalls.length === 0 ? text : null,
    refusal: null,
  };
  if (reasoning) message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id: res.id,
    object: 'chat.completion',
    created: ctx.created ?? 0,
    model: ctx.model ?? res.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: answeredByJsonTool && res.stop_reason === 'tool_use' ? 'stop' : anthropicStopToOpenaiFinish(res.stop_reason) }],
    usage: anthropicUsageToOpenai(res.usage),
  };
}

export interface AnthropicResponseContext {
  /** Overrides the model name reported to the caller. */
  model?: string;
  /** Estimated input tokens, reported when the upstream sent no usage (as streams do). */
  inputTokensEstimate?: number;
}

/** Only choice 0 is used: Anthropic messages have a single candidate. */
export function openaiToAnthropicResponse(res: ChatCompletionResponse, ctx: AnthropicResponseContext = {}): AnthropicMessage {
  const choice = res.choices.find((c) => c.index === 0) ?? res.choices[0];
  const content: AnthropicContentBlock[] = [];
  const message = choice?.message;
  const reasoning = reasoningOf(message);
  // Reasoning comes first, as Anthropic models answer; no signature can be given.
  if (reasoning) content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  const text = textOf(message?.content) || (message?.refusal ?? '');
  if (text) content.push({ type: 'text', text });
  const id = anthropicMessageId(res.id);
  for (const [n, call] of (message?.tool_calls ?? []).entries()) {
    // A custom call answers a custom tool, which an Anthropic caller cannot have offered.
    if (call.type === 'custom') continue;
    content.push({ type: 'tool_use', id: anthropicToolIdFor(call.id, id, n), name: call.function.name, input: toolInputOf(call.function.arguments) });
  }
  const hasToolUse = content.some((b) => b.type === 'tool_use');
  const { stop_reason, stop_sequence } = anthropicStop(choice?.finish_reason, choice?.stop_reason, hasToolUse);
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: ctx.model ?? res.model,
    content,
    stop_reason,
    stop_sequence,
    usage: res.usage ? openaiUsageToAnthropic(res.usage) : estimatedAnthropicUsage(ctx.inputTokensEstimate ?? 0, outputTokensOfChars(answerChars(message))),
  };
}

/**
 * OpenAI reports a stop-sequence hit as plain `stop`; vLLM adds the matched string as
 * `stop_reason`, which becomes Anthropic's stop_sequence. Servers that answer `stop` while calling
 * tools (Ollama, some llama.cpp builds) are reported as tool_use, which Anthropic clients key on.
 */
export function anthropicStop(
  finish: Parameters<typeof openaiFinishToAnthropicStop>[0],
  vllmStopReason: string | number | null | undefined,
  hasToolUse: boolean,
): { stop_reason: AnthropicStopReason; stop_sequence: string | null } {
  if ((finish === 'stop' || finish == null) && hasToolUse) return { stop_reason: 'tool_use', stop_sequence: null };
  if (finish === 'stop' && typeof vllmStopReason === 'string') return { stop_reason: 'stop_sequence', stop_sequence: vllmStopReason };
  return { stop_reason: openaiFinishToAnthropicStop(finish), stop_sequence: null };
}

/** Anthropic message ids start with `msg_`. */
export function anthropicMessageId(openaiId: string | undefined): string {
  // Callers tell messages apart by id: one of our own rather than a constant.
  if (!openaiId) return `msg_gw${randomBytes(12).toString('hex')}`;
  return openaiId.startsWith('msg_') ? openaiId : `msg_${openaiId.replace(/^chatcmpl-/, '')}`;
}
