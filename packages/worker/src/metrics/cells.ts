/**
 * Per-label accumulators of the recorder: one ModelCell per (provider, model) label pair and one
 * KeyCell per gateway key. Cells are created once per label combination (bounded by the config)
 * and zeroed in place after each report.
 */
import { LATENCY_BUCKETS_SECONDS, type KeyMetricsDelta, type ModelMetricsDelta, type UsageFigures } from '@gatewayd/shared/ipc';
import { DeltaHistogram, emptyDelta } from './histogram.js';

/** One finished request's figures, as both cells count them. */
export interface RequestFigures {
  prompt: number;
  completion: number;
  cached: number;
  cost: number;
  hit: number;
  miss: number;
}

/** Tokens, cost and cache outcomes since the last take: the part model and key cells share. */
class UsageTally {
  requests = 0;
  private promptTokens = 0;
  private completionTokens = 0;
  private cachedTokens = 0;
  private costUsd = 0;
  private cacheHits = 0;
  private cacheMisses = 0;

  add(f: RequestFigures): void {
    this.requests += 1;
    this.promptTokens += f.prompt;
    this.completionTokens += f.completion;
    this.cachedTokens += f.cached;
    this.costUsd += f.cost;
    this.cacheHits += f.hit;
    this.cacheMisses += f.miss;
  }

  /** The figures since the last take; zeroes the tally. */
  take(): UsageFigures {
    const figures: UsageFigures = {
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      cachedTokens: this.cachedTokens,
      costUsd: this.costUsd,
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
    };
    this.requests = 0;
    this.promptTokens = 0;
    this.completionTokens = 0;
    this.cachedTokens = 0;
    this.costUsd = 0;
    this.cacheHits = 0;
    this.cacheMisses = 0;
    return figures;
  }
}

export class ModelCell {
  /** HTTP status -> count since the last report. */
  readonly statuses = new Map<number, number>();
  readonly duration = new DeltaHistogram(LATENCY_BUCKETS_SECONDS);
  readonly ttft = new DeltaHistogram(LATENCY_BUCKETS_SECONDS);
  readonly usage = new UsageTally();

  constructor(
    readonly provider: string,
    readonly model: string,
  ) {}

  /** The delta since the last take, or null when nothing happened; zeroes the cell. */
  take(): ModelMetricsDelta | null {
    if (this.usage.requests === 0) return null;
    const statuses: Array<[number, number]> = [];
    for (const [status, count] of this.statuses) if (count > 0) statuses.push([status, count]);
    // Keep the status keys (the same few recur): zero them instead of reallocating the map.
    for (const status of this.statuses.keys()) this.statuses.set(status, 0);
    return {
      provider: this.provider,
      model: this.model,
      statuses,
      duration: this.duration.take() ?? emptyDelta(LATENCY_BUCKETS_SECONDS),
      ttft: this.ttft.take() ?? emptyDelta(LATENCY_BUCKETS_SECONDS),
      ...this.usage.take(),
    };
  }
}

export class KeyCell {
  readonly usage = new UsageTally();
  errors = 0;

  constructor(readonly key: string | null) {}

  take(): KeyMetricsDelta | null {
    const requests = this.usage.requests;
    if (requests === 0) return null;
    const errors = this.errors;
    this.errors = 0;
    return { key: this.key, requests, errors, ...this.usage.take() };
  }
}
