/** The exact limit algorithms of backend local, driven by an injected clock. */
import t from 'tap';
import { LIMIT_WINDOW_MS as W, LimitStore, SlidingLog, type LimitScope } from '@gatewayd/shared/state';

function clockAt(start = 1_000_000): { now: () => number; set: (ms: number) => void; advance: (ms: number) => void } {
  let current = start;
  return { now: () => current, set: (ms) => (current = ms), advance: (ms) => (current += ms) };
}

t.test('rpm: a burst of N is admitted at once, N+1 is not, with an exact retry-after', async (t) => {
  const clock = clockAt(0);
  const store = new LimitStore(clock.now);
  const scopes: LimitScope[] = [{ id: 'key:a', rpm: 5 }];
  for (let i = 0; i < 5; i++) {
    const a = store.admit(scopes, 0, 1);
    t.ok(a.ok, `request ${i + 1} of the burst`);
    t.equal(a.ticket, null, 'rpm alone reserves nothing to settle');
    t.same(a.requests, { limit: 5, remaining: 4 - i, resetMs: W });
  }
  const rejected = store.admit(scopes, 0, 1);
  t.notOk(rejected.ok);
  t.same(rejected.violated, { scope: 'key:a', kind: 'rpm' });
  t.equal(rejected.retryAfterMs, W, 'the burst leaves the window exactly one window later');
  t.same(rejected.requests, { limit: 5, remaining: 0, resetMs: W });
});

t.test('rpm: window edges are exact (an entry at t occupies [t, t + 60 s))', async (t) => {
  const clock = clockAt(0);
  const store = new LimitStore(clock.now);
  const scopes: LimitScope[] = [{ id: 'global', rpm: 2 }];
  t.ok(store.admit(scopes, 0, 1).ok); // t = 0
  clock.set(10_000);
  t.ok(store.admit(scopes, 0, 1).ok); // t = 10 s
  clock.set(W - 1);
  const early = store.admit(scopes, 0, 1);
  t.notOk(early.ok, '1 ms before the first entry leaves');
  t.equal(early.retryAfterMs, 1);
  clock.set(W);
  t.ok(store.admit(scopes, 0, 1).ok, 'the moment it leaves');
  const next = store.admit(scopes, 0, 1);
  t.notOk(next.ok);
  t.equal(next.retryAfterMs, 10_000, 'then the 10 s entry is the one that must leave');
  clock.set(W + 10_000);
  t.ok(store.admit(scopes, 0, 1).ok);
});

t.test('rpm: no fixed-window double burst: never more than N in any 60 s window', async (t) => {
  const clock = clockAt(0);
  const store = new LimitStore(clock.now);
  const scopes: LimitScope[] = [{ id: 'global', rpm: 10 }];
  const admitted: number[] = [];
  // Offer a request every 250 ms for 5 minutes, in bursts and pauses.
  for (let ms = 0; ms < 5 * W; ms += 250) {
    clock.set(ms);
    const offers = ms % 15_000 === 0 ? 20 : 1;
    for (let i = 0; i < offers; i++) if (store.admit(scopes, 0, 1).ok) admitted.push(ms);
  }
  let worst = 0;
  for (let i = 0; i < admitted.length; i++) {
    let j = i;
    while (j < admitted.length && admitted[j]! < admitted[i]! + W) j++;
    worst = Math.max(worst, j - i);
  }
  t.equal(worst, 10, 'the busiest 60 s window holds exactly N');
  t.ok(admitted.length >= 50, `the limit is used, not starved (${admitted.length} admitted in 5 min)`);
});

t.test('tpm: a request that outlives the window pays what it used beyond its reservation, from its end', async (t) => {
  const clock = clockAt(0);
  const store = new LimitStore(clock.now);
  const scopes: LimitScope[] = [{ id: 'key:long', tpm: 10_000 }];
  const long = store.admit(scopes, 1_100, 1);
  t.ok(long.ok && long.ticket);
  clock.set(70_000); // a long stream: its reservation has left the window
  t.equal(store.admit(scopes, 0, 1).tokens?.remaining, 10_000, 'the reservation left the window');
  t.ok(store.settle(long.ticket!, 9_500));
  const after = store.admit(scopes, 0, 1);
  t.equal(after.tokens?.remaining, 10_000 - 8_400, 'the 8,400 tokens beyond the reservation count now');
  t.notOk(store.admit(scopes, 2_000, 1).ok, 'and bind');
  const short = store.admit([{ id: 'key:short', tpm: 10_000 }], 1_100, 1);
  clock.set(140_000);
  t.ok(store.settle(short.ticket!, 500));
  t.equal(store.admit([{ id: 'key:short', tpm: 10_000 }], 0, 1).tokens?.remaining, 10_000, 'using less than reserved adds nothing');
});

t.test('tpm: reservation, rejection with an exact wait, and in-place reconciliation', async (t) => {
  const clock = clockAt(0);
  const store = new LimitStore(clock.now);
  const scopes: LimitScope[] = [{ id: 'key:a', tpm: 1000 }];
  const first = store.admit(scopes, 600, 1);
  t.ok(first.ok);
  t.ok(first.ticket);
  t.same(first.tokens, { limit: 1000, remaining: 400, resetMs: W });
  clock.set(5_000);
  const second = store.admit(scopes, 300, 1);
  t.ok(second.ok);
  clock.set(6_000);
  const third = store.admit(scopes, 500, 1);
  t.notOk(third.ok, '900 reserved + 500 > 1000');
  t.same(third.violated, { scope: 'key:a', kind: 'tpm' });
  t.equal(third.retryAfterMs, W - 6_000, 'the 600-token entry must leave (at 60 s)');
  t.same(third.tokens, { limit: 1000, remaining: 100, resetMs: W + 5_000 - 6_000 });
  // The first request really used 100 tokens: its entry shrinks where it stands.
  t.ok(store.settle(first.ticket!, 100));
  t.notOk(store.settle(first.ticket!, 999), 'settle is idempotent: the second call changes nothing');
  const fourth = store.admit(scopes, 500, 1);
  t.ok(fourth.ok, '100 + 300 + 500 <= 1000 after reconciliation');
  t.equal(fourth.tokens?.remaining, 100);
  // Upward reconciliation is honest too: the window now holds more than the limit.
  t.ok(store.settle(second.ticket!, 700));
  const fifth = store.admit(scopes, 1, 1);
  t.notOk(fifth.ok);
  t.equal(fifth.retryAfterMs, W + 5_000 - 6_000, 'the 700-token entry (at 5 s) must leave first');
  clock.set(W + 5_000);
  t.ok(store.admit(scopes, 1, 1).ok);
});

