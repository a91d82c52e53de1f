/**
 * Request ids: an incoming `x-request-id` is reused when it is sane (so a caller's trace id flows
 * through); otherwise a short id is made from a per-process random prefix and a counter, which is
 * unique across workers and restarts without a random draw per request.
 */
import { randomBytes } from 'node:crypto';

const MAX_INCOMING_LENGTH = 128;
const PROCESS_PREFIX = randomBytes(5).toString('hex');
let counter = 0;

/** Letters, digits and `-_.:/+=`: safe in a header, a log line and unescaped inside JSON. */
function isSaneIdChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || // 0-9
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    c === 0x2d || c === 0x5f || c === 0x2e || c === 0x3a || c === 0x2f || c === 0x2b || c === 0x3d
  );
}

export function isSaneRequestId(value: string): boolean {
  const length = value.length;
  if (length === 0 || length > MAX_INCOMING_LENGTH) return false;
  for (let i = 0; i < length; i++) if (!isSaneIdChar(value.charCodeAt(i))) return false;
  return true;
}

export function newRequestId(): string {
  counter++;
  return `${PROCESS_PREFIX}${counter.toString(36)}`;
}

/** `incoming` is the raw header value ('' when absent, as uWS returns it). */
export function requestIdFor(incoming: string): string {
  return isSaneRequestId(incoming) ? incoming : newRequestId();
}
