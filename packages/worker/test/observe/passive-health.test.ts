/**
 * PassiveHealth as the router's outcome listener, with a real Router and a settable clock: a
 * failure is degraded until it leaves every target of its provider with an open breaker. The
 * router tells the listener after its breaker took the outcome in, so the failure that reaches the
 * threshold (or fails a half-open probe) is seen with its breaker already open, and a stream's late
 * failure, recorded once, counts once.
 */
import t from 'tap';
import { MetricsRecorder } from '../../src/metrics/index.js';
import { PassiveHealth } from '../../src/observe/passive-health.js';
import { Router, type AttemptResult, type ResolvedModel } from '../../src/routing/index.js';
import { config, failure, fakeClock } from '../routing/fixtures/index.js';

const THRESHOLD = 3;
const COOLDOWN_MS = 1_000;
const FAILED: AttemptResult = { ok: false, failure: failure('server_error', { status: 500 }) };

/** `targets`: the provider's models, one gateway model `m-<name>` each. */
function setup(targets: string[] = ['a', 'b']) {
  const clock = fakeClock(0.5);
  const router = new Router(
    config(`
routing: { retries: 0, breaker_threshold: ${THRESHOLD}, breaker_cooldown: ${COOLDOWN_MS}ms }
providers:
  - { name: p, type: openai, base_url: "http://127.0.0.1:1/v1", api_keys: [k] }
models:
${targets.map((name) => `  - { name: m-${name}, targets: [{ provider: p, model: ${name} }] }`).join('\n')}
`),
    clock,
  );
  const recorder = new MetricsRecorder(() => 1);
  recorder.configure({ providers: [{ name: 'p' }], models: [], auth: { keys: [] } } as unknown as Parameters<MetricsRecorder['configure']>[0]);
  router.onOutcome(new PassiveHealth(recorder, router));
  const model = (name: string) => router.resolve(name) as ResolvedModel;
  /** n requests to `name` whose one attempt each ends with `result`. */
  const run = async (name: string, n: number, result: AttemptResult = FAILED) => {
    for (let i = 0; i < n; i++) await router.execute(model(name), async () => result);
  };
  return { router, clock, run, model, state: () => recorder.providerHealth().find((p) => p.provider === 'p')?.state };
}

t.test('the failure that opens the last closed breaker makes the provider down', async (t) => {
  const below = setup(['a']);
  await below.run('m-a', THRESHOLD - 1);
  t.equal(below.state(), 'degraded', '2 of 3 failures: degraded');

  const opening = setup(['a']);
  await opening.run('m-a', THRESHOLD);
  t.equal(opening.state(), 'down', 'the third failure opens it: down');

  const late = setup(['a']);
  await late.run('m-a', THRESHOLD - 2);
  late.router.recordFailure(late.model('m-a').targets[0]!, failure('reset')); // a stream's late failure
  t.equal(late.state(), 'degraded', 'a late stream failure is recorded, and counted, once');
});

t.test('a failed half-open probe is down; another target still closed keeps it degraded', async (t) => {
  const probe = setup();
  await probe.run('m-a', THRESHOLD);
  await probe.run('m-b', THRESHOLD);
  probe.clock.advance(COOLDOWN_MS);
  await probe.run('m-a', 1, { ok: true });
  t.equal(probe.state(), 'healthy', 'the half-open probe of a succeeded');
  await probe.run('m-b', 1); // b's probe fails; a is closed again
  t.equal(probe.state(), 'degraded', 'a serves again');
  await probe.run('m-a', THRESHOLD);
  t.equal(probe.state(), 'down', 'a re-opened and b failed its probe');

  const other = setup();
  await other.run('m-a', THRESHOLD);
  t.equal(other.state(), 'degraded', 'p/b still serves');

  const both = setup();
  await both.run('m-a', THRESHOLD);
  await both.run('m-b', THRESHOLD);
  t.equal(both.state(), 'down', 'the last target of the provider opens');
});

t.test('a caller refused for its own key says nothing about the provider', async (t) => {
  const { run, state } = setup();
  await run('m-a', THRESHOLD, { ok: false, failure: failure('auth', { status: 401, clientKey: true }) });
  t.equal(state(), 'unknown');
});
