/**
 * Health endpoints. Liveness answers 200 as long as the worker runs; readiness answers 503 while
 * draining, so a load balancer stops sending new work here, and (issue 5) while a configured model
 * has no target on a provider that is up (health/readiness.ts).
 */
import { readinessAnswer } from '../health/index.js';
import { sendJson } from '../http/respond.js';
import type { Handler, RouteTable } from '../http/router.js';

const OK = Buffer.from('{"status":"ok"}');
const DRAINING = Buffer.from('{"status":"draining"}');

const health: Handler = (ex) => sendJson(ex, 200, ex.worker.draining ? DRAINING : OK);
const live: Handler = (ex) => sendJson(ex, 200, OK);
// A worker replaced by a reload is draining, but the gateway is not: a load balancer probing on a
// kept-alive connection must not take the instance out. The answer carries Connection: close (as
// every answer while draining), so its next probe reaches a new worker.
const ready: Handler = (ex) => {
  const answer = readinessAnswer(ex.worker.draining && !ex.worker.replaced);
  sendJson(ex, answer.status, answer.body);
};

export function addHealthRoutes(routes: RouteTable): void {
  // HEAD too: some load balancers probe with it (the answer carries no body).
  routes.set('/health', { get: health, head: health });
  routes.set('/health/live', { get: live, head: live });
  routes.set('/live', { get: live, head: live });
  routes.set('/health/ready', { get: ready, head: ready });
  routes.set('/ready', { get: ready, head: ready });
}
