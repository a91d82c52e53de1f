/**
 * Health endpoints. Liveness answers 200 as long as the worker runs; readiness answers 503 while
 * draining, so a load balancer stops sending new work here.
 */
import { sendJson } from '../http/respond.js';
import type { Handler, RouteTable } from '../http/router.js';

const OK = Buffer.from('{"status":"ok"}');
const DRAINING = Buffer.from('{"status":"draining"}');
const READY = Buffer.from('{"status":"ready"}');

const health: Handler = (ex) => sendJson(ex, 200, ex.worker.draining ? DRAINING : OK);
const live: Handler = (ex) => sendJson(ex, 200, OK);
const ready: Handler = (ex) => (ex.worker.draining ? sendJson(ex, 503, DRAINING) : sendJson(ex, 200, READY));

export function addHealthRoutes(routes: RouteTable): void {
  // HEAD too: some load balancers probe with it (the answer carries no body).
  routes.set('/health', { get: health, head: health });
  routes.set('/health/live', { get: live, head: live });
  routes.set('/live', { get: live, head: live });
  routes.set('/health/ready', { get: ready, head: ready });
  routes.set('/ready', { get: ready, head: ready });
}
