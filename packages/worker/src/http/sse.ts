/**
 * Server-sent events on a uWS response. Callers hold the cork (respond.corked or res.cork).
 *
 * A stream never ends with uWS's `end(body, closeConnection=true)`: after chunked writes this uWS
 * build writes the `Connection: close` header into the body and corrupts the chunked framing.
 * A stream that starts while draining announces `Connection: close` in its headers instead; one
 * that started before is ended normally, and the client's next request on that connection is the
 * one answered with Connection: close.
 */
import { openaiErrorBody, type ErrorCode } from '@gatewayd/shared/errors';
import type { Exchange } from './exchange.js';

export const SSE_DONE = 'data: [DONE]\n\n';

export function errorEvent(code: ErrorCode, message: string): string {
  return `data: ${openaiErrorBody(code, message)}\n\n`;
}

/** Status line and headers; uWS sends them with the first write. */
export function beginSse(ex: Exchange): void {
  const res = ex.res;
  res
    .writeStatus('200 OK')
    .writeHeader('x-request-id', ex.id)
    .writeHeader('content-type', 'text/event-stream')
    .writeHeader('cache-control', 'no-cache')
    .writeHeader('x-accel-buffering', 'no');
  if (ex.worker.draining || ex.closeRequested || ex.closeListed) res.writeHeader('connection', 'close');
  ex.headersWritten = true;
  ex.markStreaming();
}

/** False means backpressure: wait for onWritable before writing more (native engine). */
export function writeSse(ex: Exchange, data: string): boolean {
  return ex.res.write(data);
}

export function endSse(ex: Exchange, data: string): void {
  if (ex.done) return;
  ex.res.end(data);
  ex.finish(200);
}
