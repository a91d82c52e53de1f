/**
 * Tool-call ids the gateway makes for signed Gemini function calls carry the call's whole
 * thoughtSignature after `__ts_` (providers/gemini/mapping.ts): hundreds of characters. Only
 * Gemini needs the signature back; OpenAI refuses ids over 40 characters, and other upstreams need
 * not take them either. So a conversation started on Gemini and continued on another target of the
 * model (round_robin, failover) reaches that target with each such id replaced by a short one
 * derived from it: deterministic, so a call and its result still match.
 */
import { createHash } from 'node:crypto';
import type { AnthropicMessageParam, ChatCompletionRequest } from '@gatewayd/shared';

/** Marks the signature inside a tool-call id made by the Gemini provider. */
export const SIGNATURE_MARK = '__ts_';
const MARK_BYTES = Buffer.from(SIGNATURE_MARK, 'latin1');

/** A cheap test of a caller's raw body: false means it holds no signed id (nothing to rewrite). */
export function mayHoldSignedIds(raw: Buffer): boolean {
  return raw.includes(MARK_BYTES);
}

/** A signed id as `call_` and 32 hex digits of its SHA-256 (37 characters); any other id as it is. */
export function shortToolId(id: string): string {
  if (!id.includes(SIGNATURE_MARK)) return id;
  return `call_${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
}

const isSigned = (id: unknown): id is string => typeof id === 'string' && id.includes(SIGNATURE_MARK);

/** The OpenAI Chat request with short ids in assistant tool_calls and tool messages; itself when none is signed. */
export function withShortOpenaiToolIds<R extends Pick<ChatCompletionRequest, 'messages'>>(request: R): R {
  let messages: R['messages'] | undefined;
  request.messages.forEach((message, i) => {
    let next = message;
    if (message.role === 'tool' && isSigned(message.tool_call_id)) next = { ...message, tool_call_id: shortToolId(message.tool_call_id) };
    else if (message.role === 'assistant' && message.tool_calls?.some((call) => isSigned(call.id))) {
      next = { ...message, tool_calls: message.tool_calls.map((call) => (isSigned(call.id) ? { ...call, id: shortToolId(call.id) } : call)) };
    }
    if (next !== message) (messages ??= [...request.messages])[i] = next;
  });
  return messages === undefined ? request : { ...request, messages };
}

/** The Anthropic request with short ids in tool_use and tool_result blocks; itself when none is signed. */
export function withShortAnthropicToolIds<R extends { messages: AnthropicMessageParam[] }>(request: R): R {
  let messages: AnthropicMessageParam[] | undefined;
  request.messages.forEach((message, i) => {
    if (typeof message.content === 'string') return;
    const signed = (block: (typeof message.content)[number]) => (block.type === 'tool_use' && isSigned(block.id)) || (block.type === 'tool_result' && isSigned(block.tool_use_id));
    if (!message.content.some(signed)) return;
    const content = message.content.map((block) => {
      if (block.type === 'tool_use' && isSigned(block.id)) return { ...block, id: shortToolId(block.id) };
      if (block.type === 'tool_result' && isSigned(block.tool_use_id)) return { ...block, tool_use_id: shortToolId(block.tool_use_id) };
      return block;
    });
    (messages ??= [...request.messages])[i] = { ...message, content };
  });
  return messages === undefined ? request : { ...request, messages };
}
