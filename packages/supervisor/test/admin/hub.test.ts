/** MetricsHub: worker deltas into the prom-client registry, gauges from live workers only. */
import t from 'tap';
import { LATENCY_BUCKETS_SECONDS } from '@gatewayd/shared';
import { MetricsHub, SPEC_METRIC_NAMES, type WorkerRef } from '../../src/metrics/index.js';
import { histogram, report, sampleValue, workerRef } from './fixtures.js';

function makeHub(workers: WorkerRef[], providers = ['openai', 'local']): MetricsHub {
  return new MetricsHub({ workers: () => workers, generation: () => 1, providers: () => providers });
}

t.test('deltas from two workers add up; every SPEC metric is registered', async (t) => {
  const a = workerRef(0, 101);
  const b = workerRef(1, 102);
  const hub = makeHub([a, b]);
  hub.applyReport(a, report(1, 3, { activeStreams: 2 }));
  hub.applyReport(b, report(1, 4, { activeStreams: 1 }));
  hub.applyReport(b, report(2, 1, { status: 502 }));
  const text = await hub.metrics.metrics();
  for (const name of SPEC_METRIC_NAMES) t.match(text, `# TYPE ${name} `, `${name} is exposed`);
  t.equal(sampleValue(text, 'llm_gateway_requests_total{provider="openai",model="gpt-4o-mini",status="200"}'), 7);
  t.equal(sampleValue(text, 'llm_gateway_requests_total{provider="openai",model="gpt-4o-mini",status="502"}'), 1);
  t.equal(sampleValue(text, 'llm_gateway_request_duration_seconds_count{provider="openai",model="gpt-4o-mini"}'), 8);
  t.equal(sampleValue(text, 'llm_gateway_request_duration_seconds_bucket{provider="openai",model="gpt-4o-mini",le="0.25"}'), 0);
  t.equal(sampleValue(text, 'llm_gateway_request_duration_seconds_bucket{provider="openai",model="gpt-4o-mini",le="0.5"}'), 8, 'buckets are cumulative');
  t.equal(sampleValue(text, 'llm_gateway_request_duration_seconds_bucket{provider="openai",model="gpt-4o-mini",le="+Inf"}'), 8);
  t.ok(Math.abs(sampleValue(text, 'llm_gateway_request_duration_seconds_sum{provider="openai",model="gpt-4o-mini"}')! - 2.4) < 1e-9);
  t.equal(sampleValue(text, 'llm_gateway_overhead_seconds_count'), 8);
  t.equal(sampleValue(text, 'llm_gateway_tokens_total{type="prompt"}'), 80);
  t.equal(sampleValue(text, 'llm_gateway_tokens_total{type="completion"}'), 40);
  t.ok(Math.abs(sampleValue(text, 'llm_gateway_cost_dollars_total{provider="openai",model="gpt-4o-mini"}')! - 0.008) < 1e-12);
  t.equal(sampleValue(text, 'llm_gateway_cache_hits_total{model="gpt-4o-mini"}'), 8);
  t.equal(sampleValue(text, 'llm_gateway_active_streams'), 2, 'a gauge: the latest report of each live worker (a: 2, b now: 0)');
  t.equal(sampleValue(text, 'llm_gateway_worker_cpu_seconds_total{worker="1"}'), 1);
  t.equal(sampleValue(text, 'llm_gateway_worker_resident_memory_bytes{worker="0"}'), 50_000_000);
  t.equal(sampleValue(text, 'llm_gateway_config_reloads_total{result="failure"}'), 0, 'both reload results exist from the start');
  t.equal(sampleValue(text, 'llm_gateway_worker_restarts_total'), 0);

  const totals = hub.traffic.totals();
  t.match(totals, { requests: 8, errors: 1, promptTokens: 80, completionTokens: 40, cacheHits: 8, cacheMisses: 8, cacheHitRatio: 0.5 });
  t.match(hub.traffic.byModel()['gpt-4o-mini'], { requests: 8, statuses: { '200': 7, '502': 1 }, providers: { openai: 8 } });
  t.match(hub.traffic.byKey()['team-a'], { requests: 8, errors: 1, costUsd: 0.008 });
  t.same(hub.headline(), { requests: 8, errors: 1, promptTokens: 80, completionTokens: 40, costUsd: 0.008 });
});

t.test('request duration and TTFT expose the low buckets (5, 10, 25 ms) for fast answers', async (t) => {
  const a = workerRef(0, 111);
  const hub = makeHub([a]);
  const fast = report(1, 3);
  fast.models[0]!.duration = histogram(LATENCY_BUCKETS_SECONDS, 0.004, 3); // cache hits
  fast.models[0]!.ttft = histogram(LATENCY_BUCKETS_SECONDS, 0.02, 2);
  hub.applyReport(a, fast);
  const text = await hub.metrics.metrics();
  const series = (name: string, le: string) => sampleValue(text, `${name}_bucket{provider="openai",model="gpt-4o-mini",le="${le}"}`);
  const duration = 'llm_gateway_request_duration_seconds';
  const ttft = 'llm_gateway_time_to_first_token_seconds';
  t.same(['0.005', '0.01', '0.025', '0.05', '600', '+Inf'].map((le) => series(duration, le)), [3, 3, 3, 3, 3, 3], '4 ms: in the first bucket, then cumulative');
  t.same(['0.005', '0.01', '0.025', '600'].map((le) => series(ttft, le)), [0, 0, 2, 2], '20 ms: (10 ms, 25 ms]');
});

