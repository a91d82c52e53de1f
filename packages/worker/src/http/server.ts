/**
 * The data-plane server: the route table behind one uWS catch-all, listening on the configured
 * address. uWS sets SO_REUSEPORT on Linux, so every worker binds the same port and the kernel
 * spreads new connections over them. Owns the per-worker gateway state built from the config:
 * router, authenticator, CORS policy, upstream pools and provider adapters.
 */
import type { GatewayConfig } from '@gatewayd/shared';
import { Authenticator, Cors } from '../auth/index.js';
import { addApiRoutes, type EndpointDeps } from '../endpoints/index.js';
import type { Logger } from '../log.js';
import { prices } from '../metrics/index.js';
import { createAdapters } from '../pipeline/registry.js';
import { addHealthRoutes } from '../routes/health.js';
import { Router } from '../routing/index.js';
import type { WorkerState } from '../state.js';
import { PoolRegistry } from '../upstream/pools.js';
import { createDispatcher, type RouteTable } from './router.js';
import { App, us_listen_socket_close, us_socket_local_port, type TemplatedApp, type us_listen_socket } from './uws.js';

export interface DataServer {
  readonly app: TemplatedApp;
  readonly router: Router;
  /** Resolves with the bound port, or null when uWS could not listen. */
  listen(host: string, port: number): Promise<number | null>;
  /** Stops accepting connections; open connections stay. Idempotent. */
  closeListener(): void;
  /** Closes the upstream connections (the worker is about to exit). */
  shutdown(): Promise<void>;
}

export function createGatewayDeps(config: GatewayConfig, logger: Logger): EndpointDeps {
  const router = new Router(config);
  // The cost strategy orders by the prices the gateway bills at (etc/prices.yaml included).
  router.billedPrice = (target) => prices.billedPrice(target);
  const cors = new Cors(config.cors.origins);
  return {
    router,
    auth: new Authenticator(config.auth, (origin) => cors.allowed(origin)),
    cors,
    pools: new PoolRegistry(),
    adapters: createAdapters(),
    server: config.server,
    logger,
    bodyLimit: config.server.body_limit,
    createdAt: Math.floor(Date.now() / 1000),
  };
}

export function createDataServer(config: GatewayConfig, worker: WorkerState): DataServer {
  const deps = createGatewayDeps(config, worker.logger);
  const routes: RouteTable = new Map();
  addHealthRoutes(routes);
  addApiRoutes(routes, deps);

  const cors = deps.cors;
  const app = App();
  app.any('/*', createDispatcher(worker, routes, cors.enabled ? { corsFor: (origin) => cors.headersFor(origin) } : {}));
  let listenSocket: us_listen_socket | null = null;

  return {
    app,
    router: deps.router,
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
    shutdown() {
      return deps.pools.destroy();
    },
  };
}
