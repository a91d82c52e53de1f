/**
 * OpenAI Chat request (hub) -> Anthropic Messages request, for a call served by an Anthropic
 * provider. Pure: no defaults read from anywhere but the arguments.
 */
import type {
  AnthropicContentBlockParam,
  AnthropicCustomTool,
  AnthropicImageBlock,
  AnthropicMessageParam,
  AnthropicMessagesRequest,
  AnthropicTextBlock,
  AnthropicToolResultBlock,
  AnthropicToolUseBlock,
  ChatCompletionRequest,
  FunctionToolsAssistantMessage,
  FunctionToolsChatRequest,
  OpenaiFunctionTool,
  OpenaiTextPart,
  OpenaiToolMessage,
  OpenaiUserContentPart,
} from '@gatewayd/shared';
import { parseDataUrl, stopList, textParts } from '../../protocol/content.js';
import { jsonOutputInstruction } from '../../protocol/json-instruction.js';
import { toolInputOf } from '../../protocol/json-object-prefix.js';
import { refuseOpenaiOnlyOutput } from '../../protocol/openai-only-output.js';
import { TranslationError } from '../../protocol/errors.js';
import { functionToolsOnly } from '../../protocol/function-tools.js';
import { legacyFunctionsAsTools } from '../../protocol/legacy-functions.js';
import { strictSchemaForClaude } from './strict-schema.js';
import { acceptsOutputFormat, acceptsTemperatureWithTopP, clampAnthropicTemperature, openaiToolChoiceToAnthropic, toAnthropicToolId } from './mapping.js';

/**
 * Anthropic requires max_tokens; OpenAI callers often omit it. 4096 is accepted by every current
 * Claude model (the smallest output limit among them) and matches common gateway practice.
 */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

export interface OpenaiToAnthropicOptions {
  /** max_tokens when the caller sets neither max_completion_tokens nor max_tokens. */
  defaultMaxTokens?: number;
}

