/**
 * Anthropic content blocks (`messages.N.content.M`, `system.M`, tool_result content). Known block
 * types are checked field by field; unknown types (server tool results, search results and
 * whatever the API adds next) pass through with just a string `type`.
 */
import { booleanField, objectField, requiredString, stringField } from './fields.js';
import { expected, isObject, oneOf, required, type PathSegment } from './issue.js';

type Path = readonly PathSegment[];

export function blockOf(block: unknown, path: Path): Record<string, unknown> & { type: string } {
  if (!isObject(block)) return expected(path, 'a content block object', block);
  if (typeof block.type !== 'string') {
    if (block.type === undefined) required([...path, 'type'], 'a string');
    expected([...path, 'type'], 'a string', block.type);
  }
  objectField(block, 'cache_control', path);
  return block as Record<string, unknown> & { type: string };
}

export function checkTextBlock(block: Record<string, unknown>, path: Path): void {
  if (typeof block.text === 'string') return;
  if (block.text === undefined) required([...path, 'text'], 'a string');
  expected([...path, 'text'], 'a string', block.text);
}

/** A message's `content`: a string or an array of blocks (emptiness is left to the upstream). */
export function checkMessageContent(content: unknown, path: Path): void {
  if (typeof content === 'string') return;
  if (content === undefined) required(path, 'a string or an array of content blocks');
  if (!Array.isArray(content)) return expected(path, 'a string or an array of content blocks', content);
  for (let j = 0; j < content.length; j++) checkBlock(content[j], [...path, j]);
}

function checkBlock(value: unknown, path: Path): void {
  const block = blockOf(value, path);
  switch (block.type) {
    case 'text':
      checkTextBlock(block, path);
      break;
    case 'image':
      checkSource(block, path, ['base64', 'url', 'file']);
      break;
    case 'document':
      checkSource(block, path, ['base64', 'text', 'url', 'content', 'file']);
      stringField(block, 'title', path);
      stringField(block, 'context', path);
      break;
    case 'tool_use':
      requiredString(block, 'id', path);
      requiredString(block, 'name', path);
      if (!isObject(block.input)) {
        if (block.input === undefined) required([...path, 'input'], 'an object');
        expected([...path, 'input'], 'an object', block.input);
      }
      break;
    case 'tool_result':
      requiredString(block, 'tool_use_id', path);
      checkToolResultContent(block.content, [...path, 'content']);
      booleanField(block, 'is_error', path);
      break;
    case 'thinking':
      requiredText(block, 'thinking', path);
      requiredText(block, 'signature', path);
      break;
    case 'redacted_thinking':
      requiredText(block, 'data', path);
      break;
    default:
      break;
  }
}

function checkToolResultContent(content: unknown, path: Path): void {
  if (content === undefined || typeof content === 'string') return;
  if (!Array.isArray(content)) return expected(path, 'a string or an array of content blocks', content);
  for (let k = 0; k < content.length; k++) {
    const inner = blockOf(content[k], [...path, k]);
    if (inner.type === 'text') checkTextBlock(inner, [...path, k]);
    else if (inner.type === 'image') checkSource(inner, [...path, k], ['base64', 'url', 'file']);
    else if (inner.type === 'document') checkSource(inner, [...path, k], ['base64', 'text', 'url', 'content', 'file']);
  }
}

/** `source` of image/document blocks: the fields each source type needs. */
function checkSource(block: Record<string, unknown>, path: Path, types: readonly string[]): void {
  const source = block.source;
  const at = [...path, 'source'];
  if (!isObject(source)) {
    if (source === undefined) required(at, 'an object');
    expected(at, 'an object', source);
  }
  const type = source.type;
  if (typeof type !== 'string' || !types.includes(type)) expected([...at, 'type'], oneOf(types), type);
  switch (type) {
    case 'base64':
    case 'text':
      requiredString(source, 'media_type', at);
      requiredText(source, 'data', at);
      break;
    case 'url':
      requiredString(source, 'url', at);
      break;
    case 'file':
      requiredString(source, 'file_id', at);
      break;
    case 'content': {
      const inner = source.content;
      if (typeof inner === 'string') break;
      if (!Array.isArray(inner)) expected([...at, 'content'], 'a string or an array of content blocks', inner);
      for (let k = 0; k < inner.length; k++) {
        const part = blockOf(inner[k], [...at, 'content', k]);
        if (part.type === 'text') checkTextBlock(part, [...at, 'content', k]);
      }
      break;
    }
  }
}

/** A required string that may be empty (text payloads). */
function requiredText(obj: Record<string, unknown>, key: string, path: Path): void {
  const value = obj[key];
  if (typeof value === 'string') return;
  if (value === undefined) required([...path, key], 'a string');
  expected([...path, key], 'a string', value);
}
