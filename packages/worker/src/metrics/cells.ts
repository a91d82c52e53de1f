/**
 * Per-label accumulators of the recorder: one ModelCell per (provider, model) label pair and one
 * KeyCell per gateway key. Cells are created once per label combination (bounded by the config)
 * and zeroed in place after each report.
 */
import { LATENCY_BUCKETS_SECONDS, type KeyMetricsDelta, type ModelMetricsDelta } from '@gatewayd/shared/ipc';
import { DeltaHistogram, emptyDelta } from './histogram.js';

export class ModelCell {
  /** HTTP status -> count since the last report. */
  readonly statuses = new Map<number, number>();
  readonly duration = new DeltaHistogram(LATENCY_BUCKETS_SECONDS);
  readonly ttft = new DeltaHistogram(LATENCY_BUCKETS_SECONDS);
  requests = 0;
  promptTokens = 0;
  completionTokens = 0;
  cachedTokens = 0;
  costUsd = 0;
  cacheHits = 0;
  cacheMisses = 0;

  constructor(
    readonly provider: string,
    readonly model: string,
  ) {}

  /** The delta since the last take, or null when nothing happened; zeroes the cell. */
  take(): ModelMetricsDelta | null {
    if (this.requests === 0) return null;
    const statuses: Array<[number, number]> = [];
    for (const [status, count] of this.statuses) if (count > 0) statuses.push([status, count]);
    const delta: ModelMetricsDelta = {
      provider: this.provider,
      model: this.model,
      statuses,
      duration: this.duration.take() ?? emptyDelta(LATENCY_BUCKETS_SECONDS),
      ttft: this.ttft.take() ?? emptyDelta(LATENCY_BUCKETS_SECONDS),
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      cachedTokens: this.cachedTokens,
      costUsd: this.costUsd,
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
    };
    // Keep the status keys (the same few recur): zero them instead of reallocating the map.
    for (const status of this.statuses.keys()) this.statuses.set(status, 0);
    this.requests = 0;
    this.promptTokens = 0;
    this.completionTokens = 0;
    this.cachedTokens = 0;
    this.costUsd = 0;
    this.cacheHits = 0;
    this.cacheMisses = 0;
    return delta;
  }
}

export class KeyCell {
  requests = 0;
  errors = 0;
  promptTokens = 0;
  completionTokens = 0;
  cachedTokens = 0;
  costUsd = 0;
  cacheHits = 0;
  cacheMisses = 0;

  constructor(readonly key: string | null) {}

  take(): KeyMetricsDelta | null {
    if (this.requests === 0) return null;
    const delta: KeyMetricsDelta = {
      key: this.key,
      requests: this.requests,
      errors: this.errors,
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      cachedTokens: this.cachedTokens,
      costUsd: this.costUsd,
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
    };
    this.requests = 0;
    this.errors = 0;
    this.promptTokens = 0;
    this.completionTokens = 0;
    this.cachedTokens = 0;
    this.costUsd = 0;
    this.cacheHits = 0;
    this.cacheMisses = 0;
    return delta;
  }
}
