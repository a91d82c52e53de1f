import { connect } from 'node:net';
import type { ControlRequest, ControlResponse } from '@gatewayd/shared';

/** The supervisor is not reachable on its control socket (gone, or not listening yet). */
export class ControlUnavailableError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`control socket ${path} does not answer: ${reason}`);
    this.name = 'ControlUnavailableError';
  }
}

/**
 * Sends one request and resolves with the supervisor's answer. `timeoutMs` 0 waits as long as the
 * supervisor keeps the connection open (a synchronous reload can take several ready_timeouts).
 */
export function sendControlRequest(path: string, request: ControlRequest, timeoutMs: number): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffer = '';
    let settled = false;
    const finish = (err: Error | null, response?: ControlResponse): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve(response!);
    };
    if (timeoutMs > 0) {
      socket.setTimeout(timeoutMs, () => finish(new ControlUnavailableError(path, `no answer within ${timeoutMs} ms`)));
    }
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline === -1) return;
      try {
        finish(null, JSON.parse(buffer.slice(0, newline)) as ControlResponse);
      } catch {
        finish(new ControlUnavailableError(path, 'the answer is not valid JSON'));
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish(new ControlUnavailableError(path, err.code ?? err.message)));
    socket.on('close', () => finish(new ControlUnavailableError(path, 'connection closed without an answer')));
  });
}
