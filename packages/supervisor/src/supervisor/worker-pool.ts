import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import {
  formatDuration,
  isMetricsReport,
  isProviderHealthMessage,
  isStateHealthMessage,
  isWorkerMessage,
  type MetricsReportMessage,
  type ProviderHealthMessage,
  type GatewayConfig,
  type HttpEngine,
  type InitMessage,
  type StateBatchMessage,
  type StateBatchResultMessage,
  type StateHealthMessage,
  type SupervisorToWorker,
  type WorkerState,
  type WorkerStats,
  type WorkerToSupervisor,
} from '@gatewayd/shared';

/** One config generation: every worker of it runs exactly this config. */
export interface GenerationSpec {
  generation: number;
  config: GatewayConfig;
  configFile: string;
}

export interface WorkerExit {
  code: number | null;
  signal: string | null;
}

export interface WorkerHandle {
  readonly slot: number;
  readonly worker: Worker;
  readonly pid: number;
  readonly generation: number;
  readonly spawnedAt: Date;
  readonly restarts: number;
  readonly exited: Promise<WorkerExit>;
  state: WorkerState;
  readyAt: number | undefined;
  engine: HttpEngine | undefined;
  address: { host: string; port: number } | undefined;
  stats: WorkerStats;
  /** The supervisor asked it to go (drain or kill): its exit is not a crash. */
  retiring: boolean;
  /** issue 4: its GATEWAYD_STATE_INSTANCE, the prefix of its concurrency slots in Redis. */
  readonly stateInstance: string;
}

/** Dead workers' slot releases kept while no worker is ready to run them. */
const MAX_PENDING_RELEASES = 64;

/** A worker that did not become ready: start-failed, exited early, or ready_timeout passed. */
export class WorkerStartError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'WorkerStartError';
  }
}

interface ReadyWaiter {
  resolve: () => void;
  reject: (err: WorkerStartError) => void;
}


const EMPTY_STATS: WorkerStats = { inFlight: 0, activeStreams: 0, requestsTotal: 0, draining: false };

export interface WorkerPoolOptions {
  exec: string;
  logFile: string | undefined;
  logger: Logger;
  /** A worker that had been serving exited without being asked to. */
  onUnexpectedExit: (handle: WorkerHandle, exit: WorkerExit) => void;
  /** issue 4: the state store of backend local (src/state); owners are cluster worker ids. */
  state?: WorkerStateHook;
  /** issue 5: metric reports and provider health go to the supervisor's MetricsHub (src/metrics). */
  metrics?: WorkerMetricsHook;
  /** issue 4: state backend health transitions, for one log line per gateway transition (src/state). */
  stateHealth?: WorkerStateHealthHook;
}

/** issue 4: receives the workers' state backend transitions (by cluster worker id) and their exits. */
export interface WorkerStateHealthHook {
  report(worker: number, message: StateHealthMessage): void;
  workerExited(worker: number): void;
}

/** issue 5: receives the workers' metric deltas and provider health, and learns of their exits. */
export interface WorkerMetricsHook {
  /** May answer with a message for that worker (the merged provider health view when it changed). */
  onReport(handle: WorkerHandle, message: MetricsReportMessage): SupervisorToWorker | null | void;
  onProviderHealth(handle: WorkerHandle, message: ProviderHealthMessage): void;
  onExit(handle: WorkerHandle): void;
}

/** issue 4: where `state-batch` messages go, and who frees a dead worker's concurrency slots. */
export interface WorkerStateHook {
  onBatch(owner: number, message: StateBatchMessage, reply: (answer: StateBatchResultMessage) => void): void;
  releaseOwner(owner: number): void;
}

/** Forks workers (node:cluster), runs the ready handshake and tracks every live worker. */
export class WorkerPool {
  private readonly handles = new Set<WorkerHandle>();
  private readonly readyWaiters = new Map<WorkerHandle, ReadyWaiter>();
  private readonly statsWaiters = new Map<number, (stats: WorkerStats) => void>();
  private pendingReleases: string[] = [];
  private nextStatsId = 1;

