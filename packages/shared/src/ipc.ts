/**
 * The typed protocol between the supervisor (node:cluster primary) and its workers, and the
 * control-socket protocol between the CLI and the supervisor. Types and guards only: no transport.
 */
import type { GatewayConfig } from './config/schema.js';
// issue 5: metrics and provider-health reports (worker -> supervisor)
import type { MetricsReportMessage, ProviderHealthMessage, ProviderHealthViewMessage, TrafficRow, TrafficTotals } from './ipc-metrics.js';
export * from './ipc-metrics.js';
import type { StateBatchMessage, StateBatchResultMessage } from './state/messages.js';
import type { StateHealthMessage, StateHealthView } from './state/health.js';

export type { StateBatchMessage, StateBatchResultMessage } from './state/messages.js';
export type { StateHealthMessage, StateHealthView } from './state/health.js';

export type HttpEngine = 'native' | 'fallback';
export type WorkerState = 'starting' | 'ready' | 'draining' | 'stopped';

// ---- supervisor -> worker ---------------------------------------------------------------------

/** First message a worker receives: everything it needs to serve one config generation. */
export interface InitMessage {
  type: 'init';
  generation: number;
  workerId: number;
  config: GatewayConfig;
  configFile: string;
  /** Daemon mode: the worker writes its logs here itself and reopens the file on `reopen-logs`. */
  logFile?: string;
}

/** Stop accepting, finish in-flight work for up to `timeoutMs`, then exit(0). */
export interface DrainMessage {
  type: 'drain';
  timeoutMs: number;
  /**
   * A new generation serves in this worker's place (a reload): the gateway stays ready, so
   * readiness keeps answering 200 (with Connection: close) instead of 503.
   */
  replaced?: boolean;
}

export interface ReopenLogsMessage {
  type: 'reopen-logs';
}

export interface StatsRequestMessage {
  type: 'stats-request';
  id: number;
}

/**
 * issue 4, backend redis: a worker of this gateway died (crash, kill) holding concurrency slots;
 * its requests are gone, so are their slots. Sent to a live worker, which removes them from Redis
 * at once instead of leaving them until their leases expire. `instance`: the dead worker's
 * GATEWAYD_STATE_INSTANCE, the prefix of its slot members.
 */
export interface StateReleaseInstanceMessage {
  type: 'state-release-instance';
  instance: string;
}

export type SupervisorToWorker =
  | InitMessage
  | StateReleaseInstanceMessage
  | DrainMessage
  | ReopenLogsMessage
  | StatsRequestMessage
  // issue 4: answers of the supervisor's state store (backend local)
  | StateBatchResultMessage
  // issue 5: merged provider health, for every worker's readiness
  | ProviderHealthViewMessage;

// ---- worker -> supervisor ---------------------------------------------------------------------

/**
 * The worker's first message, sent once its message listener is attached. node:cluster drops (does
 * not queue) messages that arrive before the worker's ESM entry listens, so `init` waits for this.
 */
export interface HelloMessage {
  type: 'hello';
  pid: number;
}

/** The data port is bound and the worker serves requests. */
export interface ReadyMessage {
  type: 'ready';
  pid: number;
  engine: HttpEngine;
  host: string;
  port: number;
}

/** The worker could not start (e.g. port in use); it exits right after sending this. */
export interface StartFailedMessage {
  type: 'start-failed';
  code: string;
  reason: string;
}

export interface WorkerStats {
  inFlight: number;
  activeStreams: number;
  requestsTotal: number;
  draining: boolean;
}

export interface StatsMessage extends WorkerStats {
  type: 'stats';
  /** Echoes StatsRequestMessage.id; absent on unsolicited periodic reports. */
  id?: number;
}

export type WorkerToSupervisor =
  | HelloMessage
  | ReadyMessage
  | StartFailedMessage
  | StatsMessage
  // issue 5: metric deltas and provider health for the supervisor's registry and admin API
  | MetricsReportMessage
  | ProviderHealthMessage
  // issue 4: limit/cache operations for the supervisor's state store (backend local)
  | StateBatchMessage
  // issue 4: state backend health transitions, for one log line per gateway transition
  | StateHealthMessage;

const WORKER_MESSAGE_TYPES = new Set<string>(['hello', 'ready', 'start-failed', 'stats', 'state-batch', 'state-health', 'metrics', 'provider-health']);
const SUPERVISOR_MESSAGE_TYPES = new Set<string>(['init', 'drain', 'reopen-logs', 'stats-request', 'state-batch-result', 'provider-health-view', 'state-release-instance']);

export function isWorkerMessage(value: unknown): value is WorkerToSupervisor {
  return typeof value === 'object' && value !== null && WORKER_MESSAGE_TYPES.has((value as { type?: unknown }).type as string);
}

export function isSupervisorMessage(value: unknown): value is SupervisorToWorker {
  return typeof value === 'object' && value !== null && SUPERVISOR_MESSAGE_TYPES.has((value as { type?: unknown }).type as string);
}

// ---- CLI <-> supervisor control socket (newline-delimited JSON, one request per connection) ----

export type ControlRequest =
  | { cmd: 'status' }
  | { cmd: 'reload' }
  | { cmd: 'stop'; mode: 'graceful' | 'fast' };

export interface WorkerStatus extends WorkerStats {
  id: number;
  pid: number;
  generation: number;
  state: WorkerState;
  startedAt: string;
  restarts: number;
}

export interface StatusReport {
  pid: number;
  startedAt: string;
  uptimeSeconds: number;
  generation: number;
  configFile: string;
  /** `start --workers` / `--port`, which win over the file at every reload; null: not given. `restart` keeps them. */
  overrides: { workers: number | null; port: number | null };
  /** Started with `start --daemon`: its log directory (`restart` starts it so again); null: in the foreground. */
  daemon: { logDir: string } | null;
  /** The serving generation's server.drain_timeout (ms): what `stop` waits for by default. */
  drainTimeoutMs: number;
  pidFile: string;
  listen: { data: string; admin: string | null };
  httpEngine: HttpEngine | 'unknown';
  stateBackend: 'local' | 'redis';
  /** Whether the workers reach the state backend (absent from older supervisors). */
  stateHealth?: StateHealthView;
  workers: WorkerStatus[];
  workerRestarts: number;
  /** More than supervisor.crash_loop_max_restarts crashes in the last crash_loop_window: restarts wait the maximum backoff. */
  crashLoop: boolean;
  lastReload: { at: string; result: 'success' | 'failure'; error?: string } | null;
  /** issue 5: headline traffic figures since the supervisor started (as in /admin/stats). */
  traffic?: TrafficTotals;
  /** issue 5: the same figures per model and per gateway key ("-": no key), as in /admin/stats. */
  trafficByModel?: Record<string, TrafficRow>;
  trafficByKey?: Record<string, TrafficRow>;
}

export type ControlResponse =
  | { ok: true; cmd: 'status'; status: StatusReport }
  | { ok: true; cmd: 'reload'; generation: number; workers: number[]; /** The new config's warnings (absent from older supervisors). */ warnings?: string[] }
  | { ok: true; cmd: 'stop' }
  | { ok: false; error: string; code?: string };
