/**
 * POST /v1/messages and /v1/messages/count_tokens request validation (Anthropic semantics, field
 * paths spelled `messages.0.content` as the API does). Turn order is not enforced: the API merges
 * consecutive same-role turns and OpenAI-compatible upstreams accept any order.
 */
import type { AnthropicCountTokensRequest, AnthropicMessagesRequest } from '@gatewayd/shared';
import type { GatewayError } from '@gatewayd/shared/errors';
import { blockOf, checkMessageContent, checkTextBlock } from './anthropic-content.js';
import { checkAnthropicTools, checkThinking } from './anthropic-tools.js';
import { booleanField, checkNumberValue, modelField, numberField, objectField, stringArrayField, stringField } from './fields.js';
import { expected, fail, isObject, oneOf, required, runValidation } from './issue.js';

const ROLES = ['user', 'assistant'];

export function validateMessagesRequest(body: unknown): AnthropicMessagesRequest | GatewayError {
  return runValidation<AnthropicMessagesRequest>('anthropic', body, checkMessagesRequest);
}

export function validateCountTokensRequest(body: unknown): AnthropicCountTokensRequest | GatewayError {
  return runValidation<AnthropicCountTokensRequest>('anthropic', body, checkCountTokensRequest);
}

function checkMessagesRequest(req: Record<string, unknown>): void {
  modelField(req);
  const maxTokens = req.max_tokens;
  if (maxTokens === undefined) required(['max_tokens'], 'a positive integer');
  checkNumberValue(maxTokens, { integer: true, min: 1 }, () => ['max_tokens']);
  checkConversation(req);
  stringArrayField(req, 'stop_sequences', Number.MAX_SAFE_INTEGER);
  booleanField(req, 'stream');
  // Anthropic's ranges: temperature is 0..1 (OpenAI's is 0..2).
  numberField(req, 'temperature', { min: 0, max: 1 });
  numberField(req, 'top_p', { min: 0, max: 1 });
  numberField(req, 'top_k', { integer: true, min: 0 });
  const metadata = objectField(req, 'metadata');
  if (metadata !== undefined) stringField(metadata, 'user_id', ['metadata']);
  checkThinking(req);
  stringField(req, 'service_tier');
}

function checkCountTokensRequest(req: Record<string, unknown>): void {
  modelField(req);
  checkConversation(req);
  checkThinking(req);
}

/** Fields common to both endpoints: messages, system, tools, tool_choice. */
function checkConversation(req: Record<string, unknown>): void {
  checkMessages(req.messages);
  checkSystem(req.system);
  checkAnthropicTools(req);
}

function checkMessages(messages: unknown): void {
  if (messages === undefined) required(['messages'], 'a non-empty array of messages');
  if (!Array.isArray(messages)) return expected(['messages'], 'a non-empty array of messages', messages);
  if (messages.length === 0) fail(['messages'], 'at least one message is required');
  for (let i = 0; i < messages.length; i++) {
    const message: unknown = messages[i];
    if (!isObject(message)) expected(['messages', i], 'a message object', message);
    const role = message.role;
    if (role !== 'user' && role !== 'assistant') {
      if (role === undefined) required(['messages', i, 'role'], oneOf(ROLES));
      if (role === 'system') fail(['messages', i, 'role'], 'unexpected role "system": the Messages API takes a top-level "system" parameter, not a system message');
      expected(['messages', i, 'role'], oneOf(ROLES), role);
    }
    checkMessageContent(message.content, ['messages', i, 'content']);
  }
}

function checkSystem(system: unknown): void {
  if (system === undefined || system === null || typeof system === 'string') return;
  if (!Array.isArray(system)) return expected(['system'], 'a string or an array of text blocks', system);
  for (let i = 0; i < system.length; i++) {
    const block = blockOf(system[i], ['system', i]);
    if (block.type !== 'text') expected(['system', i, 'type'], '"text"', block.type);
    checkTextBlock(block, ['system', i]);
  }
}
