/**
 * Router.execute: failover, retries with backoff and retry-after, non-retryable stops, breaker
 * recording, abort. Waits are real timers with delays of a few milliseconds; a spy on the global
 * setTimeout/clearTimeout records the delays execute() asks for, so they are asserted exactly.
 */
import t, { type Test } from 'tap';
import { GatewayError } from '@gatewayd/shared/errors';
import { Cancellation, Router, type AttemptResult, type RouteTarget } from '../../src/routing/index.js';
import { config, failure, fakeClock, type FakeClock } from './fixtures/index.js';

type Step = AttemptResult | 'hang' | Error;

/** Routing settings sized for tests: waits of a few ms. */
function setup(models: string, routing = '{ retries: 2, backoff_initial: 4ms, backoff_max: 10ms, retry_after_max: 50ms }', clock: FakeClock = fakeClock(0.5)) {
  const router = new Router(config(`routing: ${routing}\nmodels:\n${models}`), clock);
  const model = router.resolve('m');
  if (!model) throw new Error('model m did not resolve');
  return { router, model, clock };
}

/** An attempt function that plays one scripted step per call, per target id, and logs calls. */
function scripted(steps: Record<string, Step[]>) {
  const calls: Array<[string, number]> = [];
  const attempt = (target: RouteTarget, attemptNo: number): Promise<AttemptResult> => {
    calls.push([target.id, attemptNo]);
    const step = steps[target.id]?.shift() ?? { ok: true };
    if (step === 'hang') return new Promise<AttemptResult>(() => undefined);
    if (step instanceof Error) return Promise.reject(step);
    return Promise.resolve(step);
  };
  return { calls, attempt };
}

const fail = (...args: Parameters<typeof failure>): AttemptResult => ({ ok: false, failure: failure(...args) });

/** Records the delays of timers set (and cleared) during a test; real timers still run. */
function spyTimers(t: Test) {
  const set: number[] = [];
  let cleared = 0;
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    set.push(ms ?? 0);
    return realSet(fn, ms);
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((handle?: Parameters<typeof clearTimeout>[0]) => {
    cleared++;
    realClear(handle);
  }) as typeof clearTimeout;
  t.teardown(() => {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
  });
  return { set, cleared: () => cleared };
}

const TWO = '  - { name: m, targets: [{ provider: p1, model: a }, { provider: p2, model: b }] }';
const THREE = '  - { name: m, targets: [{ provider: p1, model: a }, { provider: p2, model: b }, { provider: p3, model: c }] }';
const ONE = '  - { name: m, targets: [{ provider: p1, model: a }] }';

t.test('fails over to the next target on 500, 429 and connect errors, without waiting', async (t) => {
  const timers = spyTimers(t);
  const { router, model } = setup(THREE, '{ retries: 3 }');
  const { calls, attempt } = scripted({ 'p1/a': [fail('server_error', { status: 500 })], 'p2/b': [fail('rate_limited', { status: 429 })], 'p3/c': [fail('connect')] });
  const result = await router.execute(model, attempt);
  t.ok(result.ok, 'the 4th attempt, back on a, succeeded');
  t.strictSame(calls, [['p1/a', 0], ['p2/b', 1], ['p3/c', 2], ['p1/a', 3]]);
  t.equal(timers.set.length, 1, 'one wait: before re-trying a');
  const health = Object.fromEntries(router.snapshot().map((h) => [h.id, h]));
  t.equal(health['p1/a']?.failures, 1);
  t.equal(health['p1/a']?.successes, 1);
  t.equal(health['p1/a']?.consecutiveFailures, 0, 'success reset it');
  t.equal(health['p2/b']?.lastError?.kind, 'rate_limited');
  t.equal(health['p3/c']?.lastError?.kind, 'connect');
});

t.test('total attempts = 1 + retries; the last failure is returned', async (t) => {
  const { router, model } = setup(TWO, '{ retries: 2, backoff_initial: 1ms, backoff_max: 2ms }');
  const { calls, attempt } = scripted({ 'p1/a': [fail('server_error', { status: 500 }), fail('timeout')], 'p2/b': [fail('reset')] });
  const result = await router.execute(model, attempt);
  t.strictSame(calls.map(([id]) => id), ['p1/a', 'p2/b', 'p1/a']);
  t.equal(result.ok, false);
  if (!result.ok) t.equal(result.failure.kind, 'timeout');
});

