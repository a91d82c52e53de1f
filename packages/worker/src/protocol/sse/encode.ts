/**
 * SSE encoders for what the gateway itself produces (translated streams and error events).
 * Pass-through streams are forwarded as the upstream's bytes and never go through here.
 */
import { anthropicErrorBody, openaiErrorBody, type ErrorCode } from '@gatewayd/shared/errors';
import type { AnthropicStreamEvent, ChatCompletionChunk, CompletionResponse } from '@gatewayd/shared';

/** The OpenAI end-of-stream sentinel. */
export const OPENAI_DONE = 'data: [DONE]\n\n';

/** One OpenAI stream chunk (chat or legacy completion): `data: <json>\n\n`. */
export function encodeOpenaiChunk(chunk: ChatCompletionChunk | CompletionResponse): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** One Anthropic event; the SSE `event:` name always equals the payload's `type`. */
export function encodeAnthropicEvent(event: AnthropicStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Error event ending an OpenAI stream that failed after its first byte:
 * `data: {"error":{"message","type","param","code"}}`. The official SDKs raise an APIError when a
 * data payload has an `error` field. No [DONE] follows: the stream did not complete.
 */
export function encodeOpenaiStreamError(code: ErrorCode, message: string): string {
  return `data: ${openaiErrorBody(code, message)}\n\n`;
}

/** Error event ending an Anthropic stream: `event: error` + `{"type":"error","error":{type,message}}`. */
export function encodeAnthropicStreamError(code: ErrorCode, message: string): string {
  return `event: error\ndata: ${anthropicErrorBody(code, message)}\n\n`;
}
