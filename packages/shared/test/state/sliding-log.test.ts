/** SlidingLog.waitUntilTotalAtMost: the memoised crossing gives the walk's answers, and walks once per change. */
import t from 'tap';
import { SlidingLog } from '@gatewayd/shared/state';

/** The definition, with no memo: entries leave oldest first until the total is at most `target`. */
class NaiveLog {
  private entries: Array<{ time: number; weight: number; seq: number }> = [];
  private nextSeq = 0;
  constructor(private readonly windowMs: number) {}
  prune(now: number): void {
    this.entries = this.entries.filter((e) => e.time > now - this.windowMs);
  }
  append(time: number, weight: number): number {
    const last = this.entries.at(-1)?.time ?? -Infinity;
    this.entries.push({ time: Math.max(time, last), weight, seq: this.nextSeq });
    return this.nextSeq++;
  }
  reweigh(seq: number, weight: number): boolean {
    const entry = this.entries.find((e) => e.seq === seq);
    if (entry) entry.weight = weight;
    return entry !== undefined;
  }
  get total(): number {
    return this.entries.reduce((sum, e) => sum + e.weight, 0);
  }
  waitUntilTotalAtMost(target: number, now: number): number {
    let total = this.total;
    for (const e of this.entries) {
      if (total <= target) break;
      total -= e.weight;
      if (total <= target) return Math.max(0, e.time + this.windowMs - now);
    }
    return 0;
  }
}

/** Deterministic (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test('randomized: same answers as the naive walk across append, reweigh, prune and compaction', async (t) => {
  for (const seed of [1, 2, 3, 42, 1234]) {
    const rnd = random(seed);
    const window = 1000;
    const log = new SlidingLog(window);
    const naive = new NaiveLog(window);
    const seqs: number[] = [];
    let now = 0;
    let mismatches = 0;
    for (let step = 0; step < 4000; step++) {
      const op = rnd();
      if (op < 0.35) {
        // Zero weights are frequent on purpose: they are what the memo must see through.
        const weight = rnd() < 0.4 ? 0 : Math.floor(rnd() * 20);
        const seq = log.append(now, weight);
        if (naive.append(now, weight) !== seq) mismatches++;
        seqs.push(seq);
      } else if (op < 0.5 && seqs.length > 0) {
        const seq = seqs[Math.floor(rnd() * seqs.length)]!;
        const weight = Math.floor(rnd() * 20);
        if (log.reweigh(seq, weight) !== naive.reweigh(seq, weight)) mismatches++;
      } else if (op < 0.6) {
        now += Math.floor(rnd() * 60);
        log.prune(now);
        naive.prune(now);
      } else {
        // Repeat a few targets so the memo is hit as well as missed.
        const target = Math.floor(rnd() * 4) * 25 - (rnd() < 0.05 ? 1 : 0);
        if (log.waitUntilTotalAtMost(target, now) !== naive.waitUntilTotalAtMost(target, now)) mismatches++;
      }
      if (log.total !== naive.total) mismatches++;
    }
    t.equal(mismatches, 0, `seed ${seed}: no disagreement`);
  }
});

t.test('repeated rejections walk once; a weighted append or a reweigh invalidates the memo', async (t) => {
  const log = new SlidingLog(60_000);
  log.append(0, 100); // the one entry that has to leave
  for (let i = 1; i <= 10_000; i++) log.append(i, 0); // count_tokens calls, cache hits settled at 0
  log.append(20_000, 50);

  const answers = new Set<number>();
  for (let i = 0; i < 1000; i++) answers.add(log.waitUntilTotalAtMost(60, 30_000));
  t.same([...answers], [30_000], 'entry 0 leaves at 60 s, every time');
  t.equal(log.walkCount, 1, '1000 rejections cost one walk');

  log.append(20_001, 0);
  t.equal(log.waitUntilTotalAtMost(60, 30_001), 29_999);
  t.equal(log.walkCount, 1, 'a zero-weight entry cannot move the crossing');

  log.prune(59_999);
  t.equal(log.waitUntilTotalAtMost(60, 59_999), 1, 'pruning older entries keeps the memo');
  t.equal(log.walkCount, 1);

  const seq = log.append(21_000, 30); // total 180: now entries 0 and 20_000 must both leave
  t.equal(log.waitUntilTotalAtMost(60, 30_000), 50_000, 'append invalidates');
  t.equal(log.walkCount, 2);

  t.ok(log.reweigh(seq, 0)); // back to 150: entry 0 leaving is enough again
  t.equal(log.waitUntilTotalAtMost(60, 30_000), 30_000, 'reweigh invalidates');
  t.equal(log.walkCount, 3);

  t.ok(log.reweigh(seq, 0));
  t.equal(log.waitUntilTotalAtMost(60, 30_000), 30_000);
  t.equal(log.walkCount, 3, 'a reweigh to the same weight changes nothing');

  t.equal(log.waitUntilTotalAtMost(0, 30_000), 50_000, 'another target walks');
  t.equal(log.walkCount, 4);

  log.prune(60_000); // entry 0 leaves: total 50
  t.equal(log.waitUntilTotalAtMost(60, 60_000), 0, 'already at most the target');
  t.equal(log.waitUntilTotalAtMost(0, 60_000), 20_000, 'the memoised crossing is still exact after pruning');
  t.equal(log.walkCount, 4);
});
