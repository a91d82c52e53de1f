/**
 * OpenAI custom tools (GPT-5 and later: free-form text input, optionally to a grammar) and
 * `allowed_tools`, for providers that only know function tools (Anthropic, Gemini, mock).
 * `allowed_tools` becomes what it means: the request's tools narrowed to the allowed ones, with
 * `auto` or `required`. A custom tool, a forced custom tool or a custom call in the history has
 * no equivalent there: TranslationError (a 400 unless another target of the model serves it).
 * Pure; the request is returned as is when it uses none of it.
 */
import type { ChatCompletionRequest, FunctionToolsChatRequest, OpenaiFunctionTool } from '@gatewayd/shared';
import { TranslationError } from './errors.js';
import { ONLY_OPENAI } from './openai-only-output.js';

export function functionToolsOnly(req: ChatCompletionRequest): FunctionToolsChatRequest {
  for (const tool of req.tools ?? []) {
    if (tool.type !== 'function') throw new TranslationError(`custom tool "${tool.custom.name}" ${ONLY_OPENAI}`);
  }
  for (const message of req.messages) {
    if (message.role !== 'assistant') continue;
    for (const call of message.tool_calls ?? []) {
      if (call.type === 'custom') throw new TranslationError(`the custom tool call "${call.id}" in the history ${ONLY_OPENAI}`);
    }
  }
  const choice = req.tool_choice;
  if (typeof choice !== 'object' || choice.type === 'function') return req as FunctionToolsChatRequest;
  if (choice.type === 'custom') throw new TranslationError(`tool_choice of the custom tool "${choice.custom.name}" ${ONLY_OPENAI}`);
  const allowed = new Set<string>();
  for (const tool of choice.allowed_tools.tools) if (tool.type === 'function') allowed.add(tool.function.name);
  const tools = (req.tools as OpenaiFunctionTool[] | undefined ?? []).filter((tool) => allowed.has(tool.function.name));
  const required = choice.allowed_tools.mode === 'required';
  // Required with nothing allowed cannot be honoured; auto with nothing allowed is a plain answer.
  if (tools.length === 0 && required) throw new TranslationError('tool_choice.allowed_tools names none of the request\'s function tools');
  const { tools: _all, tool_choice: _choice, ...rest } = req as FunctionToolsChatRequest;
  const out: FunctionToolsChatRequest = { ...rest };
  if (tools.length > 0) {
    out.tools = tools;
    out.tool_choice = required ? 'required' : 'auto';
  }
  return out;
}
