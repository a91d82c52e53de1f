import type { Logger } from 'pino';
import type { LoadedConfig } from '@gatewayd/shared';
import { describeConfigFailure, formatAddress, workerCountOf } from './config.js';
import { drainWorkers } from './drain.js';
import { checkPortFree, configWarnings } from './preflight.js';
import type { GenerationSpec, WorkerHandle, WorkerPool } from './worker-pool.js';
import { WorkerStartError } from './worker-pool.js';

export type ReloadResult =
  | { ok: true; generation: number; pids: number[]; warnings: string[] }
  | { ok: false; error: string; code: string };

/** What a rolling reload needs from the supervisor. */
export interface ReloadHost {
  readonly stopping: boolean;
  readonly current: GenerationSpec;
  readonly pool: WorkerPool;
  readonly logger: Logger;
  /** Re-reads and validates the config file (with the command-line overrides); throws on errors. */
  loadNextConfig(): LoadedConfig;
  allocateGeneration(): number;
  /** Makes `spec` the serving generation and drains every older worker. */
  commit(spec: GenerationSpec, fresh: WorkerHandle[]): void;
}

const fail = (error: string, code: string): ReloadResult => ({ ok: false, error, code });

/**
 * Rolling reload. Phase 1 starts the new workers one at a time, each within ready_timeout; any
 * failure drains only the new ones and leaves the old generation serving, untouched. Phase 2
 * (commit) switches generations and drains the old workers; the result is success as soon as the
 * new generation serves, the old workers finish draining in the background.
 */
export async function performReload(host: ReloadHost): Promise<ReloadResult> {
  if (host.stopping) return fail('the supervisor is stopping', 'GW_ERR_STOPPING');
  // Every failure is in the gateway's log, however the reload was asked for (SIGHUP or `gatewayd
  // reload`); a stop is logged as such.
  const refused = (error: string, code: string, generation?: number): ReloadResult => {
    if (code !== 'GW_ERR_STOPPING') host.logger.error({ generation, err: error, code }, 'reload failed; the previous generation keeps serving');
    return fail(error, code);
  };
  let loaded: LoadedConfig;
  try {
    loaded = host.loadNextConfig();
  } catch (err) {
    return refused(describeConfigFailure(err), 'GW_ERR_CONFIG_INVALID');
  }
  const { config } = loaded;
  // What the new config exposes too (an open gateway or admin API): logged and shown by `gatewayd reload`.
  const warnings = [...loaded.warnings, ...configWarnings(config)];
  for (const warning of warnings) host.logger.warn({ configFile: loaded.file }, warning);
  const previous = host.current.config.server;
  // A new port is checked first; on the same port (a new host included) our own workers hold it,
  // and the new workers' own bind (SO_REUSEPORT) is the test.
  if (config.server.port !== previous.port) {
    const busy = await checkPortFree(config.server.host, config.server.port);
    if (busy) return refused(busy, 'GW_ERR_PORT_IN_USE');
  }

  const spec: GenerationSpec = { generation: host.allocateGeneration(), config, configFile: loaded.file };
  const count = workerCountOf(config);
  host.logger.info({ generation: spec.generation, workers: count, configFile: spec.configFile }, 'reload: starting new workers');
  const fresh: WorkerHandle[] = [];
  const abort = (error: string, code: string): ReloadResult => {
    // New workers that serve already share the port and may hold requests: drained like an old
    // generation, not killed (drainWorker kills those still starting). The old generation serves
    // on, so they stay ready for probes (replaced).
    void drainWorkers(host.pool, fresh, () => config.server.drain_timeout, host.logger, true);
    return refused(error, code, spec.generation);
  };
  for (let slot = 0; slot < count; slot++) {
    if (host.stopping) return abort('the supervisor is stopping', 'GW_ERR_STOPPING');
    try {
      fresh.push(await host.pool.start(spec, slot, 0));
    } catch (err) {
      // A stop during the reload kills the workers still starting: that is no failure of theirs.
      if (host.stopping) return abort('the supervisor is stopping', 'GW_ERR_STOPPING');
      const code = err instanceof WorkerStartError ? err.code : 'GW_ERR_WORKER_START';
      return abort(`new worker ${slot} of generation ${spec.generation} failed: ${(err as Error).message}`, code);
    }
  }
  if (host.stopping) return abort('the supervisor is stopping', 'GW_ERR_STOPPING');
  const lost = fresh.find((handle) => handle.state !== 'ready');
  if (lost) return abort(`new worker ${lost.slot} of generation ${spec.generation} (pid ${lost.pid}) exited during the reload`, 'GW_ERR_WORKER_EXITED');

  host.commit(spec, fresh);
  host.logger.info(
    { generation: spec.generation, pids: fresh.map((h) => h.pid), listen: formatAddress(config.server.host, config.server.port) },
    'reload complete: new generation serving',
  );
  return { ok: true, generation: spec.generation, pids: fresh.map((h) => h.pid), warnings };
}

/**
 * Serialises reloads: one runs at a time; requests that arrive meanwhile coalesce into a single
 * follow-up run, which starts when the current one ends (so it sees the latest file).
 */
export class ReloadQueue {
  private running: Promise<ReloadResult> | null = null;
  private queued: Promise<ReloadResult> | null = null;

  /** `onUnexpected`: a run that threw (a bug), logged where performReload logs its failures. */
  constructor(
    private readonly run: () => Promise<ReloadResult>,
    private readonly onUnexpected: (err: unknown) => void = () => {},
  ) {}

  request(): Promise<ReloadResult> {
    if (this.queued) return this.queued;
    if (this.running) {
      this.queued = this.running.then(() => {
        this.queued = null;
        return this.startRun();
      });
      return this.queued;
    }
    return this.startRun();
  }

  private startRun(): Promise<ReloadResult> {
    const run = this.run()
      .catch((err: unknown) => {
        this.onUnexpected(err);
        return fail(`reload failed unexpectedly: ${(err as Error).message}`, 'GW_ERR_INTERNAL');
      })
      .finally(() => {
        if (this.running === run) this.running = null;
      });
    this.running = run;
    return run;
  }
}