  constructor(private readonly options: WorkerPoolOptions) {
    // GATEWAYD_WORKER_EXEC_ARGV: extra node flags for workers only (profiling: `--cpu-prof`,
    // which NODE_OPTIONS refuses), appended to the supervisor's own.
    const extra = process.env.GATEWAYD_WORKER_EXEC_ARGV?.split(' ').filter((arg) => arg !== '') ?? [];
    cluster.setupPrimary({ exec: options.exec, args: [], silent: false, execArgv: [...process.execArgv, ...extra] });
  }

  get all(): WorkerHandle[] {
    return [...this.handles];
  }

  /** Forks a worker of `spec`, sends `init` and resolves once it serves. On failure it is killed. */
  async start(spec: GenerationSpec, slot: number, restarts: number): Promise<WorkerHandle> {
    const handle = this.fork(spec, slot, restarts);
    const timeoutMs = spec.config.supervisor.ready_timeout;
    const ready = new Promise<void>((resolve, reject) => this.readyWaiters.set(handle, { resolve, reject }));
    const timer = setTimeout(() => {
      this.readyWaiters.get(handle)?.reject(new WorkerStartError(`worker ${slot} (pid ${handle.pid}) did not become ready within ${formatDuration(timeoutMs)}`, 'GW_ERR_WORKER_TIMEOUT'));
    }, timeoutMs);
    try {
      await ready;
      return handle;
    } catch (err) {
      this.kill(handle);
      throw err;
    } finally {
      clearTimeout(timer);
      this.readyWaiters.delete(handle);
    }
  }

  /** Sends a message if the worker's channel is still open; a closed channel is not an error here. */
  send(handle: WorkerHandle, message: SupervisorToWorker): boolean {
    if (!handle.worker.isConnected()) return false;
    handle.worker.send(message, undefined, undefined, (err: Error | null) => {
      if (err) this.options.logger.debug({ workerPid: handle.pid, err: err.message }, 'message to worker not delivered');
    });
    return true;
  }

  kill(handle: WorkerHandle, signal: NodeJS.Signals = 'SIGKILL'): void {
    handle.retiring = true;
    if (handle.state !== 'stopped') handle.worker.process.kill(signal);
  }

  /** Last exit path: SIGKILL every worker synchronously (uncaught exception, process 'exit'). */
  killAllSync(): void {
    for (const handle of this.handles) {
      handle.retiring = true;
      try {
        process.kill(handle.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** Current counters of a worker; a busy or gone worker answers with its last known figures. */
  requestStats(handle: WorkerHandle, timeoutMs: number): Promise<WorkerStats> {
    const id = this.nextStatsId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.statsWaiters.delete(id);
        resolve(handle.stats);
      }, timeoutMs);
      this.statsWaiters.set(id, (stats) => {
        clearTimeout(timer);
        resolve(stats);
      });
      if (!this.send(handle, { type: 'stats-request', id })) {
        clearTimeout(timer);
        this.statsWaiters.delete(id);
        resolve(handle.stats);
      }
    });
  }

