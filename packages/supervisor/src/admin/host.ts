/**
 * What the admin plane reads from the supervisor, through one narrow interface: the serving
 * config, the live worker handles and the metrics hub. All of it is in memory: no admin request
 * ever waits on a worker.
 */
import type { GatewayConfig, HttpEngine, StateHealthView, WorkerState, WorkerStats } from '@gatewayd/shared';
import type { MetricsHub } from '../metrics/index.js';

export interface AdminWorkerHandle {
  readonly slot: number;
  readonly pid: number;
  readonly generation: number;
  readonly spawnedAt: Date;
  readonly restarts: number;
  state: WorkerState;
  engine: HttpEngine | undefined;
  stats: WorkerStats;
}

export interface AdminHost {
  readonly metrics: MetricsHub;
  readonly startedAt: Date;
  readonly current: { generation: number; config: GatewayConfig; configFile: string };
  readonly pool: { readonly all: AdminWorkerHandle[] };
  /** The data and admin addresses as `status` shows them. */
  listenAddresses(): { data: string; admin: string | null };
  /** Whether the workers reach the state backend, from their reports. */
  stateHealth(): StateHealthView;
}

/** native / fallback as the serving workers report it (fallback wins: it is the one to warn about). */
export function httpEngineOf(host: AdminHost): HttpEngine | 'unknown' {
  const engines = new Set(host.pool.all.filter((h) => h.generation === host.current.generation && h.state === 'ready').map((h) => h.engine));
  return engines.has('fallback') ? 'fallback' : engines.has('native') ? 'native' : 'unknown';
}
