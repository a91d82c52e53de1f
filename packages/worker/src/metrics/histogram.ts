/**
 * A histogram that only accumulates: per-bucket counts in a plain number array, a sum and a
 * count. `take()` hands the observations since the previous take to the report and zeroes the
 * arrays in place, so the hot path never allocates.
 */
import type { HistogramDelta } from '@gatewayd/shared/ipc';

export class DeltaHistogram {
  /** Non-cumulative: counts[i] for values in (bounds[i-1], bounds[i]]; the last slot is +Inf. */
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  get empty(): boolean {
    return this.count === 0;
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    // Linear scan: at most 17 bounds, and a value stops at the first bound above it.
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }

  /** The observations since the previous take (null when none), then zeroes itself. */
  take(): HistogramDelta | null {
    if (this.count === 0) return null;
    const delta: HistogramDelta = { buckets: this.counts.slice(), sum: this.sum, count: this.count };
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
    return delta;
  }
}

/** An all-zero delta of the given bounds, for reports that must carry one. */
export function emptyDelta(bounds: readonly number[]): HistogramDelta {
  return { buckets: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
}
