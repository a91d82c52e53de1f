/**
 * Writing responses: JSON answers, errors in the caller's protocol shape, and the failure and
 * drain-cut paths. Every response carries x-request-id (and request-id for Anthropic callers) and the request's CORS headers; while
 * draining, every response ends with `Connection: close` so keep-alive clients reconnect to a
 * sibling worker.
 */
import { STATUS_CODES } from 'node:http';
import { ERRORS, anthropicErrorBody, openaiErrorBody, type ErrorCode, type GatewayError } from '@gatewayd/shared/errors';
import type { ErrorShape, Exchange, HeaderList } from './exchange.js';
import { endSse, streamErrorEvent } from './sse.js';
import { isNativeEngine, type RecognizedString } from './uws.js';

export type Body = RecognizedString;

const STATUS_LINES: string[] = [];
for (let code = 100; code < 600; code++) STATUS_LINES[code] = `${code} ${STATUS_CODES[code] ?? 'Status'}`;

export function statusLine(status: number): string {
  return STATUS_LINES[status] ?? `${status} Status`;
}

const JSON_TYPE = 'application/json';

/** Runs `write` corked: directly inside the uWS handler, through res.cork() from callbacks and timers. */
export function corked(ex: Exchange, write: () => void): void {
  if (ex.inHandler) write();
  else ex.res.cork(write);
}

/** x-request-id, the CORS headers and `extra`; the status line must already be written. */
export function writeCommonHeaders(ex: Exchange, extra: HeaderList | null): void {
  const res = ex.res;
  res.writeHeader('x-request-id', ex.id);
  // Anthropic's SDKs read `request-id` (message._request_id, APIError.requestID): the upstream's
  // when Anthropic answered (it is in `extra`), else the gateway's own.
  if (ex.errorShape === 'anthropic' && !hasHeader(extra, 'request-id')) res.writeHeader('request-id', ex.id);
  if (ex.cors !== null) for (const [name, value] of ex.cors) res.writeHeader(name, value);
  if (ex.stateHeaders !== null) for (const [name, value] of ex.stateHeaders) res.writeHeader(name, value); // issue 4
  if (extra !== null) for (const [name, value] of extra) res.writeHeader(name, value);
}

function hasHeader(list: HeaderList | null, name: string): boolean {
  if (list !== null) for (const [key] of list) if (key === name) return true;
  return false;
}

export function sendJson(ex: Exchange, status: number, body: Body, closeConnection = false): void {
  sendBody(ex, status, JSON_TYPE, body, null, closeConnection);
}

/** A complete answer with a body; corks by itself. */
export function sendBody(ex: Exchange, status: number, contentType: string, body: Body, extra: HeaderList | null, closeConnection = false): void {
  if (ex.done) return;
  if (ex.inHandler) writeBody(ex, status, contentType, body, extra, closeConnection);
  else ex.res.cork(() => writeBody(ex, status, contentType, body, extra, closeConnection));
}

/** Writes a whole answer; the caller holds the cork. */
export function writeBody(ex: Exchange, status: number, contentType: string, body: Body, extra: HeaderList | null, closeConnection = false): void {
  if (ex.done) return;
  const res = ex.res;
  res.writeStatus(statusLine(status)).writeHeader('content-type', contentType);
  writeCommonHeaders(ex, extra);
  // uWS adds `Connection: close` for end(body, true) only when the client did not ask for it.
  if (ex.closeRequested) res.writeHeader('connection', 'close');
  ex.headersWritten = true;
  const close = closeConnection || ex.closing;
  if (ex.method === 'head' && isNativeEngine) endWithoutContent(ex, close);
  else res.end(body, close);
  ex.finish(status);
}

/** An answer without a body (CORS preflight). */
export function sendEmpty(ex: Exchange, status: number, extra: HeaderList | null): void {
  if (ex.done) return;
  corked(ex, () => {
    ex.res.writeStatus(statusLine(status));
    writeCommonHeaders(ex, extra);
    if (ex.closeRequested) ex.res.writeHeader('connection', 'close');
    ex.headersWritten = true;
    // A 204 must not carry Content-Length (RFC 9110 8.6), which end('') writes.
    if (isNativeEngine) endWithoutContent(ex, ex.closing);
    else ex.res.end('', ex.closing);
    ex.finish(status);
  });
}

/**
 * An answer with no content (HEAD, 204). uWS would send a body after a HEAD answer and
 * desynchronise a keep-alive client. This build's endWithoutBody(length) resets the connection,
 * so: no body and no Content-Length, or an empty body when the connection closes anyway.
 */
function endWithoutContent(ex: Exchange, close: boolean): void {
  if (close) ex.res.end('', true);
  else ex.res.endWithoutBody();
}

export function errorBody(shape: ErrorShape, code: ErrorCode, message: string, param: string | null = null, details: Record<string, unknown> | null = null): string {
  return shape === 'anthropic' ? anthropicErrorBody(code, message, details) : openaiErrorBody(code, message, param);
}

/** An error in the caller's protocol shape (ex.errorShape). */
export function sendError(ex: Exchange, code: ErrorCode, message: string, closeConnection = false, extra: HeaderList | null = null): void {
  sendBody(ex, ERRORS[code].status, JSON_TYPE, errorBody(ex.errorShape, code, message), extra, closeConnection);
}

/** A GatewayError, with its headers (e.g. retry-after). */
export function sendGatewayError(ex: Exchange, err: GatewayError): void {
  const headers = Object.entries(err.headers);
  sendBody(ex, err.status, JSON_TYPE, errorBody(ex.errorShape, err.code, err.message, err.fieldPath, err.details), headers.length > 0 ? headers : null);
}

/** A handler threw: log it, and answer 500 unless the response is already under way. */
export function failExchange(ex: Exchange, err: unknown): void {
  ex.worker.logger.error({ err, reqId: ex.id, path: ex.path }, 'request handler failed');
  if (ex.done) return;
  try {
    ex.cancelWork();
    if (!ex.headersWritten) {
      sendError(ex, 'GW_ERR_INTERNAL', `internal error; request id ${ex.id}`);
    } else if (ex.streaming) {
      corked(ex, () => endSse(ex, streamErrorEvent(ex.errorShape, 'GW_ERR_INTERNAL', `internal error; request id ${ex.id}`)));
    } else {
      ex.finish(500);
      ex.res.close();
    }
  } catch (second) {
    // The response itself is broken (e.g. uWS refused the access): give up on it, keep the worker.
    ex.worker.logger.error({ err: second, reqId: ex.id }, 'could not answer a failed request');
    ex.finish(500);
  }
}

const SHUTDOWN_MESSAGE = 'the gateway worker is shutting down and its drain deadline has passed';

/**
 * Drain deadline: the request's upstream work is cancelled, a stream gets a final error event,
 * a request not yet answered gets a 503 with Connection: close. The worker exits right after,
 * which closes whatever connections remain.
 */
export function cutExchange(ex: Exchange): void {
  if (ex.done) return;
  ex.cancelWork();
  try {
    if (ex.streaming) ex.res.cork(() => endSse(ex, streamErrorEvent(ex.errorShape, 'GW_ERR_SHUTTING_DOWN', SHUTDOWN_MESSAGE)));
    else if (!ex.headersWritten) sendError(ex, 'GW_ERR_SHUTTING_DOWN', SHUTDOWN_MESSAGE, true);
    else {
      ex.finish(503);
      ex.res.close();
    }
  } catch (err) {
    ex.worker.logger.warn({ err, reqId: ex.id }, 'could not cut a request at the drain deadline');
    ex.finish(503);
  }
}
