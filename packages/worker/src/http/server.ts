/**
 * The data-plane server: the route table behind one uWS catch-all, listening on the configured
 * address. uWS sets SO_REUSEPORT on Linux, so every worker binds the same port and the kernel
 * spreads new connections over them.
 */
import type { GatewayConfig } from '@gatewayd/shared';
import { addChatRoutes } from '../routes/chat.js';
import { addHealthRoutes } from '../routes/health.js';
import type { ModelTable } from '../models.js';
import type { WorkerState } from '../state.js';
import { createDispatcher, type RouteTable } from './router.js';
import { App, us_listen_socket_close, us_socket_local_port, type TemplatedApp, type us_listen_socket } from './uws.js';

export interface DataServer {
  readonly app: TemplatedApp;
  /** Resolves with the bound port, or null when uWS could not listen. */
  listen(host: string, port: number): Promise<number | null>;
  /** Stops accepting connections; open connections stay. Idempotent. */
  closeListener(): void;
}

export function createDataServer(config: GatewayConfig, models: ModelTable, worker: WorkerState): DataServer {
  const routes: RouteTable = new Map();
  addHealthRoutes(routes);
  addChatRoutes(routes, { config, models });

  const app = App();
  app.any('/*', createDispatcher(worker, routes));
  let listenSocket: us_listen_socket | null = null;

  return {
    app,
    listen(host, port) {
      return new Promise((resolve) => {
        app.listen(host, port, (socket) => {
          if (!socket) {
            resolve(null);
            return;
          }
          listenSocket = socket;
          resolve(port !== 0 ? port : us_socket_local_port(socket as never));
        });
      });
    },
    closeListener() {
      if (listenSocket === null) return;
      us_listen_socket_close(listenSocket);
      listenSocket = null;
    },
  };
}
