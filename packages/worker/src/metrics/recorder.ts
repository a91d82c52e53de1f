/**
 * The worker-side metrics recorder: the data path calls it once per finished request (and on
 * streams, rate-limit rejections and provider health changes). It only adds plain numbers into
 * per-label cells; `takeReport()` turns what accumulated since the previous report into a
 * MetricsReportMessage of deltas for the supervisor, which owns the totals (prom-client).
 */
import type { GatewayConfig } from '@gatewayd/shared';
import { OVERHEAD_BUCKETS_SECONDS, type MetricsReportMessage, type ProviderHealthMessage, type ProviderHealthSnapshot, type StateBackendSample, type WorkerStats } from '@gatewayd/shared/ipc';
import { KeyCell, ModelCell } from './cells.js';
import { DeltaHistogram } from './histogram.js';
import { LabelBounds } from './labels.js';
import type { ProcessSampler } from './process-sampler.js';
import { ProviderHealthTable, type ProviderHealthDetail } from './provider-health.js';

/** One finished request, as the data path knows it when the answer is complete. */
export interface RequestRecord {
  /** Configured provider name (ProviderConfig.name); '' when the request failed before routing. */
  provider: string;
  /** Configured model name (ModelConfig.name; an alias is mapped to it); '' before routing. */
  model: string;
  /** HTTP status sent to the client (a stream that failed after its first byte: its 200). */
  status: number;
  /** Gateway key name (GatewayKeyConfig.name); null when no gateway key was used. */
  keyName: string | null;
  /** Request received -> last byte sent, ms. */
  durationMs: number;
  /** Time spent waiting on / streaming from the upstream, ms; null when no upstream was called (cache hit, rejected). */
  upstreamMs: number | null;
  /** Time spent waiting between attempts on purpose (retry backoff, a provider's retry-after), ms; absent: none. */
  retryWaitMs?: number;
  /** Streams only: request received -> first content byte sent, ms. */
  ttftMs: number | null;
  /** Input tokens INCLUDING cached ones (OpenAI prompt_tokens; Anthropic input + cache read + cache creation). */
  promptTokens: number;
  completionTokens: number;
  /** The part of promptTokens served from the provider's prompt cache. */
  cachedTokens: number;
  /** USD; see costUsd() in ./cost.js. */
  costUsd: number;
  /** Gateway response cache: hit, miss, bypass (not cacheable / asked not to), off (disabled). */
  cache: 'hit' | 'miss' | 'bypass' | 'off';
  stream: boolean;
}

export type { ProviderHealthDetail };

/** Non-negative finite number, else 0: a bad figure from one request must not poison a total. */
function amount(n: number): number {
  return n > 0 && n !== Infinity ? n : 0;
}

export class MetricsRecorder {
  private readonly labels = new LabelBounds();
  /** provider label -> model label -> cell. */
  private readonly models = new Map<string, Map<string, ModelCell>>();
  /** key label (null: no key) -> cell. */
  private readonly keys = new Map<string | null, KeyCell>();
  private readonly overhead = new DeltaHistogram(OVERHEAD_BUCKETS_SECONDS);
  private readonly rateLimited = new Map<string, number>();
  private readonly health = new ProviderHealthTable();
  private activeStreams = 0;
  /** null until startSharedState creates a backend (none without limits and cache). */
  private stateBackend: StateBackendSample | null = null;
  private seq = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Label bounds and the provider table come from the config of this worker's generation. */
  configure(config: Pick<GatewayConfig, 'providers' | 'models' | 'auth'>): void {
    this.labels.configure(config);
    this.health.configure(config.providers.map((p) => p.name));
  }

