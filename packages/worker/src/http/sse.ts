/**
 * Server-sent events on a uWS response. Callers hold the cork (respond.corked or res.cork).
 *
 * A stream never ends with uWS's `end(body, closeConnection=true)`: after chunked writes this uWS
 * build writes the `Connection: close` header into the body and corrupts the chunked framing.
 * A stream that starts while draining announces `Connection: close` in its headers instead; one
 * that started before is ended normally, and the client's next request on that connection is the
 * one answered with Connection: close.
 */
import type { ErrorCode } from '@gatewayd/shared/errors';
import { encodeAnthropicStreamError, encodeOpenaiStreamError } from '../protocol/sse/encode.js';
import type { ErrorShape, Exchange, HeaderList } from './exchange.js';
import { writeCommonHeaders } from './respond.js';

export const SSE_DONE = 'data: [DONE]\n\n';
const EVENT_STREAM = 'text/event-stream';

/** The event that ends a failed stream, in the caller's protocol. */
export function streamErrorEvent(shape: ErrorShape, code: ErrorCode, message: string): string {
  return shape === 'anthropic' ? encodeAnthropicStreamError(code, message) : encodeOpenaiStreamError(code, message);
}

/** Status line and headers; uWS sends them with the first write. `extra` may set content-type. */
export function beginSse(ex: Exchange, extra: HeaderList | null = null, contentType: string = EVENT_STREAM): void {
  const res = ex.res;
  res.writeStatus('200 OK').writeHeader('content-type', contentType).writeHeader('cache-control', 'no-cache').writeHeader('x-accel-buffering', 'no');
  writeCommonHeaders(ex, extra);
  if (ex.closing) res.writeHeader('connection', 'close');
  ex.headersWritten = true;
  ex.markStreaming();
}

/** False means backpressure: wait for onWritable before writing more (native engine). */
export function writeSse(ex: Exchange, data: string | Uint8Array): boolean {
  return ex.res.write(data);
}

export function endSse(ex: Exchange, data: string | Uint8Array): void {
  if (ex.done) return;
  ex.res.end(data);
  ex.finish(200);
}
