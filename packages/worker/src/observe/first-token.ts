/**
 * Time to first token (llm_gateway_time_to_first_token_seconds, the access line's ttftMs): when
 * the first bytes that carry generated content reach the caller, not the stream's first bytes.
 * Upstreams send events without content first (OpenAI's role chunk, Anthropic's message_start
 * and ping, keep-alive comments of routers such as OpenRouter), seconds before the first token.
 *
 * Looked for in what is written to the caller, in its protocol, until found, or given up after
 * TOKEN_SEARCH_WRITES writes (a stream that carries no content as expected does not pay a search
 * per write). On JSON text a quoted key followed by a colon can only be a key: inside a string
 * every quote is escaped. Bytes that pass through keep the upstream's spacing (Python servers
 * write `"content": "Hi"`).
 */
import type { ErrorShape } from '../http/exchange.js';
import { asBuffer } from '../protocol/bytes.js';

/** A text, reasoning or refusal delta that is not empty, a tool call (not an empty list), a legacy function call, or completion text. */
const OPENAI_TOKEN = /"(?:content|reasoning_content|reasoning|refusal|text)"\s*:\s*"[^"]|"tool_calls"\s*:\s*\[\s*\{|"function_call"\s*:\s*\{/;

/** Writes searched for the first token before giving up on it. */
export const TOKEN_SEARCH_WRITES = 64;
const ANTHROPIC_TOKEN = 'content_block_delta';

export function carriesToken(data: string | Uint8Array, shape: ErrorShape): boolean {
  // latin1: one char per byte, no UTF-8 decoding; the markers are ASCII.
  const text = typeof data === 'string' ? data : asBuffer(data).toString('latin1');
  return shape === 'anthropic' ? text.includes(ANTHROPIC_TOKEN) : OPENAI_TOKEN.test(text);
}
