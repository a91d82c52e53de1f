/**
 * OpenAI chat `messages[]`: roles and the content each role accepts, as api.openai.com checks
 * them. Unknown user content part types pass (vLLM/Ollama accept extensions such as video_url;
 * the translators reject them for providers that cannot take them).
 */
import { enumField, objectField, requiredString, stringField } from './fields.js';
import { expected, fail, isObject, oneOf, required } from './issue.js';

export const OPENAI_ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const;
const CONTENT = 'a string or an array of content parts';
const TEXT_CONTENT = 'a string or an array of text parts';

export function checkOpenaiMessages(messages: unknown): void {
  if (messages === undefined) required(['messages'], 'a non-empty array of messages');
  if (!Array.isArray(messages)) return expected(['messages'], 'a non-empty array of messages', messages);
  if (messages.length === 0) fail(['messages'], 'expected at least one message, got an empty array');
  for (let i = 0; i < messages.length; i++) checkMessage(messages[i], i);
}

function checkMessage(message: unknown, i: number): void {
  if (!isObject(message)) return expected(['messages', i], 'a message object', message);
  const role = message.role;
  switch (role) {
    case 'system':
    case 'developer':
      checkTextContent(message.content, i);
      break;
    case 'user':
      checkUserContent(message.content, i);
      break;
    case 'assistant':
      checkAssistant(message, i);
      break;
    case 'tool':
      checkTextContent(message.content, i);
      requiredString(message, 'tool_call_id', ['messages', i]);
      return;
    case 'function':
      requiredString(message, 'name', ['messages', i]);
      stringField(message, 'content', ['messages', i]);
      return;
    default:
      if (role === undefined) required(['messages', i, 'role'], oneOf(OPENAI_ROLES));
      expected(['messages', i, 'role'], oneOf(OPENAI_ROLES), role);
  }
  stringField(message, 'name', ['messages', i], false);
}

function checkTextContent(content: unknown, i: number): void {
  if (typeof content === 'string') return;
  if (content === undefined) required(['messages', i, 'content'], TEXT_CONTENT);
  if (!Array.isArray(content)) return expected(['messages', i, 'content'], TEXT_CONTENT, content);
  if (content.length === 0) fail(['messages', i, 'content'], 'expected at least one content part, got an empty array');
  for (let j = 0; j < content.length; j++) {
    const part = partOf(content[j], i, j);
    if (part.type !== 'text') expected(['messages', i, 'content', j, 'type'], '"text"', part.type);
    checkText(part, i, j);
  }
}

function checkUserContent(content: unknown, i: number): void {
  if (typeof content === 'string') return;
  if (content === undefined) required(['messages', i, 'content'], CONTENT);
  if (!Array.isArray(content)) return expected(['messages', i, 'content'], CONTENT, content);
  if (content.length === 0) fail(['messages', i, 'content'], 'expected at least one content part, got an empty array');
  for (let j = 0; j < content.length; j++) {
    const part = partOf(content[j], i, j);
    switch (part.type) {
      case 'text':
        checkText(part, i, j);
        break;
      case 'image_url': {
        const image = part.image_url;
        if (!isObject(image)) expected(['messages', i, 'content', j, 'image_url'], 'an object with a "url"', image);
        requiredString(image, 'url', ['messages', i, 'content', j, 'image_url']);
        enumField(image, 'detail', ['auto', 'low', 'high'], ['messages', i, 'content', j, 'image_url'], false);
        break;
      }
      case 'input_audio': {
        const audio = part.input_audio;
        if (!isObject(audio)) expected(['messages', i, 'content', j, 'input_audio'], 'an object with "data" and "format"', audio);
        requiredString(audio, 'data', ['messages', i, 'content', j, 'input_audio']);
        requiredString(audio, 'format', ['messages', i, 'content', j, 'input_audio']);
        break;
      }
      case 'file': {
        const file = part.file;
        if (!isObject(file)) expected(['messages', i, 'content', j, 'file'], 'an object with "file_data" or "file_id"', file);
        for (const key of ['file_data', 'file_id', 'filename']) stringField(file, key, ['messages', i, 'content', j, 'file'], false);
        if (file.file_data === undefined && file.file_id === undefined) fail(['messages', i, 'content', j, 'file'], 'expected "file_data" or "file_id"');
        break;
      }
      default:
        break;
    }
  }
}

