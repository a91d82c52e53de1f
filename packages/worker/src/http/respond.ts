/**
 * Writing responses: JSON answers, OpenAI-shaped errors, and the failure and drain-cut paths.
 * Every response carries x-request-id; while draining, every response ends with
 * `Connection: close` so keep-alive clients reconnect to a sibling worker.
 */
import { STATUS_CODES } from 'node:http';
import { ERRORS, openaiErrorBody, type ErrorCode } from '@gatewayd/shared/errors';
import type { Exchange } from './exchange.js';
import { endSse, errorEvent } from './sse.js';
import { isNativeEngine, type RecognizedString } from './uws.js';

export type Body = RecognizedString;

const STATUS_LINES: string[] = [];
for (let code = 100; code < 600; code++) STATUS_LINES[code] = `${code} ${STATUS_CODES[code] ?? 'Status'}`;

export function statusLine(status: number): string {
  return STATUS_LINES[status] ?? `${status} Status`;
}

/** Runs `write` corked: directly inside the uWS handler, through res.cork() from callbacks and timers. */
export function corked(ex: Exchange, write: () => void): void {
  if (ex.inHandler) write();
  else ex.res.cork(write);
}

export function sendJson(ex: Exchange, status: number, body: Body, closeConnection = false): void {
  if (ex.done) return;
  if (ex.inHandler) writeJson(ex, status, body, closeConnection);
  else ex.res.cork(() => writeJson(ex, status, body, closeConnection));
}

function writeJson(ex: Exchange, status: number, body: Body, closeConnection: boolean): void {
  if (ex.done) return;
  ex.res.writeStatus(statusLine(status)).writeHeader('x-request-id', ex.id).writeHeader('content-type', 'application/json');
  // uWS adds `Connection: close` for end(body, true) only when the client did not ask for it.
  if (ex.closeRequested) ex.res.writeHeader('connection', 'close');
  ex.headersWritten = true;
  const close = closeConnection || ex.worker.draining || ex.closeRequested || ex.closeListed;
  if (ex.method === 'head' && isNativeEngine) endHead(ex, close);
  else ex.res.end(body, close);
  ex.finish(status);
}

/**
 * uWS would send a body after a HEAD answer and desynchronise a keep-alive client. This build's
 * endWithoutBody(length) resets the connection, so: no body and no Content-Length, or an empty
 * body when the connection closes anyway.
 */
function endHead(ex: Exchange, close: boolean): void {
  if (close) ex.res.end('', true);
  else ex.res.endWithoutBody();
}

export function sendError(ex: Exchange, code: ErrorCode, message: string, closeConnection = false): void {
  sendJson(ex, ERRORS[code].status, openaiErrorBody(code, message), closeConnection);
}

/** A handler threw: log it, and answer 500 unless the response is already under way. */
export function failExchange(ex: Exchange, err: unknown): void {
  ex.worker.logger.error({ err, reqId: ex.id, path: ex.path }, 'request handler failed');
  if (ex.done) return;
  const cancel = ex.cancel;
  ex.cancel = null;
  try {
    cancel?.();
    if (!ex.headersWritten) {
      sendError(ex, 'GW_ERR_INTERNAL', `internal error; request id ${ex.id}`);
    } else if (ex.streaming) {
      corked(ex, () => endSse(ex, errorEvent('GW_ERR_INTERNAL', `internal error; request id ${ex.id}`)));
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
 * Drain deadline: a stream gets a final error event, a request not yet answered gets a 503 with
 * Connection: close. The worker exits right after, which closes whatever connections remain.
 */
export function cutExchange(ex: Exchange): void {
  if (ex.done) return;
  const cancel = ex.cancel;
  ex.cancel = null;
  cancel?.();
  try {
    if (ex.streaming) ex.res.cork(() => endSse(ex, errorEvent('GW_ERR_SHUTTING_DOWN', SHUTDOWN_MESSAGE)));
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