export function openaiToAnthropicRequest(
  request: ChatCompletionRequest,
  targetModel: string,
  options: OpenaiToAnthropicOptions = {},
): AnthropicMessagesRequest {
  refuseOpenaiOnlyOutput(request);
  const req = functionToolsOnly(legacyFunctionsAsTools(request));
  if (req.n != null && req.n > 1) throw new TranslationError('n > 1 is not supported by Anthropic models');
  const system: AnthropicTextBlock[] = [];
  const messages: AnthropicMessageParam[] = [];
  // The user turn currently collecting consecutive tool results, if the last message emitted is one.
  let toolResultTurn: AnthropicContentBlockParam[] | undefined;

  for (const message of req.messages) {
    if (message.role === 'tool') {
      const block = toolResultBlock(message);
      if (toolResultTurn) toolResultTurn.push(block);
      else {
        toolResultTurn = [block];
        messages.push({ role: 'user', content: toolResultTurn });
      }
      continue;
    }
    if (message.role === 'user' && toolResultTurn) {
      // A user message right after tool results joins their turn (results first, as required).
      toolResultTurn.push(...userBlocks(message.content));
      toolResultTurn = undefined;
      continue;
    }
    toolResultTurn = undefined;
    switch (message.role) {
      case 'system':
      case 'developer':
        // Anthropic has one top-level system prompt: system/developer messages are hoisted in order.
        for (const part of textParts(message.content)) if (nonBlank(part.text)) system.push({ type: 'text', text: part.text });
        break;
      case 'user': {
        // An empty or blank user message (OpenAI accepts `content: ""`) is left out: Anthropic
        // refuses messages with empty content and text blocks of whitespace only.
        const content = typeof message.content === 'string' ? (nonBlank(message.content) ? message.content : '') : userBlocks(message.content);
        if (content.length > 0) messages.push({ role: 'user', content });
        break;
      }
      case 'assistant': {
        const assistant = assistantContent(message);
        if (assistant !== undefined) messages.push({ role: 'assistant', content: assistant });
        break;
      }
      default:
        throw new TranslationError(`message role "${message.role}" cannot be sent to Anthropic (use tool messages)`);
    }
  }

  // Anthropic refuses a request without messages; OpenAI takes a chat of system messages only,
  // whose text is then the one user turn (as for Gemini).
  if (messages.length === 0) {
    if (system.length === 0) throw new TranslationError('the chat has no message with content to send to Anthropic (empty or blank messages are left out)');
    const only = system.splice(0);
    messages.push({ role: 'user', content: only.length === 1 ? (only[0] as AnthropicTextBlock).text : only });
  }

  // A final assistant turn is a prefill, which Anthropic refuses with trailing whitespace.
  const last = messages[messages.length - 1];
  if (last?.role === 'assistant' && typeof last.content === 'string') last.content = last.content.trimEnd();
  else if (last?.role === 'assistant' && Array.isArray(last.content)) {
    const block = last.content[last.content.length - 1];
    if (block?.type === 'text') block.text = block.text.trimEnd();
  }

  const out: AnthropicMessagesRequest = {
    model: targetModel,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? options.defaultMaxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages,
  };
  if (system.length === 1) out.system = (system[0] as AnthropicTextBlock).text;
  else if (system.length > 1) out.system = system;
  // Anthropic refuses the whole request (400) for a stop sequence of whitespace only, such as the
  // "\n" OpenAI clients often send: such a sequence cannot be honoured there, so it is dropped.
  const stop = stopList(req.stop)?.filter(nonBlank);
  if (stop && stop.length > 0) out.stop_sequences = stop;
  if (req.temperature != null) out.temperature = clampAnthropicTemperature(req.temperature);
  // OpenAI takes both; newer Claude models refuse the pair, and temperature is the one callers tune.
  if (req.top_p != null && (req.temperature == null || acceptsTemperatureWithTopP(targetModel))) out.top_p = req.top_p;
  // vLLM's top_k -1 means "disabled"; Anthropic takes only positive values.
  if (req.top_k != null && req.top_k > 0) out.top_k = req.top_k;
  // A JSON schema becomes Claude's structured output where the model has it. json_object has no
  // Anthropic form (a schema is required); it, and a schema to an older model, become an
  // instruction at the end of the system prompt: not a guarantee, but what the caller asked for.
  const format = req.response_format;
  const jsonTool = jsonOutputTool(req, targetModel);
  const jsonText = jsonOutputInstruction(format);
  if (format?.type === 'json_schema' && format.json_schema.schema && acceptsOutputFormat(targetModel)) {
    out.output_config = { format: { type: 'json_schema', schema: strictSchemaForClaude(format.json_schema.schema) as Record<string, unknown> } };
  } else if (jsonTool !== undefined) {
    // The answer is this tool's input, which the response mapping turns back into the text.
    out.tools = [jsonTool];
    // One call: two would be two JSON documents in one answer.
    out.tool_choice = { type: 'tool', name: jsonTool.name, disable_parallel_tool_use: true };
    (out as JsonOutputMarked)[JSON_OUTPUT_TOOL] = jsonTool.name;
  } else if (jsonText !== undefined) {
    const instruction: AnthropicTextBlock = { type: 'text', text: jsonText };
    out.system = out.system === undefined ? instruction.text : typeof out.system === 'string' ? [{ type: 'text', text: out.system }, instruction] : [...out.system, instruction];
  }
  if (req.stream) out.stream = true;
  // safety_identifier: OpenAI's successor of `user` for the same purpose (abuse monitoring).
  const userId = req.user || (req as { safety_identifier?: unknown }).safety_identifier;
  if (typeof userId === 'string' && userId !== '') out.metadata = { user_id: userId };
  const strictTools = acceptsOutputFormat(targetModel);
  const tools = (req.tools ?? []).filter((t) => t.type === 'function').map((tool) => toAnthropicTool(tool, strictTools));
  if (tools.length > 0) {
    out.tools = tools;
    const choice = openaiToolChoiceToAnthropic(req.tool_choice, req.parallel_tool_calls);
    if (choice) out.tool_choice = choice;
  }
  return out;
}

/** On a translated request whose JSON output rides on a forced tool: that tool's name. */
export const JSON_OUTPUT_TOOL = Symbol('gatewayd.jsonOutputTool');
type JsonOutputMarked = AnthropicMessagesRequest & { [JSON_OUTPUT_TOOL]?: string };

/** The name of the forced tool carrying a JSON answer, when the Anthropic request has one. */
export function jsonOutputToolOf(request: AnthropicMessagesRequest): string | undefined {
  return (request as JsonOutputMarked)[JSON_OUTPUT_TOOL];
}

const JSON_OUTPUT_TOOL_NAME = 'json_output';

/**
 * JSON output where Claude has no structured output for it (json_object on any model, json_schema
 * before Claude 4.5): a tool whose input schema is the wanted JSON, forced with tool_choice, is how
 * Claude reliably answers with JSON of that shape. Not when the request has tools of its own (the
 * choice cannot be forced then) or a schema whose root is not an object (tool inputs are objects):
 * those keep the system-prompt instruction.
 */
