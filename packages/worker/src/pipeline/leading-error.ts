/**
 * An upstream that answers 200 and then an error as its very FIRST SSE event (Anthropic's
 * overloaded_error after its headers, a Gemini or OpenAI-compatible `data: {"error": ...}`) has
 * sent the caller nothing yet: the attempt is judged as if that error had come as its status
 * (a 5xx or 429 fails over, a 400 reaches the caller as a 400 in its protocol). Only a whole
 * first event in the first read is looked at; anything else commits the stream as before.
 */

/** Anthropic error types, as the status they stand for. */
const ANTHROPIC_TYPES: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};
/** OpenAI error types likewise. */
const OPENAI_TYPES: Readonly<Record<string, number>> = { invalid_request_error: 400, server_error: 500, rate_limit_exceeded: 429, insufficient_quota: 429 };
/** OpenAI error codes for types that do not say it (a rate limit's type is "tokens" or "requests"). */
const OPENAI_CODES: Readonly<Record<string, number>> = { rate_limit_exceeded: 429, insufficient_quota: 429, context_length_exceeded: 400 };

const START = /^(?:event: ?error|data: ?\{"(?:type|error)")/;
const HEAD = /^(?:event: ?error\r?\n)?data: ?(\{"(?:type"\s*:\s*"error|error")[^\r\n]*)\r?\n\r?\n/;

/** The status the leading error stands for and its payload, or null (no error first, or one of an unknown type). */
export function leadingStreamError(chunk: Buffer): { status: number; body: Buffer } | null {
  // Every stream's first read passes here: a look at its first bytes, decoded only if it is an error.
  if (!START.test(chunk.toString('latin1', 0, Math.min(chunk.length, 24)))) return null;
  const head = HEAD.exec(chunk.toString('utf8', 0, Math.min(chunk.length, 64 * 1024)));
  if (head === null) return null;
  let payload: { type?: unknown; error?: { type?: unknown; code?: unknown; status?: unknown } };
  try {
    payload = JSON.parse(head[1]!) as typeof payload;
  } catch {
    return null;
  }
  const error = payload.error;
  if (typeof error !== 'object' || error === null) return null;
  let status: number | undefined;
  if (payload.type === 'error' && typeof error.type === 'string') status = ANTHROPIC_TYPES[error.type];
  else if (typeof error.code === 'number' && error.code >= 400 && error.code <= 599) status = error.code; // Gemini, vLLM
  else {
    if (typeof error.type === 'string') status = OPENAI_TYPES[error.type];
    if (status === undefined && typeof error.code === 'string') status = OPENAI_CODES[error.code];
  }
  return status === undefined ? null : { status, body: Buffer.from(head[1]!) };
}
