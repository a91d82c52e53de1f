/**
 * A serving worker for one config generation: logger, counters, data server (with its router,
 * auth and upstream pools) and drain controller, built from the supervisor's `init` message.
 */
import type { InitMessage, WorkerStats } from '@gatewayd/shared';
import { DrainController } from './drain.js';
import { diagnoseListenFailure, type ListenFailure } from './http/listen-diagnose.js';
import { createDataServer } from './http/server.js';
import { httpEngine } from './http/uws.js';
import { createWorkerLogger, type Logger } from './log.js';
import { startMetrics } from './metrics/index.js';
import { WorkerState } from './state.js';
import { loadUndici } from './upstream/undici.js';

export interface RunningWorker {
  logger: Logger;
  port: number;
  drain(timeoutMs: number, reason: string): void;
  reopenLogs(): void;
  stats(): WorkerStats;
}

export type StartResult = { ok: true; worker: RunningWorker } | { ok: false; logger: Logger; failure: ListenFailure };

export async function startWorker(init: InitMessage, exit: (code: number) => void): Promise<StartResult> {
  const { config } = init;
  const { logger, reopen } = await createWorkerLogger({ logging: config.logging, workerId: init.workerId, generation: init.generation, logFile: init.logFile });
  if (httpEngine === 'fallback') {
    logger.warn('uWebSockets.js native binary not loaded: serving with the slow pure-JS fallback engine (check the Node.js version and platform)');
  }

  const state = new WorkerState(logger, logger.isLevelEnabled('debug'));
  const server = createDataServer(config, state);
  const { host, port: configuredPort } = config.server;
  const port = await server.listen(host, configuredPort);
  if (port === null) return { ok: false, logger, failure: await diagnoseListenFailure(host, configuredPort) };

  // issue 5: the metrics recorder (metrics/index.ts) starts pushing deltas to the supervisor.
  await startMetrics(init, () => state.stats(), logger);
  const drainer = new DrainController(state, server, logger, exit);
  logger.info({ engine: httpEngine, host, port, configFile: init.configFile }, 'worker listening');
  // The HTTP client is loaded once `ready` is on its way, and only when a real provider needs it.
  if (config.providers.some((provider) => provider.type !== 'mock')) {
    setImmediate(() => loadUndici().catch((err: unknown) => logger.error({ err }, 'cannot load the upstream HTTP client (undici)')));
  }
  return {
    ok: true,
    worker: {
      logger,
      port,
      drain: (timeoutMs, reason) => drainer.start(timeoutMs, reason),
      reopenLogs: () => {
        if (!init.logFile) return;
        reopen();
        logger.info({ logFile: init.logFile }, 'log file reopened');
      },
      stats: () => state.stats(),
    },
  };
}