  private fork(spec: GenerationSpec, slot: number, restarts: number): WorkerHandle {
    const stateInstance = randomBytes(6).toString('hex');
    const worker = cluster.fork({ GATEWAYD_GENERATION: String(spec.generation), GATEWAYD_WORKER_ID: String(slot), GATEWAYD_STATE_INSTANCE: stateInstance });
    let resolveExit!: (exit: WorkerExit) => void;
    const handle: WorkerHandle = {
      slot,
      worker,
      pid: worker.process.pid ?? 0,
      generation: spec.generation,
      spawnedAt: new Date(),
      restarts,
      exited: new Promise<WorkerExit>((resolve) => (resolveExit = resolve)),
      state: 'starting',
      readyAt: undefined,
      engine: undefined,
      address: undefined,
      stats: { ...EMPTY_STATS },
      retiring: false,
      stateInstance,
    };
    this.handles.add(handle);
    // node:cluster drops (does not queue) a message that arrives before the worker's ESM entry
    // listens, so `init` is sent when the worker says `hello`.
    const init: InitMessage = { type: 'init', generation: spec.generation, workerId: slot, config: spec.config, configFile: spec.configFile, ...(this.options.logFile ? { logFile: this.options.logFile } : {}) };
    worker.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) return;
      if (message.type === 'hello') this.send(handle, init);
      else this.onMessage(handle, message);
    });
    worker.on('error', (err: Error) => this.options.logger.warn({ workerPid: handle.pid, err: err.message }, 'worker channel error'));
    worker.on('exit', (code: number | null, signal: string | null) => {
      const wasServing = handle.state === 'ready';
      handle.state = 'stopped';
      this.handles.delete(handle);
      this.options.state?.releaseOwner(worker.id); // issue 4: its requests are gone, so are their slots
      this.options.metrics?.onExit(handle); // issue 5: its live gauges go with it (counters stay)
      this.options.stateHealth?.workerExited(worker.id); // issue 4: it no longer witnesses an outage
      const exit = { code, signal };
      this.readyWaiters.get(handle)?.reject(
        new WorkerStartError(`worker ${slot} (pid ${handle.pid}) exited before it was ready (${describeExit(exit)})`, 'GW_ERR_WORKER_EXITED'),
      );
      resolveExit(exit);
      // issue 4: backend redis keeps a dead worker's slots until their leases expire; a live worker frees them now.
      if (code !== 0 && spec.config.state.backend === 'redis') this.releaseStateInstance(handle.stateInstance);
      if (wasServing && !handle.retiring) this.options.onUnexpectedExit(handle, exit);
    });
    return handle;
  }

  /** To a serving worker, or the next to become ready. */
  private releaseStateInstance(instance: string): void {
    const live = [...this.handles].find((handle) => handle.state === 'ready');
    if (live !== undefined) this.send(live, { type: 'state-release-instance', instance });
    else if (this.pendingReleases.push(instance) > MAX_PENDING_RELEASES) this.pendingReleases.shift();
  }

  private onMessage(handle: WorkerHandle, message: WorkerToSupervisor): void {
    switch (message.type) {
      case 'ready':
        if (handle.state !== 'starting') return;
        handle.state = 'ready';
        handle.readyAt = Date.now();
        handle.engine = message.engine;
        handle.address = { host: message.host, port: message.port };
        for (const instance of this.pendingReleases.splice(0)) this.send(handle, { type: 'state-release-instance', instance });
        this.readyWaiters.get(handle)?.resolve();
        return;
      case 'start-failed':
        this.readyWaiters.get(handle)?.reject(new WorkerStartError(message.reason, message.code));
        return;
      case 'state-batch': // issue 4: limits and cache of backend local
        if (handle.state !== 'stopped') this.options.state?.onBatch(handle.worker.id, message, (answer) => this.send(handle, answer));
        return;
      case 'metrics': // issue 5: deltas for the registry; also refreshes the worker table
        if (!isMetricsReport(message)) return;
        if (handle.state !== 'stopped') handle.stats = message.stats;
        {
          const reply = this.options.metrics?.onReport(handle, message);
          if (reply) this.send(handle, reply);
        }
        return;
      case 'state-health': // issue 4: one log line per gateway transition of the state backend
        if (handle.state !== 'stopped' && isStateHealthMessage(message)) this.options.stateHealth?.report(handle.worker.id, message);
        return;
      case 'provider-health': // issue 5
        if (isProviderHealthMessage(message)) this.options.metrics?.onProviderHealth(handle, message);
        return;
      case 'stats': {
        const { inFlight, activeStreams, requestsTotal, draining } = message;
        handle.stats = { inFlight, activeStreams, requestsTotal, draining };
        if (message.id !== undefined) {
          this.statsWaiters.get(message.id)?.(handle.stats);
          this.statsWaiters.delete(message.id);
        }
        return;
      }
    }
  }
}

export function describeExit(exit: WorkerExit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}