t.test('backoff before re-trying a target: exponential, full jitter, capped at backoff_max', async (t) => {
  const timers = spyTimers(t);
  // random() = 0.999…: each wait is just under its cap: 4, 8, 10 (cap), 10 ms -> floor gives 3, 7, 9, 9.
  const { router, model } = setup(ONE, '{ retries: 4, backoff_initial: 4ms, backoff_max: 10ms }', fakeClock(0.999999));
  const { calls, attempt } = scripted({ 'p1/a': [1, 2, 3, 4, 5].map(() => fail('server_error', { status: 503 })) });
  const result = await router.execute(model, attempt);
  t.equal(result.ok, false);
  t.equal(calls.length, 5);
  t.strictSame(timers.set, [3, 7, 9, 9]);
  const zero = setup(ONE, '{ retries: 2, backoff_initial: 4ms, backoff_max: 10ms }', fakeClock(0));
  timers.set.length = 0;
  await zero.router.execute(zero.model, scripted({ 'p1/a': [fail('connect'), fail('connect')] }).attempt);
  t.strictSame(timers.set, [], 'a zero jitter draw sets no timer at all');
});

t.test('retry-after up to retry_after_max is honoured exactly before re-trying that target', async (t) => {
  const timers = spyTimers(t);
  const { router, model } = setup(ONE);
  const { calls, attempt } = scripted({ 'p1/a': [fail('rate_limited', { status: 429, retryAfterMs: 30 })] });
  const started = performance.now();
  const result = await router.execute(model, attempt);
  t.ok(result.ok);
  t.equal(calls.length, 2);
  t.strictSame(timers.set, [30], 'waited the retry-after, not the backoff');
  t.ok(performance.now() - started >= 29, 'and really waited');
});

t.test('retry-after within the max does not delay an untried target', async (t) => {
  const timers = spyTimers(t);
  const { router, model } = setup(TWO);
  const { calls, attempt } = scripted({ 'p1/a': [fail('rate_limited', { status: 429, retryAfterMs: 40 })] });
  t.ok((await router.execute(model, attempt)).ok);
  t.strictSame(calls.map(([id]) => id), ['p1/a', 'p2/b']);
  t.strictSame(timers.set, []);
});

t.test('retry-after beyond retry_after_max: skip to a target not rate-limited, or give up', async (t) => {
  const timers = spyTimers(t);
  const two = setup(TWO, '{ retries: 3, backoff_initial: 4ms, backoff_max: 10ms, retry_after_max: 50ms }');
  const run = scripted({ 'p1/a': [fail('rate_limited', { status: 429, retryAfterMs: 5000 })], 'p2/b': [fail('server_error', { status: 500 })] });
  t.ok((await two.router.execute(two.model, run.attempt)).ok);
  t.strictSame(run.calls.map(([id]) => id), ['p1/a', 'p2/b', 'p2/b'], 'a is never re-tried in this request');
  t.strictSame(timers.set, [2], 'only b’s backoff (jitter 0.5 of 4 ms)');

  timers.set.length = 0;
  const one = setup(ONE, '{ retries: 3, retry_after_max: 50ms }');
  const solo = scripted({ 'p1/a': [fail('rate_limited', { status: 429, retryAfterMs: 5000 })] });
  const result = await one.router.execute(one.model, solo.attempt);
  t.equal(solo.calls.length, 1, 'no target left: gave up after one attempt');
  t.strictSame(timers.set, [], 'without waiting');
  t.equal(result.ok, false);
  if (!result.ok) t.equal(result.failure.retryAfterMs, 5000, 'the caller gets the upstream failure');
});