t.test('counters survive the workers; their gauges do not', async (t) => {
  const workers = [workerRef(0, 201, 1)];
  const hub = makeHub(workers);
  hub.applyReport(workers[0]!, report(1, 5, { activeStreams: 3 }));
  // A reload: generation 2 replaces the worker; its final report arrives, then it exits.
  const next = workerRef(0, 202, 2);
  workers.push(next);
  hub.applyReport(workers[0]!, report(2, 2, { activeStreams: 0, final: true }));
  hub.workerExited(201);
  workers.shift();
  hub.applyReport(next, report(1, 1, { activeStreams: 1 }));
  hub.configReloaded('success');
  hub.workerRestarted();
  const text = await hub.metrics.metrics();
  t.equal(sampleValue(text, 'llm_gateway_requests_total{provider="openai",model="gpt-4o-mini",status="200"}'), 8, 'monotonic: 5 + 2 (final) + 1');
  t.equal(sampleValue(text, 'llm_gateway_active_streams'), 1, 'only the live worker counts');
  t.equal(sampleValue(text, 'llm_gateway_config_reloads_total{result="success"}'), 1);
  t.equal(sampleValue(text, 'llm_gateway_worker_restarts_total'), 1);
  t.equal(sampleValue(text, 'llm_gateway_worker_cpu_seconds_total{worker="0"}'), 1.5, 'per-slot cpu keeps adding up across processes');
  t.equal(hub.sample(201), undefined);

  // A report that arrives after the exit still counts, without reviving the gauges.
  const gone = workerRef(1, 203, 2, 'stopped');
  hub.applyReport(gone, report(7, 2, { activeStreams: 9 }));
  const after = await hub.metrics.metrics();
  t.equal(sampleValue(after, 'llm_gateway_requests_total{provider="openai",model="gpt-4o-mini",status="200"}'), 10);
  t.equal(sampleValue(after, 'llm_gateway_active_streams'), 1);
});

t.test('malformed reports do not corrupt the registry', async (t) => {
  const w = workerRef(0, 301);
  const hub = makeHub([w]);
  const bad = report(1, 2);
  bad.models[0]!.duration = { buckets: [1, 2], sum: 1, count: 3 };
  bad.models.push({ provider: 5, model: null, statuses: 'x' } as never);
  hub.applyReport(w, bad);
  const text = await hub.metrics.metrics();
  t.equal(sampleValue(text, 'llm_gateway_requests_total{provider="openai",model="gpt-4o-mini",status="200"}'), 2, 'the valid part counts');
  t.equal(sampleValue(text, 'llm_gateway_request_duration_seconds_count{provider="openai",model="gpt-4o-mini"}'), undefined, 'a histogram with the wrong bucket layout is dropped');
  t.equal(hub.counters().malformedReports, 2);
});

t.test('provider health: the freshest observation among live workers wins; down is 0', async (t) => {
  const a = workerRef(0, 401);
  const b = workerRef(1, 402);
  const workers = [a, b];
  const hub = makeHub(workers);
  hub.applyReport(a, report(1, 0));
  hub.applyReport(b, report(1, 0));
  const snap = (state: 'healthy' | 'down', at: number) => ({ provider: 'openai', state, latencyMs: 20, lastError: state === 'down' ? { message: 'boom', status: 503, at: new Date(at).toISOString() } : null, observedAt: at });
  hub.applyProviderHealth(a, { type: 'provider-health', providers: [snap('healthy', 1000)] });
  hub.applyProviderHealth(b, { type: 'provider-health', providers: [snap('down', 2000)] });
  let view = hub.providerHealth();
  t.match(view.find((p) => p.provider === 'openai'), { state: 'down', healthy: false, lastError: { message: 'boom' } });
  t.match(view.find((p) => p.provider === 'local'), { state: 'unknown', healthy: true, workers: [] }, 'never observed: unknown, counted as up');
  t.equal(sampleValue(await hub.metrics.metrics(), 'llm_gateway_provider_health{provider="openai"}'), 0);
  hub.applyProviderHealth(a, { type: 'provider-health', providers: [snap('healthy', 3000)] });
  view = hub.providerHealth();
  t.match(view.find((p) => p.provider === 'openai'), { state: 'healthy', healthy: true, lastError: { message: 'boom' } }, 'recovered; the last error stays visible');
  t.equal(sampleValue(await hub.metrics.metrics(), 'llm_gateway_provider_health{provider="openai"}'), 1);
  // The worker with the fresh view exits: the other one's older view is what is left.
  workers.shift();
  hub.workerExited(401);
  t.equal(hub.providerHealth().find((p) => p.provider === 'openai')?.state, 'down');
});
