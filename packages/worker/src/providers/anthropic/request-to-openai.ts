/**
 * Anthropic Messages request -> OpenAI Chat request (hub): used when an Anthropic-speaking client
 * reaches a non-Anthropic provider (OpenAI-compatible or, through the hub, Gemini).
 */
import type {
  AnthropicContentBlockParam,
  AnthropicCountTokensRequest,
  AnthropicDocumentBlock,
  AnthropicImageBlock,
  AnthropicMessageParam,
  AnthropicMessagesRequest,
  AnthropicOutputFormat,
  AnthropicTool,
  AnthropicToolResultBlock,
  ChatCompletionRequest,
  OpenaiChatMessage,
  OpenaiFunctionTool,
  OpenaiToolCall,
  OpenaiUserContentPart,
} from '@gatewayd/shared';
import { isPlainObject, textOf, toDataUrl } from '../../protocol/content.js';
import { TranslationError } from '../../protocol/errors.js';
import { HUB_THINKING, type HubRequest } from '../../protocol/reasoning.js';
import { anthropicToolChoiceToOpenai } from './mapping.js';

/** Separator used when several Anthropic text blocks must become one OpenAI string. */
const BLOCK_SEPARATOR = '\n';

export function anthropicToOpenaiRequest(
  req: AnthropicMessagesRequest | AnthropicCountTokensRequest,
  targetModel: string = req.model,
): ChatCompletionRequest {
  refuseAnthropicServerState(req);
  const messages: OpenaiChatMessage[] = [];
  if (req.system !== undefined) {
    const system = typeof req.system === 'string' ? req.system : textOf(req.system, BLOCK_SEPARATOR);
    if (system) messages.push({ role: 'system', content: system });
  }
  for (const message of req.messages) appendMessage(messages, message);

  const out: ChatCompletionRequest = { model: targetModel, messages };
  if (typeof req.max_tokens === 'number') out.max_tokens = req.max_tokens;
  if (Array.isArray(req.stop_sequences) && req.stop_sequences.length > 0) out.stop = req.stop_sequences as string[];
  if (typeof req.temperature === 'number') out.temperature = req.temperature;
  if (typeof req.top_p === 'number') out.top_p = req.top_p;
  if (typeof req.top_k === 'number') out.top_k = req.top_k;
  const metadata = req.metadata as AnthropicMessagesRequest['metadata'];
  if (metadata?.user_id) out.user = metadata.user_id;
  if (req.stream === true) {
    out.stream = true;
    // The Anthropic stream needs usage for message_delta, so it is always requested.
    out.stream_options = { include_usage: true };
  }
  const format = outputFormatOf(req as AnthropicMessagesRequest);
  // Not strict: OpenAI's strict mode also wants every property required, which Claude's does not.
  if (format?.type === 'json_schema' && isPlainObject(format.schema)) out.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema } };
  if (req.tools && req.tools.length > 0) {
    out.tools = req.tools.map(toOpenaiTool);
    if (req.tool_choice) Object.assign(out, anthropicToolChoiceToOpenai(req.tool_choice));
  }
  // `thinking` has no OpenAI Chat field: it rides under a symbol key that only the Gemini mapping
  // reads (OpenAI-compatible upstreams never see it; non-reasoning models reject such parameters).
  if (req.thinking) (out as HubRequest)[HUB_THINKING] = req.thinking;
  return out;
}

/**
 * Fields that have Anthropic's servers keep or reach something for the request: a thread (the
 * conversation kept server-side; a continuing turn carries only its new messages) and MCP servers
 * (tools Anthropic calls itself). Dropped, the request would silently lose its history or its
 * tools. The thread refusal carries the code the SDK's thread helpers recover from: with
 * `unsupportedRequestBehavior: 'continue_unthreaded'` they send the whole conversation instead.
 */
function refuseAnthropicServerState(req: object): void {
  const { thread, mcp_servers: mcpServers } = req as { thread?: unknown; mcp_servers?: unknown };
  if (thread !== undefined && thread !== null) {
    throw new TranslationError('`thread` (a conversation Anthropic keeps) cannot be served by this provider: send the whole conversation without `thread`', { error_code: 'thread_unsupported_request' });
  }
  if (Array.isArray(mcpServers) && mcpServers.length > 0) throw new TranslationError('`mcp_servers` (MCP tools Anthropic calls itself) cannot be served by this provider');
}

/**
 * `output_config.format`, or the deprecated top-level `output_format` it replaced (older SDKs, beta
 * structured-outputs-2025-11-13). Both at once is a 400, as Anthropic's SDKs refuse it.
 */
function outputFormatOf(req: AnthropicMessagesRequest): AnthropicOutputFormat | undefined {
  const current = req.output_config?.format ?? undefined;
  if (!req.output_format) return current;
  if (current) throw new TranslationError('both `output_format` and `output_config.format` were given: send only `output_config.format` (`output_format` is deprecated)');
  return req.output_format;
}

