/**
 * Exponentially weighted moving average of observed latency, for `least_latency`. The first sample
 * is taken as is; later ones move the average by `alpha` of the difference (routing.latency_alpha).
 */
export class Ewma {
  private average: number | undefined;

  constructor(private readonly alpha: number) {}

  update(sample: number): void {
    if (!Number.isFinite(sample) || sample < 0) return;
    this.average = this.average === undefined ? sample : this.average + this.alpha * (sample - this.average);
  }

  /** undefined until the first sample. */
  get value(): number | undefined {
    return this.average;
  }
}
