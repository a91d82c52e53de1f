/**
 * A weighted sliding-window log: the timestamp (and weight) of every admitted entry of the last
 * window, oldest first. RPM uses weight 1 per request, TPM the reserved tokens of a request.
 *
 * Why a log and not GCRA or a fixed/approximate window: the contract is "at most N in ANY
 * 60-second window, a burst of N at once included". GCRA with a burst of N admits the burst and
 * then keeps admitting one request every 60/N s, so a 60-second window that starts at the burst
 * sees ~2N requests. Fixed windows allow 2N across a boundary; the two-window approximation is
 * not exact either. The log is exact, and answers "when may the next request go" exactly: when
 * the oldest entry that has to leave the window leaves it. It costs one entry per admitted
 * request of the last minute per limit, which is bounded by the limit itself.
 *
 * An entry at time t occupies the half-open interval [t, t + window).
 */
export class SlidingLog {
  private times: number[] = [];
  private weights: number[] = [];
  /** Index of the oldest live entry; entries before it have left the window. */
  private head = 0;
  /** Sequence number of times[0]: sequence numbers stay valid across compaction. */
  private baseSeq = 0;
  /** Sum of the live entries' weights. */
  private sum = 0;
  /**
   * Memo of waitUntilTotalAtMost: a rejected caller retrying (or many callers rejected by the same
   * limit) would otherwise walk the log from the oldest entry on every rejection, and zero-weight
   * entries (count_tokens, cache hits settled at 0) let that walk grow without raising the total.
   * The crossing entry (the one whose leaving brings the total to the target) depends only on the
   * weights from it to the newest entry, so pruning from the front never moves it; a change of
   * weight that can move it bumps `version`.
   */
  private version = 0;
  private memoVersion = -1;
  private memoTarget = NaN;
  /** Sequence number of the crossing entry, -1 when none (the total never drops to the target). */
  private memoSeq = -1;
  private memoTime = 0;
  private walks = 0;

  constructor(private readonly windowMs: number) {}

  get count(): number {
    return this.times.length - this.head;
  }

  get total(): number {
    return this.sum;
  }

  /** How many times waitUntilTotalAtMost had to walk the log (the memo missed), for tests and bench. */
  get walkCount(): number {
    return this.walks;
  }

  /** Drops the entries that have left the window at `now`. */
  prune(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) {
      this.sum -= this.weights[this.head]!;
      this.head++;
    }
    if (this.head === this.times.length) {
      this.baseSeq += this.head;
      this.times = [];
      this.weights = [];
      this.head = 0;
      this.sum = 0; // also clears float drift
    } else if (this.head > 64 && this.head * 2 >= this.times.length) {
      // Amortised O(1): copy the live half only when the dead half is at least as long.
      this.baseSeq += this.head;
      this.times = this.times.slice(this.head);
      this.weights = this.weights.slice(this.head);
      this.head = 0;
    }
  }

  /** Appends an entry (times never decrease: one clock per store) and returns its sequence number. */
  append(time: number, weight: number): number {
    const last = this.times.length > this.head ? this.times[this.times.length - 1]! : -Infinity;
    this.times.push(Math.max(time, last));
    this.weights.push(weight);
    this.sum += weight;
    // A zero weight changes no total from any entry on, so the crossing stays where it was.
    if (weight !== 0) this.version++;
    return this.baseSeq + this.times.length - 1;
  }

  /** Changes an entry's weight in place (TPM reconciliation); false when it already left the window. */
  reweigh(seq: number, weight: number): boolean {
    const index = seq - this.baseSeq;
    if (index < this.head || index >= this.times.length) return false;
    if (weight === this.weights[index]) return true;
    this.sum += weight - this.weights[index]!;
    this.weights[index] = weight;
    this.version++;
    return true;
  }

  /**
   * TPM reconciliation: the entry's weight becomes `weight`. A request that outlived the window (a
   * long stream) finds its entry gone, its `previous` weight counted in full while it was there:
   * what it used beyond that counts from `now`, so a long answer is not free. Using less than
   * the entry held gives nothing back once it has left.
   */
  reconcile(seq: number, previous: number, weight: number, now: number): void {
    this.prune(now); // an entry past the window may not have been dropped yet
    if (!this.reweigh(seq, weight) && weight > previous) this.append(now, weight - previous);
  }

  /** Milliseconds from `now` until the newest entry leaves (the window is empty); 0 when empty. */
  resetMs(now: number): number {
    if (this.count === 0) return 0;
    return Math.max(0, this.times[this.times.length - 1]! + this.windowMs - now);
  }

  /**
   * Milliseconds from `now` until the live total is at most `target`, entries leaving oldest
   * first; 0 when it already is. Exact as long as no entry is added or reweighed meanwhile.
   */
  waitUntilTotalAtMost(target: number, now: number): number {
    if (this.sum <= target) return 0;
    // A crossing entry that left the window means the total already dropped (float drift aside):
    // walk again rather than trust it.
    const stale = this.memoSeq !== -1 && this.memoSeq < this.baseSeq + this.head;
    if (this.memoVersion !== this.version || this.memoTarget !== target || stale) this.findCrossing(target);
    return this.memoSeq === -1 ? 0 : Math.max(0, this.memoTime + this.windowMs - now);
  }

  /** Walks from the oldest live entry to the one whose leaving brings the total to `target`. */
  private findCrossing(target: number): void {
    this.walks++;
    this.memoVersion = this.version;
    this.memoTarget = target;
    this.memoSeq = -1;
    let total = this.sum;
    for (let i = this.head; i < this.times.length; i++) {
      total -= this.weights[i]!;
      if (total <= target) {
        this.memoSeq = this.baseSeq + i;
        this.memoTime = this.times[i]!;
        return;
      }
    }
  }
}
