/**
 * Traffic totals for /admin/stats and `gatewayd status`: per model, per gateway key and overall,
 * summed from the workers' deltas since the supervisor started (never reset by reloads).
 */
import type { KeyMetricsDelta, ModelMetricsDelta, TrafficTotals, UsageFigures } from '@gatewayd/shared';

/** Non-negative finite, else 0: one malformed report must not poison a total. */
export function finite(n: unknown): number {
  return typeof n === 'number' && n > 0 && Number.isFinite(n) ? n : 0;
}

export interface TrafficView {
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  costUsd: number;
  cacheHits: number;
  cacheMisses: number;
  /** hits / (hits + misses); null before the first cacheable request. */
  cacheHitRatio: number | null;
}

export class TrafficCell {
  requests = 0;
  errors = 0;
  promptTokens = 0;
  completionTokens = 0;
  cachedTokens = 0;
  costUsd = 0;
  cacheHits = 0;
  cacheMisses = 0;

  add(d: UsageFigures, requests: number, errors: number): void {
    this.requests += requests;
    this.errors += errors;
    this.promptTokens += finite(d.promptTokens);
    this.completionTokens += finite(d.completionTokens);
    this.cachedTokens += finite(d.cachedTokens);
    this.costUsd += finite(d.costUsd);
    this.cacheHits += finite(d.cacheHits);
    this.cacheMisses += finite(d.cacheMisses);
  }

  view(): TrafficView {
    const cacheable = this.cacheHits + this.cacheMisses;
    return {
      requests: this.requests,
      errors: this.errors,
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      cachedTokens: this.cachedTokens,
      costUsd: roundUsd(this.costUsd),
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
      cacheHitRatio: cacheable === 0 ? null : this.cacheHits / cacheable,
    };
  }
}

/** Float sums drift (0.1 + 0.2); a dollar figure to 1e-9 is exact enough to read. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}

export interface ModelTrafficView extends TrafficView {
  /** HTTP status -> requests. */
  statuses: Record<string, number>;
  /** Provider -> requests. */
  providers: Record<string, number>;
}

class ModelTraffic extends TrafficCell {
  readonly statuses = new Map<number, number>();
  readonly providers = new Map<string, number>();
}

/** The label used for requests without a gateway key. */
export const NO_KEY = '-';

export class TrafficTotalsBook {
  private readonly total = new TrafficCell();
  private readonly models = new Map<string, ModelTraffic>();
  private readonly keys = new Map<string, TrafficCell>();

  addModel(d: ModelMetricsDelta): void {
    let requests = 0;
    let errors = 0;
    let model = this.models.get(d.model);
    if (!model) this.models.set(d.model, (model = new ModelTraffic()));
    for (const [status, count] of d.statuses) {
      const n = finite(count);
      requests += n;
      if (status >= 400 || status === 0) errors += n;
      model.statuses.set(status, (model.statuses.get(status) ?? 0) + n);
    }
    model.providers.set(d.provider, (model.providers.get(d.provider) ?? 0) + requests);
    model.add(d, requests, errors);
    this.total.add(d, requests, errors);
  }

  addKey(d: KeyMetricsDelta): void {
    const name = d.key ?? NO_KEY;
    let cell = this.keys.get(name);
    if (!cell) this.keys.set(name, (cell = new TrafficCell()));
    cell.add(d, finite(d.requests), finite(d.errors));
  }

  totals(): TrafficView {
    return this.total.view();
  }

  headline(): TrafficTotals {
    const t = this.total;
    return { requests: t.requests, errors: t.errors, promptTokens: t.promptTokens, completionTokens: t.completionTokens, costUsd: roundUsd(t.costUsd) };
  }

  byModel(): Record<string, ModelTrafficView> {
    const out: Record<string, ModelTrafficView> = {};
    for (const [name, m] of [...this.models].sort(([a], [b]) => a.localeCompare(b))) {
      out[name] = { ...m.view(), statuses: Object.fromEntries([...m.statuses].map(([s, n]) => [String(s), n])), providers: Object.fromEntries(m.providers) };
    }
    return out;
  }

  byKey(): Record<string, TrafficView> {
    const out: Record<string, TrafficView> = {};
    for (const [name, cell] of [...this.keys].sort(([a], [b]) => a.localeCompare(b))) out[name] = cell.view();
    return out;
  }
}
