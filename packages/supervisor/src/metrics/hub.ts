/**
 * MetricsHub: where the workers' reports land in the supervisor. Counters and histograms take the
 * deltas (monotonic across reloads and restarts: the totals live here, not in workers); the
 * latest report of each live worker feeds the gauges, the worker table and provider health.
 * Everything a scrape or an admin request reads is already here: nothing waits on a worker.
 */
import type { MetricsReportMessage, ProviderHealthMessage, ProviderHealthViewMessage, StateBackendSample, TrafficTotals, WorkerProcessSample, WorkerState, WorkerStats } from '@gatewayd/shared';
import { mergeProviderHealth, type ProviderHealthView } from './provider-health.js';
import { GatewayRegistry } from './registry.js';
import { finite, TrafficTotalsBook } from './traffic.js';

/** The worker a message came from, as the supervisor's pool knows it. */
export interface WorkerRef {
  slot: number;
  pid: number;
  generation: number;
  state: WorkerState;
}

/** The latest figures of one live worker process. */
export interface WorkerSample {
  slot: number;
  pid: number;
  generation: number;
  lastReportAt: number;
  seq: number;
  /** Reports that never arrived (sequence gaps). */
  lostReports: number;
  activeStreams: number;
  /** null: the worker uses no shared state (or sent a malformed sample). */
  stateBackend: StateBackendSample | null;
  stats: WorkerStats;
  process: WorkerProcessSample;
  /** CPU seconds this process used (sum of its deltas). */
  cpuSeconds: number;
  providers: ProviderHealthMessage['providers'] | null;
}

export interface HubSources {
  /** Live worker processes right now. */
  workers(): WorkerRef[];
  generation(): number;
  /** Configured provider names of the serving generation. */
  providers(): string[];
}

export class MetricsHub {
  readonly metrics: GatewayRegistry;
  readonly traffic = new TrafficTotalsBook();
  private readonly samples = new Map<number, WorkerSample>();
  private readonly rateLimitedTotals = new Map<string, number>();
  private restarts = 0;
  private readonly reloads = { success: 0, failure: 0 };
  private malformed = 0;
  /** Provider tables that arrived before the worker's first report. */
  private readonly pendingHealth = new Map<number, ProviderHealthMessage['providers']>();
  /** issue 5: per worker pid, the signature of the merged provider view it was last sent. */
  private readonly viewSent = new Map<number, string>();

  constructor(private readonly sources: HubSources) {
    this.metrics = new GatewayRegistry({
      activeStreams: () => this.liveSamples().reduce((sum, s) => sum + s.activeStreams, 0),
      providerHealth: () => this.providerHealth().map((p) => ({ provider: p.provider, up: p.healthy })),
      workers: () =>
        this.samplesBySlot().map((s) => ({
          worker: String(s.slot),
          rssBytes: s.process.rssBytes,
          heapUsedBytes: s.process.heapUsedBytes,
          inFlight: s.stats.inFlight,
          lag: { mean: s.process.eventLoopLagMeanSeconds, p99: s.process.eventLoopLagP99Seconds, max: s.process.eventLoopLagMaxSeconds },
        })),
      workerStates: () => this.sources.workers().map((w) => w.state),
      generation: () => this.sources.generation(),
      stateBackends: () => this.stateBackends(),
    });
  }

  /** A worker's periodic (or final) report. Counters always count; a gone worker's gauges are not revived. */
  applyReport(worker: WorkerRef, report: MetricsReportMessage): void {
    const m = this.metrics;
    for (const d of report.models) {
      if (typeof d.provider !== 'string' || typeof d.model !== 'string' || !Array.isArray(d.statuses)) {
        this.malformed++;
        continue;
      }
      const labels = { provider: d.provider, model: d.model };
      for (const [status, count] of d.statuses) {
        const n = finite(count);
        if (n > 0) m.requests.inc({ ...labels, status: String(status) }, n);
      }
      if (d.duration && !m.duration.merge(labels, d.duration)) this.malformed++;
      if (d.ttft && !m.ttft.merge(labels, d.ttft)) this.malformed++;
      m.tokens.inc({ type: 'prompt' }, finite(d.promptTokens));
      m.tokens.inc({ type: 'completion' }, finite(d.completionTokens));
      m.cost.inc(labels, finite(d.costUsd));
      m.cacheHits.inc({ model: d.model }, finite(d.cacheHits));
      m.cacheMisses.inc({ model: d.model }, finite(d.cacheMisses));
      this.traffic.addModel(d);
    }
    for (const d of report.keys) this.traffic.addKey(d);
    if (report.overhead && !m.overhead.merge({}, report.overhead)) this.malformed++;
    for (const [scope, count] of report.rateLimited) {
      const n = finite(count);
      if (n === 0 || typeof scope !== 'string') continue;
      m.rateLimited.inc({ scope }, n);
      this.rateLimitedTotals.set(scope, (this.rateLimitedTotals.get(scope) ?? 0) + n);
    }
    const cpu = finite(report.process.cpuSecondsDelta);
    m.workerCpu.inc({ worker: String(worker.slot) }, cpu);

    if (worker.state === 'stopped' || report.final) {
      // The final report of an exiting worker: its live figures go with it.
      this.workerExited(worker.pid);
      return;
    }
    const previous = this.samples.get(worker.pid);
    const lost = previous && report.seq > previous.seq + 1 ? report.seq - previous.seq - 1 : 0;
    this.samples.set(worker.pid, {
      slot: worker.slot,
      pid: worker.pid,
      generation: worker.generation,
      lastReportAt: Date.now(),
      seq: report.seq,
      lostReports: (previous?.lostReports ?? 0) + lost,
      activeStreams: finite(report.activeStreams),
      stateBackend: stateBackendOf(report.stateBackend),
      stats: report.stats,
      process: report.process,
      cpuSeconds: (previous?.cpuSeconds ?? 0) + cpu,
      providers: previous?.providers ?? this.pendingHealth.get(worker.pid) ?? null,
    });
    this.pendingHealth.delete(worker.pid);
  }

