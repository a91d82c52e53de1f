import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { GatewayConfig, LoadedConfig, StateHealthView, StatusReport, TrafficRow, WorkerStatus } from '@gatewayd/shared';
import type { SupervisorLog } from '../log.js';
import { RestartBackoff, type BackoffSettings } from './backoff.js';
import { formatAddress, loadSupervisorConfig, workerCountOf, type ConfigOverrides } from './config.js';
import { drainWorker, drainWorkers } from './drain.js';
import { performReload, ReloadQueue, type ReloadHost, type ReloadResult } from './reload.js';
import { StateOutageLog, SupervisorStateStore } from '../state/index.js';
import { MetricsHub, type TrafficView } from '../metrics/index.js';
import { describeExit, WorkerPool, type GenerationSpec, type WorkerExit, type WorkerHandle } from './worker-pool.js';

export interface SupervisorOptions {
  /** Loaded and validated, overrides already applied. */
  loaded: LoadedConfig;
  overrides: ConfigOverrides;
  exec: string;
  logFile: string | undefined;
  log: SupervisorLog;
  pidFile: string;
  /** Closes the control socket and releases the PID file; runs once every worker has exited. */
  cleanup: () => Promise<void>;
}

/** A busy or gone worker never stalls `status`: it is reported with its last known counters. */
const STATS_TIMEOUT_MS = 300;

/** issue 5: the per-model / per-key views of /admin/stats, cut to the status columns. */
function trafficRows(views: Record<string, TrafficView>): Record<string, TrafficRow> {
  const rows: Record<string, TrafficRow> = {};
  for (const [name, v] of Object.entries(views)) {
    rows[name] = { requests: v.requests, errors: v.errors, promptTokens: v.promptTokens, completionTokens: v.completionTokens, costUsd: v.costUsd, cacheHitRatio: v.cacheHitRatio };
  }
  return rows;
}

function backoffSettings(config: GatewayConfig): BackoffSettings {
  const s = config.supervisor;
  return { initialMs: s.restart_backoff_initial, maxMs: s.restart_backoff_max, crashLoopWindowMs: s.crash_loop_window, crashLoopMaxRestarts: s.crash_loop_max_restarts };
}

/** The cluster primary: worker lifecycle, config generations, reloads, crash restarts, shutdown. */
export class Supervisor implements ReloadHost {
  readonly startedAt = new Date();
  readonly pool: WorkerPool;
  readonly logger: Logger;
  readonly stopped: Promise<void>;
  /** issue 4: counters and cache of backend local; lives as long as the supervisor (survives reloads). */
  readonly stateStore: SupervisorStateStore;
  /** issue 4: the state backend's outages, one log line per gateway transition (from the workers' reports). */
  readonly stateOutages: StateOutageLog;
  /** issue 5: totals of the workers' metric reports (survive reloads and restarts); read by the admin plane. */
  readonly metrics: MetricsHub;
  /** issue 5: host:port of the admin server once it listens (set by run.ts). */
  adminAddress: string | null = null;
  /** Runs after a successful reload, before `reload` answers (issue 5: the admin listener follows the config). */
  afterReload: ((config: GatewayConfig) => Promise<void>) | null = null;
  current: GenerationSpec;
  private phase: 'starting' | 'running' | 'stopping' = 'starting';
  private lastGeneration = 1;
  private workerRestarts = 0;
  private lastReload: StatusReport['lastReload'] = null;
  private stopPromise: Promise<void> | null = null;
  private resolveStopped!: () => void;
  private started: Promise<void> | null = null;
  private readonly backoff: RestartBackoff;
  private readonly restartTimers = new Map<number, NodeJS.Timeout>();
  private readonly reloads = new ReloadQueue(
    () => this.runReload(),
    (err) => this.options.log.logger.error({ err }, 'reload failed unexpectedly; the previous generation keeps serving'),
  );

  constructor(private readonly options: SupervisorOptions) {
    this.logger = options.log.logger;
    this.current = { generation: 1, config: options.loaded.config, configFile: options.loaded.file };
    this.backoff = new RestartBackoff(backoffSettings(this.current.config));
    this.stateStore = new SupervisorStateStore(this.current.config, this.logger);
    this.stateOutages = new StateOutageLog(this.logger);
    this.metrics = new MetricsHub({ workers: () => this.pool.all, generation: () => this.current.generation, providers: () => this.current.config.providers.map((p) => p.name) });
    this.pool = new WorkerPool({
      state: this.stateStore,
      stateHealth: this.stateOutages,
      metrics: { onReport: (h, m) => (this.metrics.applyReport(h, m), this.metrics.providerViewFor(h)), onProviderHealth: (h, m) => this.metrics.applyProviderHealth(h, m), onExit: (h) => this.metrics.workerExited(h.pid) },
      exec: options.exec,
      logFile: options.logFile,
      logger: this.logger,
      onUnexpectedExit: (handle, exit) => this.onUnexpectedExit(handle, exit),
    });
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
  }