function toOpenaiTool(tool: AnthropicTool): OpenaiFunctionTool {
  if (!('input_schema' in tool) || (tool.type !== undefined && tool.type !== 'custom')) {
    throw new TranslationError(`Anthropic server tool "${tool.type ?? tool.name}" cannot be served by this provider`);
  }
  const fn: OpenaiFunctionTool['function'] = { name: tool.name, parameters: tool.input_schema as Record<string, unknown> };
  if (typeof tool.description === 'string' && tool.description) fn.description = tool.description;
  // Not carried as OpenAI `strict`, which also wants every property required and no extra keys.
  return { type: 'function', function: fn };
}

function appendMessage(out: OpenaiChatMessage[], message: AnthropicMessageParam): void {
  if (typeof message.content === 'string') {
    out.push(message.role === 'user' ? { role: 'user', content: message.content } : { role: 'assistant', content: message.content });
    return;
  }
  if (message.role === 'assistant') {
    appendAssistant(out, message.content);
    return;
  }
  // A user turn: tool results become `tool` messages, which must directly follow the assistant
  // message that made the calls, so they go first; the rest becomes one user message.
  if (message.content.length === 0) throw new TranslationError('a user message with empty content cannot be sent to this provider');
  const parts: OpenaiUserContentPart[] = [];
  const toolImages: OpenaiUserContentPart[] = [];
  for (const block of message.content) {
    if (block.type === 'tool_result') out.push(toolMessage(block, toolImages));
    else {
      const part = userPart(block);
      if (part) parts.push(part);
    }
  }
  // Images returned by tools come first: they precede the user's own words in the original turn.
  parts.unshift(...toolImages);
  if (parts.length === 0) return;
  const only = parts[0];
  out.push({ role: 'user', content: parts.length === 1 && only?.type === 'text' ? only.text : parts });
}

function appendAssistant(out: OpenaiChatMessage[], blocks: AnthropicContentBlockParam[]): void {
  let text = '';
  const calls: OpenaiToolCall[] = [];
  for (const block of blocks) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'tool_use') {
      calls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    }
    else if (block.type !== 'thinking' && block.type !== 'redacted_thinking') {
      // Dropping it would change what the model is told it said (Anthropic refuses these too).
      throw new TranslationError(`content block "${block.type}" is not allowed in an assistant message for this provider`);
    }
    // thinking / redacted_thinking: dropped; their signatures only verify on Anthropic models and
    // the hub has no field to carry them back.
  }
  if (calls.length > 0) out.push({ role: 'assistant', content: text || null, tool_calls: calls });
  else if (text) out.push({ role: 'assistant', content: text });
}

/**
 * OpenAI tool messages carry text only: text blocks and text documents are joined, images and PDF
 * documents in the result are moved to the user message that follows; other blocks are a 400.
 * `is_error` has no OpenAI field; the result text usually says so.
 */
function toolMessage(block: AnthropicToolResultBlock, trailingParts: OpenaiUserContentPart[]): OpenaiChatMessage {
  if (typeof block.content === 'string' || !block.content) return { role: 'tool', tool_call_id: block.tool_use_id, content: block.content ?? '' };
  const texts: string[] = [];
  for (const inner of block.content) {
    if (inner.type === 'text') texts.push(inner.text);
    else if (inner.type === 'image') trailingParts.push(imagePart(inner));
    else if (inner.type === 'document') {
      const part = documentPart(inner);
      if (part.type === 'text') texts.push(part.text);
      else trailingParts.push(part);
    } else {
      // search_result and the like have no OpenAI form; dropped, the model would see an empty result.
      throw new TranslationError(`content block "${(inner as { type: string }).type}" is not allowed in a tool_result for this provider`);
    }
  }
  return { role: 'tool', tool_call_id: block.tool_use_id, content: texts.join(BLOCK_SEPARATOR) };
}

function userPart(block: AnthropicContentBlockParam): OpenaiUserContentPart | undefined {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'image':
      return imagePart(block);
    case 'document':
      return documentPart(block);
    case 'thinking':
    case 'redacted_thinking':
      return undefined;
    default:
      throw new TranslationError(`content block "${block.type}" is not allowed in a user message`);
  }
}

export function imagePart(block: AnthropicImageBlock): OpenaiUserContentPart {
  const source = block.source;
  if (source.type === 'base64') return { type: 'image_url', image_url: { url: toDataUrl(source.media_type, source.data) } };
  // A Files API reference (`file_id`) exists on Anthropic only; validation lets it through for Anthropic.
  if (source.type !== 'url' || typeof source.url !== 'string') throw new TranslationError(`image sources of type "${(source as { type: string }).type}" cannot be sent to this provider; send the image inline or by URL`);
  return { type: 'image_url', image_url: { url: source.url } };
}

function documentPart(block: AnthropicDocumentBlock): OpenaiUserContentPart {
  const source = block.source;
  switch (source.type) {
    case 'base64':
      return { type: 'file', file: { filename: `${block.title ?? 'document'}.pdf`, file_data: toDataUrl(source.media_type, source.data) } };
    case 'text':
      return { type: 'text', text: source.data };
    case 'content':
      return { type: 'text', text: textOf(source.content, BLOCK_SEPARATOR) };
    default:
      throw new TranslationError('URL documents cannot be sent to this provider; send them inline');
  }
}
