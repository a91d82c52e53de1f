/** Circuit breaker transitions, alone and as seen through Router.plan / snapshot. */
import t from 'tap';
import { CircuitBreaker } from '../../src/routing/breaker.js';
import { Router } from '../../src/routing/index.js';
import { config, failure, fakeClock } from './fixtures/index.js';

t.test('closed -> open at the threshold -> half-open after the cooldown -> closed on success', async (t) => {
  const b = new CircuitBreaker(3, 1000);
  let now = 0;
  t.equal(b.state(now), 'closed');
  b.onFailure(now);
  b.onFailure(now);
  t.equal(b.state(now), 'closed', 'below the threshold');
  t.equal(b.acquire(now), 'pass');
  b.onSuccess(now);
  b.onFailure(now);
  b.onFailure(now);
  t.equal(b.state(now), 'closed', 'a success resets the count: failures must be consecutive');
  b.onFailure(now);
  t.equal(b.state(now), 'open');
  t.equal(b.retryAt(now), 1000);
  t.equal(b.acquire(now), false);
  now = 999;
  t.equal(b.admits(now), false, 'still open just before the cooldown ends');
  now = 1000;
  t.equal(b.state(now), 'half_open');
  t.equal(b.retryAt(now), undefined);
  t.equal(b.admits(now), true);
  t.equal(b.acquire(now), 'probe', 'one probe');
  t.equal(b.admits(now), false, 'no second caller while the probe is in flight');
  t.equal(b.acquire(now), false);
  t.equal(b.retryAt(now), 2000, 'refused while the probe is out: ask again in a second');
  b.onSuccess(now);
  t.equal(b.state(now), 'closed');
  t.equal(b.consecutiveFailures, 0);
});

t.test('half-open probe failure re-opens for a full cooldown; release gives the slot back', async (t) => {
  const b = new CircuitBreaker(1, 500);
  b.onFailure(0);
  t.equal(b.state(0), 'open');
  t.equal(b.acquire(500), 'probe');
  b.releaseProbe();
  t.equal(b.state(500), 'half_open', 'a released probe leaves it half-open');
  t.equal(b.acquire(500), 'probe', 'and another probe may go');
  b.onFailure(600, 500, true);
  t.equal(b.state(600), 'open');
  t.equal(b.state(1099), 'open', 'the cooldown restarts from the failed probe');
  t.equal(b.state(1100), 'half_open');
  t.equal(b.acquire(1100), 'probe');
  b.onFailure(1150, 1100, true);
  b.onFailure(1200, 0);
  t.equal(b.retryAt(1200), 1650, 'a late failure while open does not extend the cooldown');
});

t.test('failures of requests admitted before the breaker last changed are not counted', async (t) => {
  const b = new CircuitBreaker(2, 1000);
  b.onFailure(100, 10);
  b.onFailure(110, 20);
  t.equal(b.state(110), 'open', 'opened at 110');
  t.equal(b.acquire(1110), 'probe');
  b.onFailure(1200, 30);
  t.same([b.state(1200), b.admits(1200), b.acquire(1200)], ['half_open', false, false], 'a timeout from before the outage neither re-opens it nor frees the running probe\'s slot');
  b.onSuccess(1300);
  t.equal(b.state(1300), 'closed', 'the probe succeeded');
  b.onFailure(1400, 40);
  b.onFailure(1500, 50);
  b.onFailure(1600, 60);
  t.same([b.state(1600), b.consecutiveFailures], ['closed', 0], 'stale timeouts arriving after the recovery do not re-open it');
  b.onFailure(1700, 1350);
  b.onFailure(1800, 1360);
  t.equal(b.state(1800), 'open', 'failures of requests admitted after the recovery count');
});

const yaml = `
routing: { breaker_threshold: 2, breaker_cooldown: 10s }
models:
  - { name: m, targets: [{ provider: p1, model: a }, { provider: p2, model: b }] }
`;

