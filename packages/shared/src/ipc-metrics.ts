/**
 * Worker -> supervisor metrics and provider-health reports (issue 5), part of the IPC protocol
 * (re-exported by ipc.ts). Workers never run prom-client: they accumulate plain-number DELTAS and
 * push them on a timer, and once more before exiting; the supervisor adds them to its own
 * registry, so counters stay monotonic across reloads and restarts and a scrape never waits on a
 * worker. Types, constants and guards only.
 */
import type { WorkerStats } from './ipc.js';

/**
 * Histogram bucket upper bounds in seconds, shared by the worker accumulators and the supervisor
 * registry (request duration and time to first token). 5 ms up to 10 minutes of generation: the
 * low bounds resolve cache hits, rejections and fast answers (all under 50 ms, which was once the
 * first bound), the high ones long generations. docs/observability.md lists them.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
/** The gateway's own added time (total minus upstream): 100 µs up to 1 s. */
export const OVERHEAD_BUCKETS_SECONDS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/**
 * Observations since the previous report. `buckets[i]` counts values <= bounds[i] and > bounds[i-1]
 * (NOT cumulative); the last slot (index bounds.length) counts values above the largest bound.
 */
export interface HistogramDelta {
  buckets: number[];
  sum: number;
  count: number;
}

/** Token, cost and cache counts of some traffic since the previous report (model and key deltas). */
export interface UsageFigures {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  costUsd: number;
  cacheHits: number;
  cacheMisses: number;
}

/** Traffic of one (provider, model) pair since the previous report; labels already bounded. */
export interface ModelMetricsDelta extends UsageFigures {
  provider: string;
  model: string;
  /** [HTTP status, count] pairs. */
  statuses: Array<[number, number]>;
  duration: HistogramDelta;
  /** Streams only. */
  ttft: HistogramDelta;
}

/** Traffic of one gateway key since the previous report; `key` null: no gateway key (client mode). */
export interface KeyMetricsDelta extends UsageFigures {
  key: string | null;
  requests: number;
  /** Answers with status >= 400. */
  errors: number;
}

/**
 * The shared state backend (issue 4) as the reporting worker sees it: `up` false from a failed
 * call or a lost connection until the next success. Backend local always reports up (see
 * startSharedState in the worker). null: this worker uses no shared state (no limit configured
 * and the cache off), so it has nothing to report.
 */
export interface StateBackendSample {
  backend: 'local' | 'redis';
  up: boolean;
}

/** Process figures of the reporting worker. */
export interface WorkerProcessSample {
  /** CPU time (user + system) used since the previous report. */
  cpuSecondsDelta: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Event loop delay over the last interval, in seconds. */
  eventLoopLagMeanSeconds: number;
  eventLoopLagP99Seconds: number;
  eventLoopLagMaxSeconds: number;
}

export interface MetricsReportMessage {
  type: 'metrics';
  /** Per-worker sequence number (1, 2, ...): a gap means a lost report. */
  seq: number;
  /** The last report before the worker exits. */
  final: boolean;
  models: ModelMetricsDelta[];
  keys: KeyMetricsDelta[];
  overhead: HistogramDelta | null;
  /** [scope, count] pairs of requests rejected by a rate limit. */
  rateLimited: Array<[string, number]>;
  /** Absolute: streams open in this worker right now (as counted by the recorder). */
  activeStreams: number;
  /** Absolute: the state backend's health right now. */
  stateBackend: StateBackendSample | null;
  process: WorkerProcessSample;
  /** The worker's live counters, so the supervisor's worker table is fresh without asking. */
  stats: WorkerStats;
}

export type ProviderHealthState = 'unknown' | 'healthy' | 'degraded' | 'down';

/** One provider as one worker sees it (active checks and request outcomes). */
export interface ProviderHealthSnapshot {
  provider: string;
  state: ProviderHealthState;
  /** Latency of the last successful check or request (or a moving average), ms; null: none yet. */
  latencyMs: number | null;
  lastError: { message: string; status: number | null; at: string } | null;
  /** Epoch ms of the observation this state comes from; 0 when never observed. */
  observedAt: number;
}

/** The full provider health table of a worker; sent when it changed (and with the first report). */
export interface ProviderHealthMessage {
  type: 'provider-health';
  providers: ProviderHealthSnapshot[];
}

/**
 * Supervisor -> worker: the cluster-wide provider health (per provider the freshest observation of
 * any live worker, active checks of worker 0 included), so every worker's /health/ready agrees.
 * Sent in reply to a metrics report when the merged view changed since that worker last got it.
 */
export interface ProviderHealthViewMessage {
  type: 'provider-health-view';
  providers: ProviderHealthSnapshot[];
}

export function isProviderHealthViewMessage(value: unknown): value is ProviderHealthViewMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'provider-health-view' && Array.isArray((value as { providers?: unknown }).providers);
}

/** Headline traffic figures since the supervisor started (the same totals as /admin/stats). */
export interface TrafficTotals {
  requests: number;
  /** Answers with status >= 400. */
  errors: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

/** issue 5: one row of the per-model / per-key breakdown in `gatewayd status` (as in /admin/stats). */
export interface TrafficRow extends TrafficTotals {
  /** hits / (hits + misses) of the response cache; null before the first cacheable request. */
  cacheHitRatio: number | null;
}

/** Structural check of a metrics report: a malformed one must not corrupt the totals. */
export function isMetricsReport(value: unknown): value is MetricsReportMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<MetricsReportMessage>;
  return (
    m.type === 'metrics' &&
    typeof m.seq === 'number' &&
    Array.isArray(m.models) &&
    Array.isArray(m.keys) &&
    Array.isArray(m.rateLimited) &&
    typeof m.process === 'object' &&
    m.process !== null &&
    typeof m.stats === 'object' &&
    m.stats !== null
  );
}

export function isProviderHealthMessage(value: unknown): value is ProviderHealthMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'provider-health' && Array.isArray((value as { providers?: unknown }).providers);
}
