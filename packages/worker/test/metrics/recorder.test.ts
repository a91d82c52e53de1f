/** The worker-side recorder: label bounds, deltas, zeroing, histogram placement, provider health. */
import t from 'tap';
import { LATENCY_BUCKETS_SECONDS, OVERHEAD_BUCKETS_SECONDS, type MetricsReportMessage } from '@gatewayd/shared';
import { MetricsRecorder, type RequestRecord } from '../../src/metrics/index.js';
import { ProcessSampler } from '../../src/metrics/process-sampler.js';

const config = {
  providers: [{ name: 'openai' }, { name: 'local' }],
  models: [
    { name: 'gpt-4o-mini', aliases: ['mini'] },
    { name: 'demo', aliases: [] },
  ],
  auth: { keys: [{ name: 'team-a' }] },
} as unknown as Parameters<MetricsRecorder['configure']>[0];

const STATS = { inFlight: 1, activeStreams: 0, requestsTotal: 5, draining: false };

function record(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    provider: 'openai',
    model: 'gpt-4o-mini',
    status: 200,
    keyName: 'team-a',
    durationMs: 300,
    upstreamMs: 299,
    ttftMs: null,
    promptTokens: 100,
    completionTokens: 20,
    cachedTokens: 40,
    costUsd: 0.002,
    cache: 'miss',
    stream: false,
    ...overrides,
  };
}

function setup(t: { teardown(fn: () => unknown): void }): { recorder: MetricsRecorder; take: (final?: boolean) => MetricsReportMessage } {
  const recorder = new MetricsRecorder(() => 1_700_000_000_000);
  recorder.configure(config);
  const sampler = new ProcessSampler();
  t.teardown(() => sampler.stop());
  return { recorder, take: (final = false) => recorder.takeReport(final, STATS, sampler) };
}

t.test('requests accumulate per (provider, model) and per key, then the report zeroes them', async (t) => {
  const { recorder, take } = setup(t);
  recorder.recordRequest(record());
  recorder.recordRequest(record({ status: 429, completionTokens: 0, costUsd: 0, cache: 'hit' }));
  recorder.recordRequest(record({ model: 'mini', stream: true, ttftMs: 120, status: 200 }));
  const report = take();
  t.equal(report.type, 'metrics');
  t.equal(report.seq, 1);
  t.equal(report.final, false);
  t.same(report.stats, STATS);
  t.equal(report.models.length, 1, 'the alias folds into its model');
  const m = report.models[0]!;
  t.match(m, { provider: 'openai', model: 'gpt-4o-mini', promptTokens: 300, completionTokens: 40, cachedTokens: 120, cacheHits: 1, cacheMisses: 2 });
  t.equal(m.costUsd, 0.004);
  t.same(new Map(m.statuses), new Map([[200, 2], [429, 1]]));
  t.equal(m.duration.count, 3);
  t.equal(m.duration.buckets.length, LATENCY_BUCKETS_SECONDS.length + 1);
  t.equal(m.duration.buckets[LATENCY_BUCKETS_SECONDS.indexOf(0.5)], 3, '0.3 s lands in the (0.25, 0.5] bucket');
  t.equal(m.ttft.count, 1, 'time to first token: streams only');
  t.equal(m.ttft.buckets[LATENCY_BUCKETS_SECONDS.indexOf(0.25)], 1, '0.12 s lands in (0.1, 0.25]');
  t.same(report.keys, [{ key: 'team-a', requests: 3, errors: 1, promptTokens: 300, completionTokens: 40, cachedTokens: 120, costUsd: 0.004, cacheHits: 1, cacheMisses: 2 }]);
  t.equal(report.overhead?.count, 3);
  t.equal(report.overhead?.buckets[OVERHEAD_BUCKETS_SECONDS.indexOf(0.001)], 3, '1 ms of overhead lands in (0.5 ms, 1 ms]');

  const next = take(true);
  t.equal(next.seq, 2, 'sequence numbers count up');
  t.equal(next.final, true);
  t.same(next.models, [], 'nothing since the previous report');
  t.same(next.keys, []);
  t.equal(next.overhead, null);
});

t.test('fast answers (cache hits, rejections) resolve below 50 ms; long generations still fit', async (t) => {
  const { recorder, take } = setup(t);
  const at = (bound: number) => LATENCY_BUCKETS_SECONDS.indexOf(bound);
  for (const ms of [3, 8, 20, 40]) recorder.recordRequest(record({ durationMs: ms, upstreamMs: null, cache: 'hit', stream: true, ttftMs: ms }));
  recorder.recordRequest(record({ durationMs: 500_000 }));
  const { duration, ttft } = take().models[0]!;
  t.equal(duration.buckets[at(0.005)], 1, '3 ms: (0, 5 ms]');
  t.equal(duration.buckets[at(0.01)], 1, '8 ms: (5 ms, 10 ms]');
  t.equal(duration.buckets[at(0.025)], 1, '20 ms: (10 ms, 25 ms]');
  t.equal(duration.buckets[at(0.05)], 1, '40 ms: (25 ms, 50 ms]');
  t.equal(duration.buckets[at(600)], 1, '500 s: (300 s, 600 s]');
  t.equal(duration.buckets[LATENCY_BUCKETS_SECONDS.length], 0, 'nothing above the last bound');
  t.same(ttft.buckets.slice(0, 4), [1, 1, 1, 1], 'time to first token: the same bounds');
});