t.test('a failure of the gateway’s own pool (local) fails over but is not held against the target', async (t) => {
  const { router, model } = setup(TWO);
  const client = scripted({ 'p1/a': [fail('timeout', { local: true })] });
  t.ok((await router.execute(model, client.attempt)).ok);
  t.strictSame(client.calls.map(([id]) => id), ['p1/a', 'p2/b'], 'the next target served it');
  t.equal(router.snapshot().find((h) => h.id === 'p1/a')?.failures, 0, 'no failure recorded for p1/a');
  const upstream = scripted({ 'p1/a': [fail('timeout')] });
  t.ok((await router.execute(model, upstream.attempt)).ok);
  t.equal(router.snapshot().find((h) => h.id === 'p1/a')?.failures, 1, 'an upstream timeout is');
});

t.test('non-retryable: auth failure with the client’s own key, and a throw', async (t) => {
  const { router, model } = setup(TWO);
  const client = scripted({ 'p1/a': [fail('auth', { status: 401, clientKey: true })] });
  const result = await router.execute(model, client.attempt);
  t.equal(client.calls.length, 1, 'stopped at once');
  t.equal(result.ok === false && result.failure.status, 401);
  t.equal(router.snapshot().find((h) => h.id === 'p1/a')?.failures, 0, 'a client’s bad key is not held against the target');

  const configured = scripted({ 'p1/a': [fail('auth', { status: 401 })] });
  t.ok((await router.execute(model, configured.attempt)).ok);
  t.strictSame(configured.calls.map(([id]) => id), ['p1/a', 'p2/b'], 'a configured key failing is retried elsewhere');
  t.equal(router.snapshot().find((h) => h.id === 'p1/a')?.failures, 1, 'and recorded');

  const thrown = new GatewayError('GW_ERR_BAD_REQUEST', 'upstream said 400');
  const throwing = scripted({ 'p1/a': [thrown] });
  await t.rejects(router.execute(model, throwing.attempt), thrown);
  t.equal(throwing.calls.length, 1);
  const sync = await router
    .execute(model, () => {
      throw new Error('sync bug');
    })
    .catch((error: Error) => error.message);
  t.equal(sync, 'sync bug', 'a synchronous throw is re-thrown too');
});

t.test('every failure counts on the breaker: an opened breaker ends the request early', async (t) => {
  const { router, model } = setup(ONE, '{ retries: 5, backoff_initial: 1ms, backoff_max: 1ms, breaker_threshold: 2 }');
  const { calls, attempt } = scripted({ 'p1/a': [1, 2, 3, 4, 5, 6].map(() => fail('server_error', { status: 500 })) });
  const result = await router.execute(model, attempt);
  t.equal(calls.length, 2, 'the breaker opened after the 2nd failure; no 3rd attempt');
  t.equal(result.ok === false && result.failure.status, 500, 'the last upstream failure, not a 503');
  t.equal(router.snapshot()[0]?.breaker, 'open');
});

t.test('success latency feeds the EWMA (clock time from attempt start to result)', async (t) => {
  const { router, model, clock } = setup(ONE);
  await router.execute(model, async () => {
    clock.advance(42);
    return { ok: true };
  });
  t.equal(router.snapshot()[0]?.latencyMs, 42);
});

t.test('abort during a wait resolves at once and clears the timer', async (t) => {
  const timers = spyTimers(t);
  const { router, model } = setup(ONE, '{ retries: 2, retry_after_max: 60s }');
  const { calls, attempt } = scripted({ 'p1/a': [fail('rate_limited', { status: 429, retryAfterMs: 30_000 })] });
  const controller = new Cancellation();
  const started = performance.now();
  const pending = router.execute(model, attempt, controller);
  await new Promise((r) => setImmediate(r));
  t.strictSame(timers.set, [30_000], 'waiting the 30 s retry-after');
  const clearedBefore = timers.cleared();
  controller.cancel();
  const result = await pending;
  t.ok(performance.now() - started < 10_000, 'resolved long before the wait would end');
  t.equal(timers.cleared(), clearedBefore + 1, 'the wait timer was cleared');
  t.equal(calls.length, 1, 'no attempt after the abort');
  t.equal(result.ok, false);
  if (!result.ok) t.equal(result.failure.error.code, 'GW_ERR_UPSTREAM_ERROR');
});

