/** The JSON bodies of the admin endpoints, built from in-memory state only. */
import { redactConfig } from '@gatewayd/shared';
import { httpEngineOf, type AdminHost } from './host.js';

export interface WorkerRow {
  id: number;
  pid: number;
  generation: number;
  state: string;
  startedAt: string;
  restarts: number;
  engine: string | null;
  inFlight: number;
  activeStreams: number;
  requestsTotal: number;
  draining: boolean;
  rssBytes: number | null;
  heapUsedBytes: number | null;
  cpuSeconds: number | null;
  eventLoopLagP99Ms: number | null;
  lastReportAt: string | null;
  lostReports: number;
}

const ms = (seconds: number): number => Math.round(seconds * 1e6) / 1e3;

export function workerRows(host: AdminHost): WorkerRow[] {
  const handles = [...host.pool.all].sort((a, b) => a.generation - b.generation || a.slot - b.slot);
  return handles.map((h) => {
    const sample = host.metrics.sample(h.pid);
    // The periodic report is fresher than the last stats answer.
    const stats = sample?.stats ?? h.stats;
    return {
      id: h.slot,
      pid: h.pid,
      generation: h.generation,
      state: h.state,
      startedAt: h.spawnedAt.toISOString(),
      restarts: h.restarts,
      engine: h.engine ?? null,
      inFlight: stats.inFlight,
      activeStreams: sample?.activeStreams ?? stats.activeStreams,
      requestsTotal: stats.requestsTotal,
      draining: stats.draining,
      rssBytes: sample?.process.rssBytes ?? null,
      heapUsedBytes: sample?.process.heapUsedBytes ?? null,
      cpuSeconds: sample ? Math.round(sample.cpuSeconds * 1e3) / 1e3 : null,
      eventLoopLagP99Ms: sample ? ms(sample.process.eventLoopLagP99Seconds) : null,
      lastReportAt: sample ? new Date(sample.lastReportAt).toISOString() : null,
      lostReports: sample?.lostReports ?? 0,
    };
  });
}

export function statsView(host: AdminHost): unknown {
  const { metrics } = host;
  const counters = metrics.counters();
  const rateLimitedTotal = Object.values(counters.rateLimited).reduce((a, b) => a + b, 0);
  const uptimeSeconds = Math.round((Date.now() - host.startedAt.getTime()) / 1000);
  return {
    generatedAt: new Date().toISOString(),
    pid: process.pid,
    startedAt: host.startedAt.toISOString(),
    uptimeSeconds,
    generation: host.current.generation,
    httpEngine: httpEngineOf(host),
    stateBackend: host.current.config.state.backend,
    stateHealth: host.stateHealth(),
    listen: host.listenAddresses(),
    totals: { ...metrics.traffic.totals(), rateLimited: rateLimitedTotal, activeStreams: metrics.activeStreams() },
    models: metrics.traffic.byModel(),
    keys: metrics.traffic.byKey(),
    rateLimited: counters.rateLimited,
    workerRestarts: counters.workerRestarts,
    configReloads: counters.configReloads,
    workers: workerRows(host),
  };
}

export function workersView(host: AdminHost): unknown {
  return { generation: host.current.generation, httpEngine: httpEngineOf(host), workers: workerRows(host) };
}

export function configView(host: AdminHost): unknown {
  const { generation, configFile, config } = host.current;
  return { generation, configFile, config: redactConfig(config) };
}

export function providersView(host: AdminHost): unknown {
  const providers = host.metrics.providerHealth();
  return { healthy: providers.every((p) => p.healthy), providers };
}
