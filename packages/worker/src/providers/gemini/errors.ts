/**
 * What a Gemini error body says that its status does not: an invalid API key is a 400
 * INVALID_ARGUMENT with reason API_KEY_INVALID (an auth failure: rotate the key, fail over), and
 * a 429's wait is in a RetryInfo detail (`"retryDelay": "37s"`), not in a retry-after header.
 */
import type { UpstreamErrorHint } from '../../pipeline/adapter.js';

interface GeminiErrorBody {
  error?: { details?: Array<{ '@type'?: unknown; reason?: unknown; retryDelay?: unknown }> };
}

const RETRY_DELAY = /^(\d+(?:\.\d+)?)s$/;

export function geminiErrorHint(status: number, body: Buffer): UpstreamErrorHint | undefined {
  if (status !== 400 && status !== 429 && status !== 503) return undefined;
  let parsed: GeminiErrorBody;
  try {
    parsed = JSON.parse(body.toString('utf8')) as GeminiErrorBody;
  } catch {
    return undefined;
  }
  const details = parsed?.error?.details;
  if (!Array.isArray(details)) return undefined;
  const hint: UpstreamErrorHint = {};
  for (const detail of details) {
    if (typeof detail !== 'object' || detail === null) continue;
    if (status === 400 && detail.reason === 'API_KEY_INVALID') hint.status = 401;
    const type = detail['@type'];
    const delay = typeof detail.retryDelay === 'string' ? RETRY_DELAY.exec(detail.retryDelay) : null;
    if (typeof type === 'string' && type.endsWith('google.rpc.RetryInfo') && delay !== null) hint.retryAfterMs = Math.ceil(Number(delay[1]) * 1000);
  }
  return hint.status === undefined && hint.retryAfterMs === undefined ? undefined : hint;
}
