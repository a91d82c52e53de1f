/**
 * Reads a request body up to a limit. uWS hands out chunks whose memory is only valid during the
 * callback, so each is copied once: straight into a buffer of the declared Content-Length, or
 * into a list when the length is not declared. Over the limit: 413, stop reading, close.
 */
import type { Exchange } from './exchange.js';
import { failExchange, sendError } from './respond.js';

/** Receives the complete body (the per-request object of an endpoint, so no closure is needed). */
export interface BodySink {
  onBody(body: Buffer): void;
}

function tooLarge(ex: Exchange, limit: number): void {
  sendError(ex, 'GW_ERR_BODY_TOO_LARGE', `request body exceeds the limit of ${limit} bytes`, true);
}

/**
 * A transfer coding other than plain `chunked` (`gzip, chunked`, `chunked, identity`): uWS frames
 * such a body as chunked whatever the rest says, so the gateway would read a body the sender (or
 * a proxy in front) framed or coded otherwise. Refused with the connection closed, as RFC 9112
 * asks: what follows on it cannot be trusted to start a request.
 */
function unsupportedTransferCoding(transferEncoding: string): boolean {
  return transferEncoding !== '' && transferEncoding.trim().toLowerCase() !== 'chunked';
}

/**
 * Must be called inside the uWS handler; `contentLength` and `transferEncoding` are the raw
 * headers ('' when absent). `sink.onBody` runs outside the handler: its exceptions are turned
 * into a 500 here.
 */
export function readBody(ex: Exchange, limit: number, contentLength: string, transferEncoding: string, sink: BodySink): void {
  if (unsupportedTransferCoding(transferEncoding)) {
    const shown = JSON.stringify(transferEncoding.slice(0, 64));
    sendError(ex, 'GW_ERR_BAD_REQUEST', `Transfer-Encoding ${shown} is not supported: send the body with Content-Length or Transfer-Encoding: chunked`, true);
    return;
  }
  const declared = contentLength === '' ? -1 : Number(contentLength);
  if (declared > limit) {
    tooLarge(ex, limit);
    return;
  }
  ex.goAsync();
  const exact = Number.isInteger(declared) && declared >= 0 ? Buffer.allocUnsafe(declared) : null;
  let parts: Buffer[] | null = null;
  let size = 0;
  ex.res.onData((chunk, isLast) => {
    if (ex.done) return;
    const length = chunk.byteLength;
    if (size + length > limit || (exact !== null && size + length > exact.length)) {
      tooLarge(ex, limit);
      return;
    }
    // The fallback engine passes node Buffers; the native one ArrayBuffers valid only in here.
    const view = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (exact !== null) view.copy(exact, size);
    else (parts ??= []).push(Buffer.from(view));
    size += length;
    if (!isLast) return;
    const body = exact !== null ? (size === exact.length ? exact : exact.subarray(0, size)) : parts === null ? Buffer.alloc(0) : Buffer.concat(parts, size);
    try {
      sink.onBody(body);
    } catch (err) {
      failExchange(ex, err);
    }
  });
}
