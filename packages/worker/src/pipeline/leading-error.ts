/**
 * An upstream that answers 200 and then an error as its very FIRST SSE event (Anthropic's
 * overloaded_error after its headers, a Gemini or OpenAI-compatible `data: {"error": ...}`) has
 * sent the caller nothing yet: the attempt can still fail over, as for an error status. Only a
 * whole first event in the first read is looked at; anything else commits the stream as before.
 */

/** Anthropic error types that another target may not share, as the status they stand for. */
const ANTHROPIC_RETRYABLE: Readonly<Record<string, number>> = { overloaded_error: 529, api_error: 500, rate_limit_error: 429, timeout_error: 504 };
/** OpenAI error types likewise. */
const OPENAI_RETRYABLE: Readonly<Record<string, number>> = { server_error: 500, rate_limit_exceeded: 429 };

const START = /^(?:event: ?error|data: ?\{"(?:type|error)")/;
const HEAD = /^(?:event: ?error\r?\n)?data: ?(\{"(?:type"\s*:\s*"error|error")[^\r\n]*)\r?\n\r?\n/;

/** The status the leading error stands for and its payload, or null (no error first, or not one worth another target). */
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
  if (payload.type === 'error' && typeof error.type === 'string') status = ANTHROPIC_RETRYABLE[error.type];
  else if (typeof error.code === 'number' && (error.code === 429 || error.code >= 500)) status = error.code; // Gemini
  else if (typeof error.type === 'string') status = OPENAI_RETRYABLE[error.type];
  return status === undefined ? null : { status, body: Buffer.from(head[1]!) };
}
