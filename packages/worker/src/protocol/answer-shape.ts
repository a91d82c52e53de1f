/**
 * The shape of an upstream answer (or stream event) checked before it is translated: where a field
 * the translation reads is null or of another type, reading it throws an error that names the
 * field (`choices[0].message is null, not a message`), instead of a JavaScript TypeError, a crash
 * or an empty answer. Only what the translations read is checked; unknown fields pass. Each check
 * tolerates what requireAnswer reports (no list at all), so that stays its message.
 */
import type { AnthropicMessage, ChatCompletionResponse, GeminiGenerateContentResponse } from '@gatewayd/shared';
import { isObject } from '../validate/issue.js';

export { isObject };

/** A JSON value's kind, for messages: `null`, `a number (7)`, `an array`, ... */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'undefined':
      return 'missing';
    case 'number':
    case 'boolean':
      return `${typeof value === 'number' ? 'a number' : 'a boolean'} (${String(value)})`;
    case 'string':
      return 'a string';
    default:
      return 'an object';
  }
}

function wrong(path: string, value: unknown, expected: string): never {
  throw new Error(`${path} is ${kindOf(value)}, not ${expected}`);
}

/** `value` if it is an object; else throws, naming `path` and what it is instead. */
export function requireObject(value: unknown, path: string, expected: string): Record<string, unknown> {
  if (!isObject(value)) wrong(path, value, expected);
  return value;
}

/** `value` if it is a string; else throws likewise. */
export function requireString(value: unknown, path: string, expected: string): string {
  if (typeof value !== 'string') wrong(path, value, expected);
  return value;
}

/** An SSE event's parsed data: every event of the streams the gateway translates is an object. */
export function requireEventObject(value: unknown): Record<string, unknown> {
  if (!isObject(value)) wrong('an event', value, 'a JSON object');
  return value;
}

/** The parts of an OpenAI answer that the Anthropic translation reads (every choice's message). */
export function checkOpenaiAnswer(res: ChatCompletionResponse): void {
  const choices: unknown = (res as { choices?: unknown }).choices;
  if (!Array.isArray(choices)) return;
  choices.forEach((choice: unknown, i) => {
    const at = `choices[${i}]`;
    if (!isObject(choice)) wrong(at, choice, 'a choice');
    const message = choice.message;
    if (!isObject(message)) wrong(`${at}.message`, message, 'a message');
    if (message.content != null && typeof message.content !== 'string' && !Array.isArray(message.content)) wrong(`${at}.message.content`, message.content, 'text');
    checkToolCalls(message.tool_calls, `${at}.message.tool_calls`, false);
  });
}

/** OpenAI tool calls, whole (`delta` false) or as stream deltas (every field optional). */
function checkToolCalls(calls: unknown, at: string, delta: boolean): void {
  if (calls == null) return;
  if (!Array.isArray(calls)) wrong(at, calls, 'a list of tool calls');
  calls.forEach((call: unknown, j) => {
    if (!isObject(call)) wrong(`${at}[${j}]`, call, 'a tool call');
    // Some servers omit a delta's index (see tool-call-deltas.ts); one that is there is a number.
    if (delta && call.index != null && !Number.isInteger(call.index)) wrong(`${at}[${j}].index`, call.index, 'a tool call index');
    if (call.type === 'custom' || (delta && call.function === undefined)) return;
    const fn = call.function;
    if (!isObject(fn)) wrong(`${at}[${j}].function`, fn, 'a function call');
    if (delta ? fn.name != null && typeof fn.name !== 'string' : typeof fn.name !== 'string') wrong(`${at}[${j}].function.name`, fn.name, 'a name');
    if (fn.arguments != null && typeof fn.arguments !== 'string') wrong(`${at}[${j}].function.arguments`, fn.arguments, 'a string');
  });
}

/** One OpenAI stream chunk (its choices and their deltas), as translated for an Anthropic caller. */
export function checkOpenaiChunk(chunk: Record<string, unknown>): void {
  const choices = chunk.choices;
  if (choices == null) return;
  if (!Array.isArray(choices)) wrong('choices', choices, 'a list');
  choices.forEach((choice: unknown, i) => {
    const at = `choices[${i}]`;
    if (!isObject(choice)) wrong(at, choice, 'a choice');
    const delta = choice.delta;
    // null: Azure's finish chunk; content as a list of parts: Mistral's (reasoning.ts reads both).
    if (delta == null) return;
    if (!isObject(delta)) wrong(`${at}.delta`, delta, 'a delta');
    if (delta.content != null && typeof delta.content !== 'string' && !Array.isArray(delta.content)) wrong(`${at}.delta.content`, delta.content, 'text');
    checkToolCalls(delta.tool_calls, `${at}.delta.tool_calls`, true);
  });
}

/** The content blocks of an Anthropic message, as translated for an OpenAI caller. */
export function checkAnthropicAnswer(res: AnthropicMessage): void {
  const content: unknown = (res as { content?: unknown } | null)?.content;
  if (!Array.isArray(content)) return;
  content.forEach((block: unknown, i) => checkAnthropicBlock(block, `content[${i}]`));
}

/** One content block: of a message, or a stream's content_block_start (where text may be empty). */
export function checkAnthropicBlock(block: unknown, at: string): void {
  if (!isObject(block)) wrong(at, block, 'a content block');
  if (typeof block.type !== 'string') wrong(`${at}.type`, block.type, 'a block type');
  if (block.type === 'text' && typeof block.text !== 'string') wrong(`${at}.text`, block.text, 'text');
  if (block.type === 'thinking' && typeof block.thinking !== 'string') wrong(`${at}.thinking`, block.thinking, 'text');
  if (block.type === 'tool_use') {
    if (typeof block.name !== 'string') wrong(`${at}.name`, block.name, 'a tool name');
    if (block.input != null && !isObject(block.input)) wrong(`${at}.input`, block.input, 'an object');
  }
}

/** Gemini candidates and their parts (a plain answer or one stream chunk). */
export function checkGeminiAnswer(res: GeminiGenerateContentResponse): void {
  const candidates: unknown = (res as { candidates?: unknown } | null)?.candidates;
  if (!Array.isArray(candidates)) return;
  candidates.forEach((candidate: unknown, i) => {
    const at = `candidates[${i}]`;
    if (!isObject(candidate)) wrong(at, candidate, 'a candidate');
    const content = candidate.content;
    if (content == null) return; // a candidate stopped before any content (SAFETY, MAX_TOKENS)
    if (!isObject(content)) wrong(`${at}.content`, content, 'content');
    const parts = content.parts;
    if (parts == null) return;
    if (!Array.isArray(parts)) wrong(`${at}.content.parts`, parts, 'a list of parts');
    parts.forEach((part: unknown, j) => {
      if (!isObject(part)) wrong(`${at}.content.parts[${j}]`, part, 'a part');
      if (part.text != null && typeof part.text !== 'string') wrong(`${at}.content.parts[${j}].text`, part.text, 'text');
      const call = part.functionCall;
      if (call == null) return;
      if (!isObject(call)) wrong(`${at}.content.parts[${j}].functionCall`, call, 'a function call');
      if (typeof call.name !== 'string') wrong(`${at}.content.parts[${j}].functionCall.name`, call.name, 'a name');
    });
  });
}
