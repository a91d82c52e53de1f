/**
 * The mock's tool calls: a request that offers tools (and does not forbid them) and does not
 * already carry a tool result gets a call of the named tool (tool_choice) or of the first one it
 * may call (allowed_tools narrows them), a function tool with arguments made from its JSON schema
 * (its required properties, by type), a custom tool with a fixed text input. The answer to a tool
 * result is ordinary mock text. Deterministic: the call id comes from the request id.
 */
import type { ChatCompletionRequest, JsonSchema, OpenaiTool } from '@gatewayd/shared';
import { SSE_DONE } from '../../http/sse.js';
import type { MockPlan } from './plan.js';

export interface MockToolCall {
  id: string;
  name: string;
  /** JSON text of a function's arguments, or a custom tool's free-form input. */
  arguments: string;
  custom: boolean;
}

/** What the mock writes as a custom tool's input. */
export const MOCK_CUSTOM_INPUT = 'mock input';

function toolName(tool: OpenaiTool | { type: 'function'; function: { name: string } } | { type: 'custom'; custom: { name: string } }): string {
  return tool.type === 'function' ? tool.function.name : tool.custom.name;
}

function placeholder(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return 'mock';
  const node = schema as JsonSchema;
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[0];
  switch (Array.isArray(node.type) ? node.type[0] : node.type) {
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return 'mock';
  }
}

function argumentsFor(parameters: JsonSchema | undefined): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  const properties = parameters?.properties;
  if (typeof properties !== 'object' || properties === null) return args;
  const required = Array.isArray(parameters?.required) ? (parameters.required as unknown[]) : [];
  for (const name of required) if (typeof name === 'string') args[name] = placeholder((properties as Record<string, unknown>)[name]);
  return args;
}

export function mockToolCall(request: ChatCompletionRequest, requestId: string): MockToolCall | undefined {
  let tools = request.tools ?? [];
  const choice = request.tool_choice;
  if (tools.length === 0 || choice === 'none') return undefined;
  if (request.messages[request.messages.length - 1]?.role === 'tool') return undefined;
  let named: string | undefined;
  if (typeof choice === 'object' && choice.type === 'allowed_tools') {
    const allowed = new Set(choice.allowed_tools.tools.map(toolName));
    tools = tools.filter((tool) => allowed.has(toolName(tool)));
  } else if (typeof choice === 'object') named = toolName(choice);
  const tool = (named !== undefined ? tools.find((candidate) => toolName(candidate) === named) : undefined) ?? tools[0];
  if (tool === undefined) return undefined;
  const id = `call_${requestId.replace(/[^a-zA-Z0-9]/g, '')}`;
  if (tool.type === 'custom') return { id, name: tool.custom.name, arguments: MOCK_CUSTOM_INPUT, custom: true };
  return { id, name: tool.function.name, arguments: JSON.stringify(argumentsFor(tool.function.parameters)), custom: false };
}

function usageOf(plan: MockPlan, completion: number): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: plan.promptTokens, completion_tokens: completion, total_tokens: plan.promptTokens + completion };
}

/** About one token per four characters of the call. */
export function toolCallTokens(call: MockToolCall): number {
  return Math.ceil((call.name.length + call.arguments.length) / 4);
}

function wholeCall(call: MockToolCall): Record<string, unknown> {
  if (call.custom) return { id: call.id, type: 'custom', custom: { name: call.name, input: call.arguments } };
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

export function mockToolCallBody(plan: MockPlan, call: MockToolCall): string {
  return JSON.stringify({
    id: plan.id,
    object: 'chat.completion',
    created: plan.created,
    model: plan.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: null, refusal: null, tool_calls: [wholeCall(call)] },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ],
    usage: usageOf(plan, toolCallTokens(call)),
    system_fingerprint: null,
  });
}

/** The whole streamed tool call: role + call start, the arguments, the finish, usage if asked, [DONE]. */
export function mockToolCallStream(plan: MockPlan, call: MockToolCall, includeUsage: boolean): string {
  const base = { id: plan.id, object: 'chat.completion.chunk', created: plan.created, model: plan.model, system_fingerprint: null };
  const extra = includeUsage ? { usage: null } : {};
  const chunk = (delta: Record<string, unknown>, finish: string | null) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra })}\n\n`;
  // A custom call streams in the shape OpenAI sends (type "custom", name and input under `custom`).
  const opening = call.custom ? { custom: { name: call.name, input: '' } } : { function: { name: call.name, arguments: '' } };
  const rest = call.custom ? { custom: { input: call.arguments } } : { function: { arguments: call.arguments } };
  let out = chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: call.id, type: call.custom ? 'custom' : 'function', ...opening }] }, null);
  out += chunk({ tool_calls: [{ index: 0, ...rest }] }, null);
  out += chunk({}, 'tool_calls');
  if (includeUsage) out += `data: ${JSON.stringify({ ...base, choices: [], usage: usageOf(plan, toolCallTokens(call)) })}\n\n`;
  return out + SSE_DONE;
}
