import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ControlRequest, ControlResponse } from '@gatewayd/shared';
import { MAX_CONTROL_LINE_BYTES, parseControlRequest } from './protocol.js';

export type ControlHandler = (request: ControlRequest) => Promise<ControlResponse>;

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/**
 * The supervisor's UNIX control socket (beside the PID file): newline-delimited JSON, one request
 * per connection. The caller holds the PID file lock, so a socket file already there is stale.
 */
export async function startControlServer(path: string, handler: ControlHandler, logger: Logger): Promise<ControlServer> {
  const tooLong = socketPathProblem(path);
  // Else the kernel binds a truncated name elsewhere and the chmod fails with a puzzling ENOENT.
  if (tooLong !== null) throw new Error(tooLong);
  rmSync(path, { force: true });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    serveConnection(socket, handler, logger);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Reload and stop are privileged: only the supervisor's user (and root) may connect.
  chmodSync(path, 0o600);
  let closing: Promise<void> | null = null;
  return {
    path,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A client still waiting (e.g. on a reload the shutdown aborted) must not hold the exit.
        for (const socket of sockets) socket.end();
      }).finally(() => rmSync(path, { force: true }));
      return closing;
    },
  };
}

/** sockaddr_un holds 108 bytes on Linux, 104 on macOS, the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

export function socketPathProblem(path: string): string | null {
  const bytes = Buffer.byteLength(path);
  if (bytes <= MAX_SOCKET_PATH_BYTES) return null;
  return `the path is ${bytes} bytes, and a UNIX socket path may have at most ${MAX_SOCKET_PATH_BYTES}: use a --pid-file in a shorter directory (the socket lives beside it)`;
}

function serveConnection(socket: Socket, handler: ControlHandler, logger: Logger): void {
  let buffer = '';
  let handled = false;
  const reply = (response: ControlResponse): void => {
    if (!socket.destroyed) socket.end(`${JSON.stringify(response)}\n`);
  };
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    if (handled) return;
    buffer += chunk;
    const newline = buffer.indexOf('\n');
    if (newline === -1) {
      if (buffer.length > MAX_CONTROL_LINE_BYTES) {
        handled = true;
        reply({ ok: false, error: 'request too large' });
      }
      return;
    }
    handled = true;
    const request = parseControlRequest(buffer.slice(0, newline));
    if (typeof request === 'string') {
      reply({ ok: false, error: request });
      return;
    }
    logger.debug({ cmd: request.cmd }, 'control request');
    handler(request).then(reply, (err: unknown) => {
      logger.error({ cmd: request.cmd, err: (err as Error).message }, 'control request failed');
      reply({ ok: false, error: (err as Error).message });
    });
  });
}
