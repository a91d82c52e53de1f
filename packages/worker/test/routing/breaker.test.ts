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
  b.onSuccess();
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
  b.onSuccess();
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
  b.onFailure(600);
  t.equal(b.state(600), 'open');
  t.equal(b.state(1099), 'open', 'the cooldown restarts from the failed probe');
  t.equal(b.state(1100), 'half_open');
  b.onFailure(1100);
  b.onFailure(1200);
  t.equal(b.retryAt(1200), 1600, 'a late failure while open does not extend the cooldown');
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

t.test('all breakers open: plan returns the least recently failed target; execute answers 503 without calling it', async (t) => {
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
  t.strictSame(router.plan(model).map((x) => x.id), ['p2/b'], 'b failed longest ago');
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