t.test('plan skips open targets; a half-open target allows exactly one probe through execute', async (t) => {
  const clock = fakeClock();
  const router = new Router(config(yaml), clock);
  const model = router.resolve('m');
  if (!model) throw new Error('no model');
  const [a, b] = model.targets as [never, never];
  router.recordFailure(a, failure('server_error', { status: 500 }));
  t.strictSame(router.plan(model).map((x) => x.id), ['p1/a', 'p2/b'], 'one failure: still closed');
  router.recordFailure(a, failure('server_error', { status: 502 }));
  t.strictSame(router.plan(model).map((x) => x.id), ['p2/b'], 'open target skipped');
  const health = router.snapshot().find((h) => h.id === 'p1/a');
  t.equal(health?.breaker, 'open');
  t.equal(health?.consecutiveFailures, 2);
  t.equal(health?.retryAt, clock.t + 10_000);
  t.strictSame(health?.lastError && { kind: health.lastError.kind, status: health.lastError.status, code: health.lastError.code }, { kind: 'server_error', status: 502, code: 'GW_ERR_UPSTREAM_ERROR' });

  clock.advance(10_000);
  t.strictSame(router.plan(model).map((x) => x.id), ['p1/a', 'p2/b'], 'half-open: back in the plan');
  // The first request takes the probe and holds it; a concurrent request must not probe a too.
  let releaseProbe!: () => void;
  const probeSeen: string[] = [];
  const first = router.execute(model, (target) => {
    probeSeen.push(target.id);
    return new Promise((resolve) => (releaseProbe = () => resolve({ ok: true })));
  });
  await new Promise((r) => setImmediate(r));
  t.strictSame(probeSeen, ['p1/a']);
  t.strictSame(router.plan(model).map((x) => x.id), ['p2/b'], 'probe in flight: a left out of new plans');
  const secondSeen: string[] = [];
  const second = await router.execute(model, async (target) => {
    secondSeen.push(target.id);
    return { ok: true };
  });
  t.ok(second.ok);
  t.strictSame(secondSeen, ['p2/b'], 'the concurrent request went to b only');
  releaseProbe();
  t.ok((await first).ok);
  t.equal(router.snapshot().find((h) => h.id === 'p1/a')?.breaker, 'closed', 'the probe succeeded: closed');
});

t.test('all breakers open: plan returns the target that half-opens first; execute answers 503 without calling it', async (t) => {
  const clock = fakeClock();
  const router = new Router(config(yaml), clock);
  const model = router.resolve('m');
  if (!model) throw new Error('no model');
  const [a, b] = model.targets as [never, never];
  router.recordFailure(b, failure('connect'));
  router.recordFailure(b, failure('connect'));
  clock.advance(1000);
  router.recordFailure(a, failure('timeout'));
  router.recordFailure(a, failure('timeout'));
  t.strictSame(router.plan(model).map((x) => x.id), ['p2/b'], 'b opened first, so it half-opens first');
  let calls = 0;
  const result = await router.execute(model, async () => {
    calls++;
    return { ok: true };
  });
  t.equal(calls, 0);
  t.equal(result.ok, false);
  if (!result.ok) {
    t.equal(result.failure.error.code, 'GW_ERR_UPSTREAM_UNAVAILABLE');
    t.equal(result.failure.error.status, 503);
    t.equal(result.failure.error.headers['retry-after'], '9', 'seconds until b half-opens');
  }
  clock.advance(9000);
  const probed = await router.execute(model, async (target) => (target.id === 'p2/b' ? { ok: true } : { ok: false, failure: failure('timeout') }));
  t.ok(probed.ok, 'after the cooldown b is probed and closes');
  t.strictSame(router.plan(model).map((x) => x.id), ['p2/b'], 'a is still open');
});

t.test('outcomes that say nothing of the upstream leave the breaker alone and give a probe slot back', async (t) => {
  const clock = fakeClock();
  const router = new Router(config(yaml.replace('breaker_threshold: 2', 'breaker_threshold: 1').replace('{ provider: p2, model: b }', '')), clock);
  const model = router.resolve('m');
  if (!model) throw new Error('no model');
  const [a] = model.targets as [never];
  const state = () => router.snapshot().find((h) => h.id === 'p1/a');
  router.recordFailure(a, failure('server_error', { status: 500 }));
  clock.advance(10_000);
  t.equal(state()?.breaker, 'half_open');

  // The probe meets this worker's own full connection pool: no upstream call, no verdict.
  await router.execute(model, async () => ({ ok: false, failure: failure('timeout', { local: true }) }));
  t.equal(state()?.breaker, 'half_open');
  t.strictSame(router.plan(model).map((x) => x.id), ['p1/a'], 'the probe slot is free again (it used to stay taken for good)');

  // count_tokens answered by the gateway's own estimate: not a success of the upstream.
  const local = await router.execute(model, async () => ({ ok: true, local: true }));
  t.ok(local.ok);
  t.same([state()?.breaker, state()?.successes], ['half_open', 0], 'not closed by an answer the upstream never gave');

  // A 429 on a caller's own provider key: that tenant's quota, not the target's health.
  await router.execute(model, async () => ({ ok: false, failure: failure('rate_limited', { status: 429, clientKey: true }) }));
  t.same([state()?.breaker, state()?.failures], ['half_open', 1], 'not re-opened, not counted');
  const probe = await router.execute(model, async () => ({ ok: true }));
  t.ok(probe.ok);
  t.equal(state()?.breaker, 'closed', 'a real answer still closes it');

  const refused = new CircuitBreaker(1, 30_000);
  refused.onFailure(0);
  t.equal(refused.acquire(30_000), 'probe');
  t.equal(refused.retryAt(30_000), 31_000, 'a request refused while the probe is out is told to come back in a second');
});