function jsonOutputTool(req: FunctionToolsChatRequest, targetModel: string): AnthropicCustomTool | undefined {
  const format = req.response_format;
  if (format?.type !== 'json_object' && format?.type !== 'json_schema') return undefined;
  if ((req.tools?.length ?? 0) > 0) return undefined;
  const description = 'Answer by calling this tool: its input is your whole answer, as the JSON object asked for.';
  if (format.type === 'json_object') return { name: JSON_OUTPUT_TOOL_NAME, description, input_schema: { type: 'object' } };
  const schema = format.json_schema.schema;
  if (schema === undefined || acceptsOutputFormat(targetModel)) return undefined;
  if (schema.type !== 'object' && schema.type !== undefined) return undefined;
  const details = format.json_schema.description ? ` ${format.json_schema.description}` : '';
  return { name: JSON_OUTPUT_TOOL_NAME, description: description + details, input_schema: { ...schema, type: 'object' } };
}

/** `strictTools`: the model takes `strict` tools, so an OpenAI strict function keeps that guarantee. */
function toAnthropicTool(tool: OpenaiFunctionTool, strictTools: boolean): AnthropicCustomTool {
  const params = tool.function.parameters;
  // input_schema must be an object schema; OpenAI allows omitting parameters entirely.
  const input_schema = params ? { ...params, type: 'object' } : { type: 'object', properties: {} };
  const strict = tool.function.strict === true && strictTools;
  // A strict tool's input is decoded under the same constraints as structured outputs.
  const out: AnthropicCustomTool = { name: tool.function.name, input_schema: strict ? (strictSchemaForClaude(input_schema) as typeof input_schema) : input_schema };
  if (tool.function.description) out.description = tool.function.description;
  if (strict) out.strict = true;
  return out;
}

/**
 * Anthropic refuses text blocks that are empty or whitespace only ("text content blocks must
 * contain non-whitespace text"). Claude itself answers "\n\n" before a tool_use at times, which
 * OpenAI callers get as content and send back in their history: such text is left out.
 */
function nonBlank(text: string | null | undefined): text is string {
  return typeof text === 'string' && text.trim() !== '';
}

/** Empty and blank text parts are dropped (see nonBlank). */
function userBlocks(content: string | OpenaiUserContentPart[]): AnthropicContentBlockParam[] {
  if (typeof content === 'string') return nonBlank(content) ? [{ type: 'text', text: content }] : [];
  return content.filter((part) => part.type !== 'text' || nonBlank(part.text)).map(userBlock);
}

function userBlock(part: OpenaiUserContentPart): AnthropicContentBlockParam {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image_url':
      return imageBlock(part.image_url.url);
    case 'file': {
      const data = part.file.file_data ? parseDataUrl(part.file.file_data) : undefined;
      if (data?.mediaType === 'application/pdf') {
        return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: data.base64 } };
      }
      throw new TranslationError('only inline PDF files (file_data data: URLs) can be sent to Anthropic');
    }
    default:
      throw new TranslationError(`content part "${(part as { type: string }).type}" is not supported by Anthropic`);
  }
}

/** data: URLs become base64 sources, http(s) URLs become url sources. */
export function imageBlock(url: string): AnthropicImageBlock {
  const data = parseDataUrl(url);
  if (data) {
    return { type: 'image', source: { type: 'base64', media_type: data.mediaType as 'image/png', data: data.base64 } };
  }
  return { type: 'image', source: { type: 'url', url } };
}

function assistantContent(message: FunctionToolsAssistantMessage): string | AnthropicContentBlockParam[] | undefined {
  const calls = message.tool_calls ?? [];
  if (typeof message.content === 'string' && calls.length === 0) return nonBlank(message.content) ? message.content : undefined;
  const blocks: AnthropicContentBlockParam[] = [];
  // Anthropic rejects empty and blank text blocks, so they are dropped (see nonBlank).
  if (typeof message.content === 'string') {
    if (nonBlank(message.content)) blocks.push({ type: 'text', text: message.content });
  } else if (message.content) {
    for (const part of message.content) {
      const text = part.type === 'text' ? part.text : part.refusal;
      if (nonBlank(text)) blocks.push({ type: 'text', text });
    }
  }
  for (const call of calls) {
    const block: AnthropicToolUseBlock = {
      type: 'tool_use',
      id: toAnthropicToolId(call.id),
      name: call.function.name,
      input: toolInputOf(call.function.arguments),
    };
    blocks.push(block);
  }
  return blocks.length > 0 ? blocks : undefined;
}

function toolResultBlock(message: OpenaiToolMessage): AnthropicToolResultBlock {
  const content: string | AnthropicTextBlock[] =
    typeof message.content === 'string'
      ? message.content
      : message.content.filter((p: OpenaiTextPart) => p.type === 'text' && nonBlank(p.text)).map((p) => ({ type: 'text', text: p.text }));
  return { type: 'tool_result', tool_use_id: toAnthropicToolId(message.tool_call_id), content };
}
