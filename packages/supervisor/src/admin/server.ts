/**
 * The admin plane (admin.host:admin.port, loopback by default), served by the supervisor itself:
 *   GET /metrics            Prometheus text, every worker aggregated
 *   GET /admin/stats        traffic per model and per key, totals, worker table
 *   GET /admin/workers      worker table
 *   GET /admin/config       the serving config, every secret redacted
 *   GET /health/providers   per-provider state, latency and last error, as the workers see them
 * With admin.token set, every endpoint needs `Authorization: Bearer <token>` (401 otherwise);
 * without it, a loopback admin plane answers only requests addressed to a loopback name (DNS
 * rebinding would otherwise let any web page read it).
 * Errors are JSON in the OpenAI shape with a GW_ERR_* code. Nothing here waits on a worker.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { openaiErrorBody, type ErrorCode } from '@gatewayd/shared';
import type { Logger } from 'pino';
import { formatAddress, isLoopbackHost } from '../supervisor/config.js';
import { isAuthorized, namesLoopback } from './auth.js';
import type { AdminHost } from './host.js';
import { configView, providersView, statsView, workersView } from './views.js';

export interface AdminServer {
  /** host:port actually bound (the port is real even when admin.port was 0). */
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

type Route = (host: AdminHost) => Promise<{ contentType: string; body: string }>;

const json = (view: (host: AdminHost) => unknown): Route => async (host) => ({ contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(view(host), null, 2)}\n` });

const ROUTES = new Map<string, Route>([
  ['/metrics', async (host) => ({ contentType: host.metrics.metrics.contentType, body: await host.metrics.metrics.metrics() })],
  ['/admin/stats', json(statsView)],
  ['/admin/workers', json(workersView)],
  ['/admin/config', json(configView)],
  ['/health/providers', json(providersView)],
]);

function sendError(res: ServerResponse, code: ErrorCode, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = openaiErrorBody(code, message);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
  res.end(body);
}

/** `onLoopback`: the admin plane is bound to a loopback address. */
async function handle(host: AdminHost, logger: Logger, onLoopback: boolean, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0]!;
  const route = ROUTES.get(path);
  const token = host.current.config.admin.token;
  if (!token && onLoopback && !namesLoopback(req.headers)) {
    sendError(res, 'GW_ERR_FORBIDDEN_HOST', 403, 'without admin.token the admin API answers only requests addressed to a loopback name (localhost, 127.0.0.1, [::1])');
    return;
  }
  if (!isAuthorized(req.headers, token)) {
    sendError(res, 'GW_ERR_UNAUTHORIZED', 401, 'the admin API needs Authorization: Bearer <admin.token>', { 'www-authenticate': 'Bearer realm="gatewayd-admin"' });
    return;
  }
  if (!route) {
    sendError(res, 'GW_ERR_NOT_FOUND', 404, `no admin endpoint ${path} (try /metrics, /admin/stats, /admin/workers, /admin/config, /health/providers)`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendError(res, 'GW_ERR_METHOD_NOT_ALLOWED', 405, `${path} answers GET and HEAD only`, { allow: 'GET, HEAD' });
    return;
  }
  try {
    const { contentType, body } = await route(host);
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (err) {
    logger.error({ err: (err as Error).message, path }, 'admin request failed');
    sendError(res, 'GW_ERR_INTERNAL', 500, 'internal error while building the answer');
  }
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const address = formatAddress(host, port);
  if (err.code === 'EADDRINUSE') return new Error(`admin port ${address} is already in use`);
  if (err.code === 'EACCES') return new Error(`permission denied to listen on the admin address ${address}`);
  if (err.code === 'EADDRNOTAVAIL') return new Error(`admin address ${host} is not available on this host`);
  return new Error(`cannot listen on the admin address ${address}: ${err.message}`);
}

/** Binds admin.host:admin.port (exclusively: a port already in use fails the start) and serves. */
export function startAdminServer(host: AdminHost, bind: { host: string; port: number }, logger: Logger): Promise<AdminServer> {
  // Beyond loopback without admin.token: warned about with the config (preflight.ts configWarnings).
  const onLoopback = isLoopbackHost(bind.host);
  const server: Server = createServer((req, res) => {
    handle(host, logger, onLoopback, req, res).catch((err: unknown) => {
      logger.error({ err: (err as Error).message }, 'admin request failed');
      if (!res.headersSent) sendError(res, 'GW_ERR_INTERNAL', 500, 'internal error');
      else res.destroy();
    });
  });
  // A slow or idle admin client must not hold the supervisor's shutdown.
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, bind.host, bind.port)));
    server.listen({ host: bind.host, port: bind.port, exclusive: true }, () => {
      server.removeAllListeners('error');
      server.on('error', (err) => logger.error({ err: err.message }, 'admin server error'));
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : bind.port;
      resolve({
        address: formatAddress(bind.host, port),
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
