/**
 * Worker health (issue 5): readiness for /health/ready and, in worker 0 only, the active provider
 * checks. startHealth() must run before the first metrics report: the supervisor answers reports
 * with the merged provider view, and the listener for it has to be in place.
 */
import type { GatewayConfig } from '@gatewayd/shared';
import type { Logger } from '../log.js';
import type { MetricsRecorder } from '../metrics/index.js';
import type { Router } from '../routing/index.js';
import { ActiveHealthChecker } from './checker.js';
import { ProviderStates } from './provider-states.js';
import { Readiness, type ReadinessAnswer, type StateRefusal } from './readiness.js';

export { Readiness, type ReadinessAnswer, type StateRefusal, type UnhealthyModel } from './readiness.js';
export { ProviderStates } from './provider-states.js';
export { ActiveHealthChecker } from './checker.js';
export { probeRequest, verdictOf, transportVerdict } from './probe.js';

/** The worker that runs the active checks for the whole gateway. */
export const CHECKING_WORKER_ID = 0;

export interface HealthOptions {
  config: GatewayConfig;
  workerId: number;
  logger: Logger;
  recorder: MetricsRecorder;
  router: Router | null;
  /** The state backend is down and on_error closed refuses limited requests: not ready. */
  stateRefusal?: () => StateRefusal | null;
}

export interface WorkerHealth {
  /** Starts the active checks (worker 0, health_checks.enabled); call once listening. */
  startChecks(): void;
  /** Stops the active checks (the worker drains). */
  stop(): void;
}

let readiness: Readiness | null = null;

/** The /health/ready answer; before startHealth (or without it) only draining matters. */
export function readinessAnswer(draining: boolean): ReadinessAnswer {
  if (readiness !== null) return readiness.answer(draining);
  return draining ? { status: 503, body: '{"status":"draining"}' } : { status: 200, body: '{"status":"ready"}' };
}

export function startHealth(options: HealthOptions): WorkerHealth {
  const { config, recorder } = options;
  const states = new ProviderStates(() => recorder.providerHealth());
  process.on('message', (message: unknown) => states.onMessage(message));
  readiness = new Readiness(config.models, () => states.snapshot(), options.stateRefusal);
  const checker = config.health_checks.enabled && options.workerId === CHECKING_WORKER_ID ? new ActiveHealthChecker(config, recorder, options.router, options.logger) : null;
  return {
    startChecks: () => checker?.start(),
    stop: () => checker?.stop(),
  };
}