function checkAssistant(message: Record<string, unknown>, i: number): void {
  const content = message.content;
  if (Array.isArray(content)) {
    for (let j = 0; j < content.length; j++) {
      const part = partOf(content[j], i, j);
      if (part.type === 'text') checkText(part, i, j);
      else if (part.type === 'refusal') requiredString(part, 'refusal', ['messages', i, 'content', j]);
      else expected(['messages', i, 'content', j, 'type'], oneOf(['text', 'refusal']), part.type);
    }
  } else if (content !== undefined && content !== null && typeof content !== 'string') {
    expected(['messages', i, 'content'], 'a string, an array of content parts or null', content);
  }
  stringField(message, 'refusal', ['messages', i]);
  const calls = message.tool_calls;
  if (calls !== undefined && calls !== null) {
    if (!Array.isArray(calls)) expected(['messages', i, 'tool_calls'], 'an array of tool calls', calls);
    for (let j = 0; j < calls.length; j++) checkToolCall(calls[j], i, j);
  }
  const legacyCall = objectField(message, 'function_call', ['messages', i]);
  if (legacyCall !== undefined) {
    requiredString(legacyCall, 'name', ['messages', i, 'function_call']);
    if (typeof legacyCall.arguments !== 'string') expected(['messages', i, 'function_call', 'arguments'], 'a string', legacyCall.arguments);
  }
}

function checkToolCall(call: unknown, i: number, j: number): void {
  if (!isObject(call)) return expected(['messages', i, 'tool_calls', j], 'a tool call object', call);
  requiredString(call, 'id', ['messages', i, 'tool_calls', j]);
  if (call.type === 'custom') {
    const custom = call.custom;
    if (!isObject(custom)) return expected(['messages', i, 'tool_calls', j, 'custom'], 'an object with "name" and "input"', custom);
    requiredString(custom, 'name', ['messages', i, 'tool_calls', j, 'custom']);
    if (typeof custom.input !== 'string') expected(['messages', i, 'tool_calls', j, 'custom', 'input'], 'a string', custom.input);
    return;
  }
  // The type may be omitted by lenient clients.
  if (call.type !== undefined && call.type !== 'function') expected(['messages', i, 'tool_calls', j, 'type'], oneOf(['function', 'custom']), call.type);
  const fn = call.function;
  if (!isObject(fn)) return expected(['messages', i, 'tool_calls', j, 'function'], 'an object with "name" and "arguments"', fn);
  requiredString(fn, 'name', ['messages', i, 'tool_calls', j, 'function']);
  // `arguments` is a JSON-encoded object *as a string*; an object here is a common client bug.
  if (typeof fn.arguments !== 'string') expected(['messages', i, 'tool_calls', j, 'function', 'arguments'], 'a string (JSON-encoded arguments)', fn.arguments);
}

function partOf(part: unknown, i: number, j: number): Record<string, unknown> & { type: string } {
  if (!isObject(part)) return expected(['messages', i, 'content', j], 'a content part object', part);
  if (typeof part.type !== 'string') {
    if (part.type === undefined) required(['messages', i, 'content', j, 'type'], 'a string');
    expected(['messages', i, 'content', j, 'type'], 'a string', part.type);
  }
  return part as Record<string, unknown> & { type: string };
}

function checkText(part: Record<string, unknown>, i: number, j: number): void {
  if (typeof part.text !== 'string') {
    if (part.text === undefined) required(['messages', i, 'content', j, 'text'], 'a string');
    expected(['messages', i, 'content', j, 'text'], 'a string', part.text);
  }
}