t.test('abort during an attempt resolves at once, records nothing and frees a half-open probe', async (t) => {
  const { router, model, clock } = setup(ONE, '{ retries: 2, breaker_threshold: 1, breaker_cooldown: 1s }');
  router.recordFailure(model.targets[0] as RouteTarget, failure('connect'));
  clock.advance(1000);
  const controller = new Cancellation();
  const { calls, attempt } = scripted({ 'p1/a': ['hang'] });
  const pending = router.execute(model, attempt, controller);
  await new Promise((r) => setImmediate(r));
  t.equal(calls.length, 1, 'the probe is in flight');
  t.strictSame(router.plan(model).map((x) => x.id), ['p1/a'], 'plan is never empty');
  controller.cancel();
  const result = await pending;
  t.equal(result.ok, false);
  const health = router.snapshot()[0];
  t.equal(health?.failures, 1, 'the aborted attempt was not recorded');
  t.equal(health?.breaker, 'half_open');
  const next = scripted({});
  t.ok((await router.execute(model, next.attempt)).ok, 'the probe slot was given back: the next request probes');
  t.equal(next.calls.length, 1);

  const already = new Cancellation();
  already.cancel();
  const none = scripted({});
  t.equal((await router.execute(model, none.attempt, already)).ok, false);
  t.equal(none.calls.length, 0, 'an aborted signal starts nothing');
});

t.test('a target that cannot express the request is skipped without using an attempt, and never hides an upstream failure', async (t) => {
  const models = '  - { name: m, targets: [{ provider: p1, model: a }, { provider: p2, model: b }] }';
  const unsupported = (): AttemptResult => ({ ok: false, failure: { ...failure('server_error'), local: true, unsupported: true, error: new GatewayError('GW_ERR_BAD_REQUEST', 'n > 1 is not supported by Anthropic models') } });

  const first = setup(models, '{ retries: 0 }');
  const served = scripted({ 'p1/a': [unsupported()], 'p2/b': [{ ok: true }] });
  t.ok((await first.router.execute(first.model, served.attempt)).ok, 'with no retries left, the next target still serves it');
  t.same(served.calls.map(([id]) => id), ['p1/a', 'p2/b']);

  const second = setup(models, '{ retries: 1 }');
  const hidden = scripted({ 'p1/a': [fail('server_error', { status: 503 }), fail('server_error', { status: 503 })], 'p2/b': [unsupported()] });
  const result = await second.router.execute(second.model, hidden.attempt);
  t.equal(result.ok, false);
  if (!result.ok) t.equal(result.failure.status, 503, "the caller gets the upstream's failure, not a 400 for a request another target could take");
  t.same(second.router.snapshot().find((h) => h.id === 'p2/b')?.failures ?? 0, 0, 'nothing recorded against the target that was not asked');

  const only = setup('  - { name: m, targets: [{ provider: p1, model: a }] }', '{ retries: 2 }');
  const alone = scripted({ 'p1/a': [unsupported(), unsupported(), unsupported()] });
  const refused = await only.router.execute(only.model, alone.attempt);
  t.equal(alone.calls.length, 1, 'tried once: it cannot change its mind');
  if (!refused.ok) t.equal(refused.failure.error.code, 'GW_ERR_BAD_REQUEST', 'the only target: the 400');
});

t.test('refused while the half-open probe is out: retry-after 1, however the clock moves between reads', async (t) => {
  // Every read of this clock is 0.3 ms later than the one before it.
  const ticking = { ...fakeClock(0.5), now(this: FakeClock) { this.t += 0.3; return this.t; } } as FakeClock;
  const { router, model, clock } = setup(ONE, '{ retries: 0, breaker_threshold: 1, breaker_cooldown: 1s }', ticking);
  router.recordFailure(model.targets[0] as RouteTarget, failure('connect'));
  clock.advance(1000);
  const probe = scripted({ 'p1/a': ['hang'] });
  void router.execute(model, probe.attempt);
  await new Promise((r) => setImmediate(r));
  t.equal(probe.calls.length, 1, 'the probe is out');
  const refused = await router.execute(model, scripted({}).attempt);
  t.equal(refused.ok, false);
  if (!refused.ok) {
    t.equal(refused.failure.error.code, 'GW_ERR_UPSTREAM_UNAVAILABLE');
    t.equal(refused.failure.error.headers['retry-after'], '1');
  }
});
