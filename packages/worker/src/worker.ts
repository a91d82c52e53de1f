/**
 * A serving worker for one config generation: logger, counters, data server (with its router,
 * auth and upstream pools) and drain controller, built from the supervisor's `init` message.
 */
import type { InitMessage, WorkerStats } from '@gatewayd/shared';
import { DrainController } from './drain.js';
import { diagnoseListenFailure, type ListenFailure } from './http/listen-diagnose.js';
import { createDataServer } from './http/server.js';
import { httpEngine } from './http/uws.js';
import { startHealth } from './health/index.js';
import { createWorkerLogger, type Logger } from './log.js';
import { recorder, startMetrics } from './metrics/index.js';
import { configSecrets, secretScrubber, setCallerScrubber, startObservation, stopObservation } from './observe/index.js';
import { retireSharedState, startSharedState, stateRefusal } from './pipeline/admission.js';
import { WorkerState } from './state.js';

export interface RunningWorker {
  logger: Logger;
  port: number;
  /** `replaced`: a new generation serves in this worker's place (see DrainMessage). */
  drain(timeoutMs: number, reason: string, replaced?: boolean): void;
  reopenLogs(): void;
  stats(): WorkerStats;
}

/** issue 5: the longest a drained worker waits for its last spans to be exported. */
const TRACE_FLUSH_TIMEOUT_MS = 500;

export type StartResult = { ok: true; worker: RunningWorker } | { ok: false; logger: Logger; failure: ListenFailure };

export async function startWorker(init: InitMessage, exit: (code: number) => void): Promise<StartResult> {
  const { config } = init;
  // issue 5: secret values are scrubbed from every log line (observe/secrets.ts).
  const scrub = secretScrubber(configSecrets(config));
  setCallerScrubber(scrub); // and from what upstreams say to callers
  const { logger, reopen } = await createWorkerLogger({ logging: config.logging, workerId: init.workerId, generation: init.generation, logFile: init.logFile, scrub });
  if (httpEngine === 'fallback') {
    logger.warn('uWebSockets.js native binary not loaded: serving with the slow pure-JS fallback engine, which cannot share the port between workers (only server.workers: 1 starts, and a reload finds the port in use); gatewayd needs Node 20 on Linux or macOS for the native engine (docs/operations.md)');
  }

  // issue 4: rate limits and response cache (backend local or redis), ready before serving.
  await startSharedState(config, init.workerId, logger);
  const state = new WorkerState(logger, logger.isLevelEnabled('debug'));
  const server = createDataServer(config, state);
  // issue 5: request observation (metrics, access log, passive health, tracing) and readiness, then
  // the metrics recorder (metrics/index.ts) pushing deltas to the supervisor: all before listening,
  // so the first request is labelled and priced like every other.
  startObservation({ config, workerId: init.workerId, logger, router: server.router });
  const health = startHealth({ config, workerId: init.workerId, logger, recorder, router: server.router, stateRefusal });
  await startMetrics(init, () => state.stats(), logger);
  const { host, port: configuredPort } = config.server;
  const port = await server.listen(host, configuredPort);
  if (port === null) return { ok: false, logger, failure: await diagnoseListenFailure(host, configuredPort) };

  // issue 5: the spans still queued are exported before the drained worker exits.
  const exitAfterTraces = (code: number): void => void stopObservation(TRACE_FLUSH_TIMEOUT_MS).finally(() => exit(code));
  const drainer = new DrainController(state, server, logger, exitAfterTraces);
  logger.info({ engine: httpEngine, host, port, configFile: init.configFile }, 'worker listening');
  health.startChecks(); // issue 5: worker 0 only, when health_checks.enabled
  return {
    ok: true,
    worker: {
      logger,
      port,
      drain: (timeoutMs, reason, replaced = false) => {
        if (replaced) state.replaced = true;
        health.stop(); // issue 5: a draining worker 0 stops probing (its successor takes over)
        retireSharedState(); // issue 4: credits go back now, for the next generation's workers
        drainer.start(timeoutMs, reason);
      },
      reopenLogs: () => {
        if (!init.logFile) return;
        reopen();
        logger.info({ logFile: init.logFile }, 'log file reopened');
      },
      stats: () => state.stats(),
    },
  };
}
