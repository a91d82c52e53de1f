/**
 * Parsing and validating an OpenAI chat.completions request just far enough to route it. The
 * parsed object is kept as-is (later issues forward the original bytes when nothing changed).
 */
import type { ErrorCode } from '@gatewayd/shared';

export interface ChatMessage {
  role: string;
  content?: unknown;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  [field: string]: unknown;
}

export type ChatParse = { ok: true; request: ChatRequest } | { ok: false; code: ErrorCode; message: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): ChatParse {
  return { ok: false, code: 'GW_ERR_BAD_REQUEST', message };
}

export function parseChatRequest(body: Buffer): ChatParse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return { ok: false, code: 'GW_ERR_BAD_JSON', message: `the request body is not valid JSON: ${(err as Error).message}` };
  }
  if (!isObject(parsed)) return invalid('the request body must be a JSON object');
  const { model, messages, stream, stream_options: streamOptions } = parsed;
  if (typeof model !== 'string' || model.length === 0) return invalid('`model` is required and must be a non-empty string');
  if (!Array.isArray(messages) || messages.length === 0) return invalid('`messages` is required and must be a non-empty array');
  for (let i = 0; i < messages.length; i++) {
    const message: unknown = messages[i];
    if (!isObject(message) || typeof message.role !== 'string') return invalid(`\`messages[${i}]\` must be an object with a string \`role\``);
  }
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') return invalid('`stream` must be a boolean');
  if (streamOptions !== undefined && streamOptions !== null) {
    if (!isObject(streamOptions)) return invalid('`stream_options` must be an object');
    const includeUsage = streamOptions.include_usage;
    if (includeUsage !== undefined && includeUsage !== null && typeof includeUsage !== 'boolean') return invalid('`stream_options.include_usage` must be a boolean');
  }
  return { ok: true, request: parsed as ChatRequest };
}

/** The text of a message's content: a string, or the text parts of a content array. */
export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (isObject(part) && part.type === 'text' && typeof part.text === 'string') text += text === '' ? part.text : `\n${part.text}`;
  }
  return text;
}
