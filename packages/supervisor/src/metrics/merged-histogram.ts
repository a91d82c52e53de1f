/**
 * A Prometheus histogram fed with pre-bucketed deltas (the workers' HistogramDelta) rather than
 * single observations. prom-client's Histogram has no public way to add bucket counts, so this is
 * a small metric object of the shape prom-client's Registry formats (`get()` returning name, help,
 * type and values, bucket series named `<name>_bucket` with an `le` label): registered in the same
 * registry, rendered by the same code as every other metric.
 */
import type { HistogramDelta } from '@gatewayd/shared';
import type { Metric, Registry } from 'prom-client';

interface Series {
  labels: Record<string, string>;
  /** Non-cumulative counts per bound, plus the +Inf slot. */
  counts: number[];
  sum: number;
  count: number;
}

interface ExportedValue {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

export class MergedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly bounds: readonly number[],
    registry: Registry,
  ) {
    // Duck-typed: the registry only calls name/help/type/get().
    registry.registerMetric(this as unknown as Metric);
    // Like prom-client's own: a histogram without labels shows its zero series from the start.
    if (labelNames.length === 0) this.series.set('', { labels: {}, counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 });
  }

  /** Adds a worker's delta; ignored when its bucket layout does not match (a protocol mismatch). */
  merge(labels: Record<string, string>, delta: HistogramDelta): boolean {
    if (delta.count <= 0) return true;
    if (!Array.isArray(delta.buckets) || delta.buckets.length !== this.bounds.length + 1) return false;
    const key = this.labelNames.map((n) => labels[n] ?? '').join('\u0000');
    let series = this.series.get(key);
    if (!series) {
      series = { labels: { ...labels }, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    for (let i = 0; i < series.counts.length; i++) {
      const n = delta.buckets[i]!;
      if (Number.isFinite(n) && n > 0) series.counts[i]! += n;
    }
    if (Number.isFinite(delta.sum) && delta.sum > 0) series.sum += delta.sum;
    series.count += delta.count;
    return true;
  }

  /** Observations of one label set so far (tests, /admin/stats). */
  countOf(labels: Record<string, string>): number {
    return this.series.get(this.labelNames.map((n) => labels[n] ?? '').join('\u0000'))?.count ?? 0;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExportedValue[] }> {
    const values: ExportedValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const series of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += series.counts[i]!;
        values.push({ value: cumulative, labels: { ...series.labels, le: this.bounds[i]! }, metricName: bucketName });
      }
      values.push({ value: series.count, labels: { ...series.labels, le: '+Inf' }, metricName: bucketName });
      values.push({ value: series.sum, labels: { ...series.labels }, metricName: `${this.name}_sum` });
      values.push({ value: series.count, labels: { ...series.labels }, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}