t.test('tpm: a reservation above the whole budget goes when the window is empty', async (t) => {
  const clock = clockAt(0);
  const store = new LimitStore(clock.now);
  const scopes: LimitScope[] = [{ id: 'm', tpm: 100 }];
  const big = store.admit(scopes, 5_000, 1);
  t.ok(big.ok, 'an empty window admits it');
  clock.set(1);
  const next = store.admit(scopes, 1, 1);
  t.notOk(next.ok);
  t.equal(next.retryAfterMs, W - 1);
});

t.test('concurrency: slots with tickets, released by settle and by owner', async (t) => {
  const clock = clockAt();
  const store = new LimitStore(clock.now);
  const scopes: LimitScope[] = [{ id: 'key:a', concurrency: 2 }];
  const a = store.admit(scopes, 0, 7);
  const b = store.admit(scopes, 0, 8);
  t.ok(a.ok && b.ok && a.ticket && b.ticket);
  const c = store.admit(scopes, 0, 7);
  t.notOk(c.ok);
  t.same(c.violated, { scope: 'key:a', kind: 'concurrency' });
  t.ok(c.retryAfterMs > 0);
  store.settle(a.ticket!, 0);
  const d = store.admit(scopes, 0, 7);
  t.ok(d.ok, 'a settled slot is free again');
  t.equal(store.releaseOwner(8), 1, "owner 8's one slot is released");
  t.ok(store.admit(scopes, 0, 7).ok, "and owner 8's slot is usable by others");
  t.equal(store.releaseOwner(8), 0, 'a second release finds nothing');
  t.notOk(store.settle(b.ticket!, 0), 'a released ticket cannot be settled twice');
});

t.test('multi-scope admit is all or nothing', async (t) => {
  const clock = clockAt(0);
  const store = new LimitStore(clock.now);
  const key: LimitScope = { id: 'key:a', rpm: 100, tpm: 10_000, concurrency: 10 };
  const model: LimitScope = { id: 'model:demo', rpm: 1 };
  t.ok(store.admit([key, model], 500, 1).ok);
  const rejected = store.admit([key, model], 500, 1);
  t.notOk(rejected.ok);
  t.same(rejected.violated, { scope: 'model:demo', kind: 'rpm' });
  t.same(rejected.requests, { limit: 1, remaining: 0, resetMs: W }, 'the tightest requests window is the model one');
  // The key scope was not charged by the rejected request: 99 more fit under its rpm.
  let admitted = 0;
  for (let i = 0; i < 200; i++) if (store.admit([key], 0, 1).ok) admitted++;
  t.equal(admitted, 9, 'concurrency 10 minus the first request still in flight');
  const tokens = store.admit([{ id: 'key:a', tpm: 10_000 }], 0, 1);
  t.equal(tokens.tokens?.remaining, 9_500, 'only the admitted request reserved tokens');
});

t.test('the binding limit is the one with the longest wait; duplicate scope ids merge', async (t) => {
  const clock = clockAt(0);
  const store = new LimitStore(clock.now);
  t.ok(store.admit([{ id: 'a', rpm: 1 }], 0, 1).ok); // a is full until 60 s
  clock.set(30_000);
  t.ok(store.admit([{ id: 'b', rpm: 1 }], 0, 1).ok); // b is full until 90 s
  const both = store.admit([{ id: 'a', rpm: 1 }, { id: 'b', rpm: 1 }], 0, 1);
  t.same(both.violated, { scope: 'b', kind: 'rpm' });
  t.equal(both.retryAfterMs, W);
  clock.set(31_000);
  const dup = store.admit([{ id: 'c', rpm: 5 }, { id: 'c', rpm: 1 }], 0, 1);
  t.ok(dup.ok);
  t.same(dup.requests, { limit: 1, remaining: 0, resetMs: W }, 'the smaller limit of a repeated id wins, counted once');
});

t.test('idle scopes are forgotten; the log compacts and keeps sequence numbers', async (t) => {
  const clock = clockAt(0);
  const store = new LimitStore(clock.now);
  store.admit([{ id: 'x', rpm: 5 }], 0, 1);
  t.equal(store.size.scopes, 1);
  clock.set(W);
  store.sweep();
  t.equal(store.size.scopes, 0);

  const log = new SlidingLog(1000);
  const seqs: number[] = [];
  for (let i = 0; i < 500; i++) seqs.push(log.append(i, 1));
  log.prune(1400); // entries 0..400 leave
  t.equal(log.count, 99);
  t.ok(log.reweigh(seqs[450]!, 5));
  t.notOk(log.reweigh(seqs[10]!, 5), 'an entry that left cannot be reweighed');
  t.equal(log.total, 98 + 5);
  t.equal(log.waitUntilTotalAtMost(0, 1400), 499 + 1000 - 1400);
});