  applyProviderHealth(worker: WorkerRef, message: ProviderHealthMessage): void {
    if (worker.state === 'stopped') return;
    const sample = this.samples.get(worker.pid);
    if (sample) sample.providers = message.providers;
    else this.pendingHealth.set(worker.pid, message.providers);
  }

  /** The worker process exited: its live figures (streams, gauges, provider view) are dropped. */
  workerExited(pid: number): void {
    this.samples.delete(pid);
    this.pendingHealth.delete(pid);
    this.viewSent.delete(pid);
  }

  /**
   * issue 5: the merged provider health for a live worker's /health/ready, when it differs from
   * what that worker was last sent (null otherwise). Worker 0 runs the active checks; the other
   * workers learn their results this way, one report interval later.
   */
  providerViewFor(worker: WorkerRef): ProviderHealthViewMessage | null {
    if (worker.state === 'stopped' || !this.samples.has(worker.pid)) return null;
    const providers = this.providerHealth().map((p) => ({
      provider: p.provider,
      state: p.state,
      latencyMs: p.latencyMs,
      lastError: p.lastError,
      observedAt: p.observedAt === null ? 0 : Date.parse(p.observedAt),
    }));
    // States only: readiness needs nothing finer, and a fresher timestamp alone is no news.
    const signature = providers.map((p) => `${p.provider}=${p.state}`).join(',');
    if (this.viewSent.get(worker.pid) === signature) return null;
    this.viewSent.set(worker.pid, signature);
    return { type: 'provider-health-view', providers };
  }

  workerRestarted(): void {
    this.restarts++;
    this.metrics.workerRestarts.inc();
  }

  configReloaded(result: 'success' | 'failure'): void {
    this.reloads[result]++;
    this.metrics.configReloads.inc({ result });
  }

  sample(pid: number): WorkerSample | undefined {
    return this.samples.get(pid);
  }

  providerHealth(): ProviderHealthView[] {
    const live = this.liveSamples();
    return mergeProviderHealth(
      this.sources.providers(),
      live.map((s) => ({ slot: s.slot, pid: s.pid, providers: s.providers ?? this.pendingHealth.get(s.pid) ?? [] })),
    );
  }

  headline(): TrafficTotals {
    return this.traffic.headline();
  }

  counters(): { workerRestarts: number; configReloads: { success: number; failure: number }; rateLimited: Record<string, number>; malformedReports: number } {
    return { workerRestarts: this.restarts, configReloads: { ...this.reloads }, rateLimited: Object.fromEntries(this.rateLimitedTotals), malformedReports: this.malformed };
  }

  activeStreams(): number {
    return this.liveSamples().reduce((sum, s) => sum + s.activeStreams, 0);
  }

  /**
   * llm_gateway_state_backend_up: per backend the MIN over the live workers that use it, so one
   * worker cut off from Redis is enough to show 0 (its requests run without limits or get 503,
   * per state.on_error). During a reload that changes the backend both show until the old workers exit.
   */
  stateBackends(): Array<{ backend: string; up: boolean }> {
    const up = new Map<string, boolean>();
    for (const s of this.liveSamples()) {
      if (s.stateBackend !== null) up.set(s.stateBackend.backend, (up.get(s.stateBackend.backend) ?? true) && s.stateBackend.up);
    }
    return [...up].map(([backend, ok]) => ({ backend, up: ok }));
  }

  private liveSamples(): WorkerSample[] {
    const live = new Set(this.sources.workers().map((w) => w.pid));
    return [...this.samples.values()].filter((s) => live.has(s.pid));
  }

  /** One sample per slot: the newest generation's process when a reload overlaps two. */
  private samplesBySlot(): WorkerSample[] {
    const bySlot = new Map<number, WorkerSample>();
    for (const s of this.liveSamples()) {
      const seen = bySlot.get(s.slot);
      if (!seen || s.generation > seen.generation) bySlot.set(s.slot, s);
    }
    return [...bySlot.values()].sort((a, b) => a.slot - b.slot);
  }
}

/** A well-formed sample or null: the backend label stays bounded whatever a report carries. */
function stateBackendOf(value: unknown): StateBackendSample | null {
  if (typeof value !== 'object' || value === null) return null;
  const { backend, up } = value as Partial<StateBackendSample>;
  return (backend === 'local' || backend === 'redis') && typeof up === 'boolean' ? { backend, up } : null;
}
