/**
 * OpenAI's deprecated function calling (`functions`, `function_call`, assistant `function_call`,
 * `role: "function"` results) as the tools it became, for providers that only know tools
 * (Anthropic, Gemini): without this, the functions and the calls in the history were dropped on
 * the way there, and a forced call was not forced. Pure; the request is returned as is when it
 * uses none of it. Answers come back as tool calls (docs/translation.md).
 */
import type { ChatCompletionRequest, OpenaiChatMessage, OpenaiFunctionTool, OpenaiToolCall, OpenaiToolChoice } from '@gatewayd/shared';
import { TranslationError } from './errors.js';

interface LegacyFields {
  functions?: Array<OpenaiFunctionTool['function']> | null;
  function_call?: 'none' | 'auto' | { name: string } | null;
}

type LegacyCall = { name: string; arguments: string };

function usesLegacyFunctions(req: ChatCompletionRequest & LegacyFields): boolean {
  if (req.functions != null || req.function_call != null) return true;
  return req.messages.some((m) => m.role === 'function' || (m.role === 'assistant' && m.function_call != null));
}

export function legacyFunctionsAsTools(request: ChatCompletionRequest): ChatCompletionRequest {
  const req = request as ChatCompletionRequest & LegacyFields;
  if (!usesLegacyFunctions(req)) return request;
  const { functions, function_call, ...rest } = req;
  const out: ChatCompletionRequest = { ...rest, messages: messagesWithToolCalls(req.messages) };
  if (functions != null && functions.length > 0) out.tools = [...(req.tools ?? []), ...functions.map((fn) => ({ type: 'function' as const, function: fn }))];
  if (function_call != null && req.tool_choice == null) out.tool_choice = toolChoiceOf(function_call);
  return out;
}

function toolChoiceOf(call: NonNullable<LegacyFields['function_call']>): OpenaiToolChoice {
  return typeof call === 'string' ? call : { type: 'function', function: { name: call.name } };
}

/**
 * Each assistant `function_call` becomes a tool call with an id of its own (`call_fn_<n>`), and
 * each `function` message the result of the latest such call of its name not answered yet.
 */
function messagesWithToolCalls(messages: OpenaiChatMessage[]): OpenaiChatMessage[] {
  const pending: Array<{ id: string; name: string }> = [];
  let next = 0;
  return messages.map((message, index): OpenaiChatMessage => {
    if (message.role === 'assistant' && message.function_call != null) {
      const legacy: LegacyCall = message.function_call;
      const id = `call_fn_${next++}`;
      pending.push({ id, name: legacy.name });
      const { function_call: _legacy, ...assistant } = message;
      const call: OpenaiToolCall = { id, type: 'function', function: { name: legacy.name, arguments: legacy.arguments } };
      return { ...assistant, tool_calls: [...(message.tool_calls ?? []), call] };
    }
    if (message.role !== 'function') return message;
    const at = pending.findLastIndex((call) => call.name === message.name);
    if (at === -1) throw new TranslationError(`messages[${index}]: the "function" message for "${message.name}" follows no assistant function_call of that name`);
    const [answered] = pending.splice(at, 1);
    return { role: 'tool', tool_call_id: answered!.id, content: message.content ?? '' };
  });
}