  get stopping(): boolean {
    return this.phase === 'stopping';
  }

  /** Forks every worker of generation 1 and waits until all serve; on any failure kills them all. */
  start(): Promise<void> {
    this.started ??= (async () => {
      // A stop signal that came while the control socket and admin port were opening: fork nothing.
      if (this.stopping) throw new Error('stopped during startup');
      const spec = this.current;
      const count = workerCountOf(spec.config);
      this.logger.info({ workers: count, generation: spec.generation, configFile: spec.configFile }, 'starting workers');
      try {
        await Promise.all(Array.from({ length: count }, (_, slot) => this.pool.start(spec, slot, 0)));
      } catch (err) {
        for (const handle of this.pool.all) this.pool.kill(handle);
        throw err;
      }
      if (this.stopping) throw new Error('stopped during startup');
      this.phase = 'running';
    })();
    return this.started;
  }

  reload(): Promise<ReloadResult> {
    return this.reloads.request();
  }

  loadNextConfig(): LoadedConfig {
    const next = loadSupervisorConfig(this.current.configFile, this.options.overrides, true);
    // server.port 0 (or --port 0): the port picked at start stays, so the data port does not move.
    if (next.config.server.port === 0) next.config.server.port = this.current.config.server.port;
    return next;
  }

  allocateGeneration(): number {
    return ++this.lastGeneration;
  }

  commit(spec: GenerationSpec, fresh: WorkerHandle[]): void {
    const freshSet = new Set(fresh);
    const old = this.pool.all.filter((h) => !freshSet.has(h) && !h.retiring);
    const oldDrainTimeout = this.current.config.server.drain_timeout;
    this.current = spec;
    for (const timer of this.restartTimers.values()) clearTimeout(timer);
    this.restartTimers.clear();
    this.backoff.configure(backoffSettings(spec.config));
    this.backoff.reset();
    this.logger.level = spec.config.logging.level;
    this.stateStore.configure(spec.config);
    // One drain message after the other; they finish in the background.
    void drainWorkers(this.pool, old, () => oldDrainTimeout, this.logger, true);
  }

  /** Graceful: drain every worker (drain_timeout, then SIGKILL). Fast: SIGKILL them. Then clean up. */
  shutdown(mode: 'graceful' | 'fast', reason: string): Promise<void> {
    if (this.stopPromise) {
      if (mode === 'fast') {
        this.logger.warn({ reason }, 'fast stop requested while stopping: killing the remaining workers');
        for (const handle of this.pool.all) this.pool.kill(handle);
      } else {
        this.logger.info({ reason }, 'already stopping');
      }
      return this.stopPromise;
    }
    this.phase = 'stopping';
    for (const timer of this.restartTimers.values()) clearTimeout(timer);
    this.restartTimers.clear();
    this.logger.info({ mode, reason, workers: this.pool.all.length }, 'stopping');
    this.stopPromise = (async () => {
      const drainTimeout = this.current.config.server.drain_timeout;
      // Loop: a worker forked concurrently (restart, reload) is caught by the next pass.
      for (let handles = this.pool.all; handles.length > 0; handles = this.pool.all) {
        if (mode === 'fast') for (const handle of handles) this.pool.kill(handle);
        else await drainWorkers(this.pool, handles, () => drainTimeout, this.logger);
        await Promise.all(handles.map((h) => h.exited));
      }
      await this.options.cleanup();
      this.stateStore.close();
      this.stateOutages.close();
      this.logger.info({ mode }, 'gatewayd stopped');
      this.options.log.flush();
      this.resolveStopped();
    })();
    return this.stopPromise;
  }