  recordRequest(r: RequestRecord): void {
    const provider = this.labels.provider(r.provider);
    const model = this.labels.model(r.model);
    const status = LabelBounds.status(r.status);
    const figures = {
      prompt: amount(r.promptTokens),
      completion: amount(r.completionTokens),
      cached: amount(r.cachedTokens),
      cost: amount(r.costUsd),
      hit: r.cache === 'hit' ? 1 : 0,
      miss: r.cache === 'miss' ? 1 : 0,
    };

    const cell = this.modelCell(provider, model);
    cell.usage.add(figures);
    cell.statuses.set(status, (cell.statuses.get(status) ?? 0) + 1);
    cell.duration.observe(amount(r.durationMs) / 1000);
    if (r.stream && r.ttftMs !== null) cell.ttft.observe(amount(r.ttftMs) / 1000);

    const key = this.keyCell(this.labels.key(r.keyName));
    key.usage.add(figures);
    if (status >= 400 || status === 0) key.errors += 1;

    // The gateway's own time: neither the upstream's nor the waits between retries it was asked for.
    if (r.upstreamMs !== null) this.overhead.observe(Math.max(0, r.durationMs - r.upstreamMs - (r.retryWaitMs ?? 0)) / 1000);
  }

  /** A request rejected by a rate limit; scope e.g. 'key', 'model', 'global' (bounded). */
  recordRateLimited(scope: string): void {
    const label = this.labels.scope(scope);
    this.rateLimited.set(label, (this.rateLimited.get(label) ?? 0) + 1);
  }

  streamStarted(): void {
    this.activeStreams += 1;
  }

  /** Call exactly once per streamStarted(), however the stream ended. */
  streamEnded(): void {
    if (this.activeStreams > 0) this.activeStreams -= 1;
  }

  /** An active check or a request outcome about a configured provider. */
  setProviderHealth(provider: string, healthy: boolean, detail?: ProviderHealthDetail): void {
    this.health.set(provider, healthy, detail, this.now());
  }

  /** This worker's current view of every configured provider. */
  providerHealth(): ProviderHealthSnapshot[] {
    return this.health.snapshot();
  }

  /** The state backend's health (llm_gateway_state_backend_up): at start, then on each transition. */
  setStateBackend(backend: StateBackendSample['backend'], up: boolean): void {
    this.stateBackend = { backend, up };
  }

  get streams(): number {
    return this.activeStreams;
  }

  /** Everything since the previous report, as deltas; zeroes the accumulators. */
  takeReport(final: boolean, stats: WorkerStats, sampler: ProcessSampler): MetricsReportMessage {
    const models: MetricsReportMessage['models'] = [];
    for (const byModel of this.models.values()) {
      for (const cell of byModel.values()) {
        const delta = cell.take();
        if (delta) models.push(delta);
      }
    }
    const keys: MetricsReportMessage['keys'] = [];
    for (const cell of this.keys.values()) {
      const delta = cell.take();
      if (delta) keys.push(delta);
    }
    const rateLimited: Array<[string, number]> = [];
    for (const [scope, count] of this.rateLimited) if (count > 0) rateLimited.push([scope, count]);
    this.rateLimited.clear();
    this.seq += 1;
    return {
      type: 'metrics',
      seq: this.seq,
      final,
      models,
      keys,
      overhead: this.overhead.take(),
      rateLimited,
      activeStreams: this.activeStreams,
      stateBackend: this.stateBackend === null ? null : { ...this.stateBackend },
      process: sampler.sample(),
      stats,
    };
  }

  /** The provider table when it changed since the last take, else null. */
  takeProviderHealth(): ProviderHealthMessage | null {
    return this.health.take();
  }

  private modelCell(provider: string, model: string): ModelCell {
    let byModel = this.models.get(provider);
    if (!byModel) this.models.set(provider, (byModel = new Map()));
    let cell = byModel.get(model);
    if (!cell) byModel.set(model, (cell = new ModelCell(provider, model)));
    return cell;
  }

  private keyCell(key: string | null): KeyCell {
    let cell = this.keys.get(key);
    if (!cell) this.keys.set(key, (cell = new KeyCell(key)));
    return cell;
  }
}
