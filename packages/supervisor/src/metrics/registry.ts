/**
 * The supervisor's prom-client registry: every SPEC metric (names.ts) plus per-worker process
 * metrics and the supervisor's own default process metrics. Counters are only ever incremented
 * with worker deltas, so they stay monotonic across reloads and restarts; gauges are computed at
 * scrape time from the latest reports (collect callbacks), never by asking a worker.
 */
import { LATENCY_BUCKETS_SECONDS, OVERHEAD_BUCKETS_SECONDS } from '@gatewayd/shared';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { MergedHistogram } from './merged-histogram.js';
import { EXTRA_METRIC, METRIC } from './names.js';

/** What the gauges read at scrape time. */
export interface GaugeSources {
  activeStreams(): number;
  providerHealth(): Array<{ provider: string; up: boolean }>;
  /** One entry per worker slot (the newest generation's process when a reload overlaps two). */
  workers(): Array<{ worker: string; rssBytes: number; heapUsedBytes: number; inFlight: number; lag: { mean: number; p99: number; max: number } }>;
  /** The state of every live worker process. */
  workerStates(): string[];
  generation(): number;
  /** Per state backend in use: up unless at least one live worker cannot reach it. */
  stateBackends(): Array<{ backend: string; up: boolean }>;
}

export class GatewayRegistry {
  readonly registry = new Registry();
  readonly requests: Counter<'provider' | 'model' | 'status'>;
  readonly duration: MergedHistogram;
  readonly ttft: MergedHistogram;
  readonly overhead: MergedHistogram;
  readonly tokens: Counter<'type'>;
  readonly cost: Counter<'provider' | 'model'>;
  readonly cacheHits: Counter<'model'>;
  readonly cacheMisses: Counter<'model'>;
  readonly rateLimited: Counter<'scope'>;
  readonly workerRestarts: Counter;
  readonly configReloads: Counter<'result'>;
  readonly workerCpu: Counter<'worker'>;

  constructor(sources: GaugeSources) {
    const registers = [this.registry];
    this.requests = new Counter({ name: METRIC.requests, help: 'Requests answered, by provider, model and HTTP status.', labelNames: ['provider', 'model', 'status'], registers });
    this.duration = new MergedHistogram(METRIC.duration, 'Request duration, received to last byte sent, in seconds.', ['provider', 'model'], LATENCY_BUCKETS_SECONDS, this.registry);
    this.ttft = new MergedHistogram(METRIC.ttft, 'Streams: time from request received to first content byte sent, in seconds.', ['provider', 'model'], LATENCY_BUCKETS_SECONDS, this.registry);
    this.overhead = new MergedHistogram(METRIC.overhead, "The gateway's own time per request (total minus upstream time), in seconds.", [], OVERHEAD_BUCKETS_SECONDS, this.registry);
    this.tokens = new Counter({ name: METRIC.tokens, help: 'Tokens processed, by type (prompt includes cached prompt tokens).', labelNames: ['type'], registers });
    this.cost = new Counter({ name: METRIC.cost, help: 'Estimated spend in US dollars (etc/prices.yaml or target prices), by provider and model.', labelNames: ['provider', 'model'], registers });
    this.cacheHits = new Counter({ name: METRIC.cacheHits, help: 'Answers served from the response cache, by model.', labelNames: ['model'], registers });
    this.cacheMisses = new Counter({ name: METRIC.cacheMisses, help: 'Cacheable requests not found in the response cache, by model.', labelNames: ['model'], registers });
    this.rateLimited = new Counter({ name: METRIC.rateLimited, help: 'Requests rejected by a rate limit, by scope.', labelNames: ['scope'], registers });
    new Gauge({
      name: METRIC.providerHealth,
      help: 'Provider health as the workers see it: 1 healthy, degraded or not checked yet; 0 down.',
      labelNames: ['provider'],
      registers,
      collect() {
        this.reset();
        for (const p of sources.providerHealth()) this.set({ provider: p.provider }, p.up ? 1 : 0);
      },
    });
    new Gauge({
      name: METRIC.activeStreams,
      help: 'SSE streams open to clients, all workers.',
      registers,
      collect() {
        this.set(sources.activeStreams());
      },
    });
    this.workerRestarts = new Counter({ name: METRIC.workerRestarts, help: 'Workers restarted by the supervisor after an unexpected exit.', registers });
    this.configReloads = new Counter({ name: METRIC.configReloads, help: 'Config reloads, by result.', labelNames: ['result'], registers });
    // Both results exist from the start, so `increase(...{result="failure"}[5m])` has a series to read.
    this.configReloads.inc({ result: 'success' }, 0);
    this.configReloads.inc({ result: 'failure' }, 0);
    this.tokens.inc({ type: 'prompt' }, 0);
    this.tokens.inc({ type: 'completion' }, 0);

    this.workerCpu = new Counter({ name: EXTRA_METRIC.workerCpu, help: 'CPU time used by the workers of each slot (user + system), in seconds.', labelNames: ['worker'], registers });
    const perWorker = (name: string, help: string, pick: (w: ReturnType<GaugeSources['workers']>[number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['worker'],
        registers,
        collect() {
          this.reset();
          for (const w of sources.workers()) this.set({ worker: w.worker }, pick(w));
        },
      });
    perWorker(EXTRA_METRIC.workerRss, 'Resident memory of each serving worker, in bytes.', (w) => w.rssBytes);
    perWorker(EXTRA_METRIC.workerHeap, 'V8 heap in use in each serving worker, in bytes.', (w) => w.heapUsedBytes);
    perWorker(EXTRA_METRIC.workerInFlight, 'Requests in flight in each serving worker.', (w) => w.inFlight);
    new Gauge({
      name: EXTRA_METRIC.workerLag,
      help: 'Event loop delay of each serving worker over its last report interval, in seconds (stat: mean, p99, max).',
      labelNames: ['worker', 'stat'],
      registers,
      collect() {
        this.reset();
        for (const w of sources.workers()) {
          this.set({ worker: w.worker, stat: 'mean' }, w.lag.mean);
          this.set({ worker: w.worker, stat: 'p99' }, w.lag.p99);
          this.set({ worker: w.worker, stat: 'max' }, w.lag.max);
        }
      },
    });
    new Gauge({
      name: EXTRA_METRIC.workers,
      help: 'Worker processes, by state.',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, number>([['starting', 0], ['ready', 0], ['draining', 0]]);
        for (const state of sources.workerStates()) counts.set(state, (counts.get(state) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    new Gauge({
      name: EXTRA_METRIC.stateBackendUp,
      help: 'Shared state backend (limits, cache) reachable: 1, or 0 when any worker cannot reach it (backend local: always 1).',
      labelNames: ['backend'],
      registers,
      collect() {
        this.reset();
        for (const s of sources.stateBackends()) this.set({ backend: s.backend }, s.up ? 1 : 0);
      },
    });
    new Gauge({
      name: EXTRA_METRIC.generation,
      help: 'The config generation being served.',
      registers,
      collect() {
        this.set(sources.generation());
      },
    });
    // The supervisor's own process_* and nodejs_* metrics (it is the process being scraped).
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