  async status(): Promise<StatusReport> {
    const handles = this.pool.all.sort((a, b) => a.generation - b.generation || a.slot - b.slot);
    const stats = await Promise.all(handles.map((h) => this.pool.requestStats(h, STATS_TIMEOUT_MS)));
    const workers: WorkerStatus[] = handles.map((h, i) => ({
      id: h.slot,
      pid: h.pid,
      generation: h.generation,
      state: h.state,
      startedAt: h.spawnedAt.toISOString(),
      restarts: h.restarts,
      ...stats[i]!,
    }));
    const serving = handles.filter((h) => h.generation === this.current.generation && h.state === 'ready');
    const engines = new Set(serving.map((h) => h.engine));
    const { server, state } = this.current.config;
    const port = serving.find((h) => h.address)?.address?.port ?? server.port;
    return {
      pid: process.pid,
      startedAt: this.startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - this.startedAt.getTime()) / 1000),
      generation: this.current.generation,
      configFile: this.current.configFile,
      overrides: { workers: this.options.overrides.workers ?? null, port: this.options.overrides.port ?? null },
      daemon: this.options.logFile === undefined ? null : { logDir: dirname(this.options.logFile) },
      drainTimeoutMs: server.drain_timeout,
      pidFile: this.options.pidFile,
      listen: { data: formatAddress(server.host, port), admin: this.adminAddress },
      httpEngine: engines.has('fallback') ? 'fallback' : engines.has('native') ? 'native' : 'unknown',
      stateBackend: state.backend,
      stateHealth: this.stateHealth(),
      workers,
      workerRestarts: this.workerRestarts,
      crashLoop: this.backoff.crashLoopActive(),
      lastReload: this.lastReload,
      traffic: this.metrics.headline(),
      trafficByModel: trafficRows(this.metrics.traffic.byModel()), // issue 5
      trafficByKey: trafficRows(this.metrics.traffic.byKey()),
    };
  }

  /** The state backend's health from the workers' reports (`status`, /admin/stats, start's warning). */
  stateHealth(): StateHealthView {
    const { state } = this.current.config;
    return this.stateOutages.view(state.backend, state.on_error);
  }

  /** issue 5: the listen addresses for the admin plane (as status shows them, without asking workers). */
  listenAddresses(): { data: string; admin: string | null } {
    const { server } = this.current.config;
    const serving = this.pool.all.find((h) => h.generation === this.current.generation && h.address);
    return { data: formatAddress(server.host, serving?.address?.port ?? server.port), admin: this.adminAddress };
  }

  private async runReload(): Promise<ReloadResult> {
    try {
      await this.start();
    } catch {
      return { ok: false, error: 'the supervisor did not start', code: 'GW_ERR_STOPPING' };
    }
    const result = await performReload(this);
    if (result.ok && this.afterReload !== null) await this.afterReload(this.current.config);
    this.lastReload = result.ok
      ? { at: new Date().toISOString(), result: 'success' }
      : { at: new Date().toISOString(), result: 'failure', error: result.error };
    this.metrics.configReloaded(result.ok ? 'success' : 'failure'); // issue 5
    return result;
  }

  private onUnexpectedExit(handle: WorkerHandle, exit: WorkerExit): void {
    // Workers of a reload still in phase 1 are the reload's business; older ones are retiring.
    if (this.stopping || handle.generation !== this.current.generation) return;
    const uptimeMs = handle.readyAt === undefined ? 0 : Date.now() - handle.readyAt;
    const decision = this.backoff.next(handle.slot, uptimeMs);
    this.logger.warn({ workerPid: handle.pid, worker: handle.slot, generation: handle.generation, exit: describeExit(exit), restartInMs: decision.delayMs }, 'worker exited unexpectedly; restarting it');
    if (decision.crashLoopStarted) this.logCrashLoop();
    this.scheduleRestart(handle.slot, decision.delayMs, handle.restarts + 1);
  }

  private logCrashLoop(): void {
    const s = this.current.config.supervisor;
    this.logger.error(
      { maxRestarts: s.crash_loop_max_restarts, windowMs: s.crash_loop_window, backoffMs: s.restart_backoff_max },
      'crash loop: workers keep exiting; restarting them only at the maximum backoff',
    );
  }

  private scheduleRestart(slot: number, delayMs: number, restarts: number): void {
    if (this.restartTimers.has(slot)) return;
    const timer = setTimeout(() => {
      this.restartTimers.delete(slot);
      void this.restartSlot(slot, restarts);
    }, delayMs);
    this.restartTimers.set(slot, timer);
  }

  private async restartSlot(slot: number, restarts: number): Promise<void> {
    const spec = this.current;
    if (this.stopping || slot >= workerCountOf(spec.config)) return;
    if (this.pool.all.some((h) => h.generation === spec.generation && h.slot === slot && !h.retiring)) return;
    this.workerRestarts++;
    this.metrics.workerRestarted(); // issue 5
    try {
      const handle = await this.pool.start(spec, slot, restarts);
      if (this.stopping || handle.generation !== this.current.generation) {
        void drainWorker(this.pool, handle, spec.config.server.drain_timeout, this.logger);
        return;
      }
      this.logger.info({ workerPid: handle.pid, worker: slot, generation: spec.generation, restarts }, 'worker replaced');
    } catch (err) {
      if (this.stopping || spec.generation !== this.current.generation) return;
      const decision = this.backoff.next(slot, 0);
      this.logger.warn({ worker: slot, err: (err as Error).message, restartInMs: decision.delayMs }, 'replacement worker failed to start');
      if (decision.crashLoopStarted) this.logCrashLoop();
      this.scheduleRestart(slot, decision.delayMs, restarts + 1);
    }
  }
}