t.test('labels stay bounded: unknown names fold into other, missing ones into none', async (t) => {
  const { recorder, take } = setup(t);
  recorder.recordRequest(record({ provider: 'evil-provider', model: 'random-model-123', keyName: 'who-knows' }));
  recorder.recordRequest(record({ provider: '', model: '', keyName: null, status: 401, upstreamMs: null }));
  recorder.recordRequest(record({ provider: 'local', model: 'demo', status: 999 }));
  const report = take();
  const pairs = report.models.map((m) => `${m.provider}/${m.model}`).sort();
  t.same(pairs, ['local/demo', 'none/none', 'other/other']);
  t.same(report.models.find((m) => m.provider === 'local')?.statuses, [[0, 1]], 'a status outside 100..599 is 0');
  t.same(report.keys.map((k) => String(k.key)).sort(), ['null', 'other', 'team-a'], 'unknown key names fold into other; no key stays null');
  t.equal(report.overhead?.count, 2, 'no overhead observation without an upstream time');
  for (let i = 0; i < 40; i++) recorder.recordRateLimited(`scope-${i}`);
  recorder.recordRateLimited('key');
  const scopes = take().rateLimited;
  t.ok(scopes.length <= 17, `rate-limit scopes are capped (${scopes.length})`);
  t.ok(scopes.some(([s]) => s === 'other'));
  t.equal(scopes.reduce((n, [, c]) => n + c, 0), 41, 'every rejection is counted');
});

t.test('bad figures never poison the totals', async (t) => {
  const { recorder, take } = setup(t);
  recorder.recordRequest(record({ promptTokens: Number.NaN, completionTokens: -5, costUsd: Infinity, durationMs: -1 }));
  const m = take().models[0]!;
  t.equal(m.promptTokens, 0);
  t.equal(m.completionTokens, 0);
  t.equal(m.costUsd, 0);
  t.equal(m.duration.count, 1);
  t.equal(m.duration.buckets[0], 1, 'a negative duration counts as 0');
});

t.test('active streams are absolute and never negative', async (t) => {
  const { recorder, take } = setup(t);
  recorder.streamStarted();
  recorder.streamStarted();
  recorder.streamEnded();
  t.equal(take().activeStreams, 1);
  t.equal(take().activeStreams, 1, 'a gauge, not a delta');
  recorder.streamEnded();
  recorder.streamEnded();
  t.equal(take().activeStreams, 0);
});

t.test('the state backend sample is absolute: in every report, null until set', async (t) => {
  const { recorder, take } = setup(t);
  t.equal(take().stateBackend, null, 'no shared state: nothing to report');
  recorder.setStateBackend('redis', false);
  t.same(take().stateBackend, { backend: 'redis', up: false });
  t.same(take().stateBackend, { backend: 'redis', up: false }, 'not a delta: repeated until it changes');
  recorder.setStateBackend('redis', true);
  t.same(take().stateBackend, { backend: 'redis', up: true });
});

t.test('provider health: sent when it changed, configured providers only', async (t) => {
  const { recorder } = setup(t);
  const first = recorder.takeProviderHealth();
  t.same(first?.providers.map((p) => [p.provider, p.state]), [['openai', 'unknown'], ['local', 'unknown']], 'the first table has every configured provider');
  t.equal(recorder.takeProviderHealth(), null, 'unchanged: nothing to send');
  recorder.setProviderHealth('openai', false, { error: { message: 'connect ECONNREFUSED', status: null }, latencyMs: 12 });
  recorder.setProviderHealth('not-configured', false);
  const second = recorder.takeProviderHealth();
  const openai = second?.providers.find((p) => p.provider === 'openai');
  t.match(openai, { state: 'down', latencyMs: 12, observedAt: 1_700_000_000_000, lastError: { message: 'connect ECONNREFUSED', status: null } });
  t.notOk(second?.providers.some((p) => p.provider === 'not-configured'));
  recorder.setProviderHealth('openai', true, { latencyMs: 12 });
  t.equal(recorder.takeProviderHealth()?.providers.find((p) => p.provider === 'openai')?.state, 'healthy', 'recovery is sent');
  recorder.setProviderHealth('openai', true, { latencyMs: 12 });
  t.equal(recorder.takeProviderHealth(), null, 'the same state and latency again: nothing to send');
  recorder.setProviderHealth('local', true, { state: 'degraded' });
  t.equal(recorder.providerHealth().find((p) => p.provider === 'local')?.state, 'degraded');
});

t.test('the process sample carries cpu, memory and event loop figures', async (t) => {
  const { take } = setup(t);
  const sample = take().process;
  t.ok(sample.rssBytes > 0);
  t.ok(sample.heapUsedBytes > 0);
  t.ok(sample.cpuSecondsDelta >= 0);
  for (const v of [sample.eventLoopLagMeanSeconds, sample.eventLoopLagP99Seconds, sample.eventLoopLagMaxSeconds]) t.ok(Number.isFinite(v) && v >= 0);
});
