/**
 * Metrics through real processes: two workers record synthetic requests (the test-only switch of
 * packages/worker/src/metrics/synthetic.ts: 10 per worker start, 8 answered 200 and 2 answered
 * 502, 100 prompt / 40 completion tokens, $0.008, 4 cache hits / 6 misses, 5 streams, one
 * rate-limit rejection), the supervisor aggregates them; reloads and restarts keep the counters.
 */
import t from 'tap';
import { setTimeout as delay } from 'node:timers/promises';
import { makeSandbox, runCli, statusOf, waitFor } from '../helpers/gatewayd.js';
import { adminJson, REPORT_INTERVAL_ENV, sampleValue, scrape, startWithEnv, SYNTHETIC_REQUESTS_ENV, waitForSample } from './helpers.js';

const OK = 'llm_gateway_requests_total{provider="local",model="demo",status="200"}';
const FAILED = 'llm_gateway_requests_total{provider="local",model="demo",status="502"}';
const env = { [SYNTHETIC_REQUESTS_ENV]: '10' };

t.test('two workers aggregate; a reload keeps every counter monotonic; scrapes during the reload all succeed', async (t) => {
  const sb = await makeSandbox(t, { workers: 2 });
  await startWithEnv(t, sb, env);
  const text = await waitForSample(sb, OK, 16);
  t.equal(sampleValue(text, FAILED), 4, '2 workers x 2 failures');
  t.equal(sampleValue(text, 'llm_gateway_tokens_total{type="prompt"}'), 200);
  t.equal(sampleValue(text, 'llm_gateway_tokens_total{type="completion"}'), 80);
  t.ok(Math.abs(sampleValue(text, 'llm_gateway_cost_dollars_total{provider="local",model="demo"}')! - 0.016) < 1e-9, 'cost');
  t.equal(sampleValue(text, 'llm_gateway_cache_hits_total{model="demo"}'), 8);
  t.equal(sampleValue(text, 'llm_gateway_cache_misses_total{model="demo"}'), 12);
  t.equal(sampleValue(text, 'llm_gateway_rate_limit_exceeded_total{scope="key"}'), 2);
  t.equal(sampleValue(text, 'llm_gateway_request_duration_seconds_count{provider="local",model="demo"}'), 20);
  t.equal(sampleValue(text, 'llm_gateway_time_to_first_token_seconds_count{provider="local",model="demo"}'), 10, 'streams only');
  t.equal(sampleValue(text, 'llm_gateway_overhead_seconds_count'), 20);
  t.equal(sampleValue(text, 'llm_gateway_overhead_seconds_bucket{le="0.025"}'), 20, '20 ms of overhead each');
  t.equal(sampleValue(text, 'llm_gateway_workers{state="ready"}'), 2);
  t.ok(sampleValue(text, 'llm_gateway_worker_resident_memory_bytes{worker="0"}')! > 0, 'per-worker process metrics');
  t.ok(sampleValue(text, 'llm_gateway_worker_resident_memory_bytes{worker="1"}')! > 0);

  const stats = await adminJson<{ totals: { requests: number; errors: number; costUsd: number; cacheHitRatio: number }; models: Record<string, { requests: number }>; keys: Record<string, { requests: number }>; workers: Array<{ pid: number; rssBytes: number | null }> }>(sb, '/admin/stats');
  t.match(stats.totals, { requests: 20, errors: 4, costUsd: 0.016, cacheHitRatio: 0.4 });
  t.equal(stats.models['demo']?.requests, 20);
  t.equal(stats.keys['-']?.requests, 20, 'no gateway key configured: the "-" key');
  t.equal(stats.workers.length, 2);

  // Scrape continuously (fresh connection each time) while a reload replaces both workers.
  const seen: Array<{ status: number; ok: number | undefined }> = [];
  let scraping = true;
  const loop = (async () => {
    while (scraping) {
      try {
        const body = await scrape(sb);
        seen.push({ status: 200, ok: sampleValue(body, OK) });
        await delay(10); // pacing only, so the loop does not hog the CPU the reload needs
      } catch (err) {
        seen.push({ status: 0, ok: undefined });
        t.fail(`scrape failed during the reload: ${(err as Error).message}`);
      }
    }
  })();
  const reload = await runCli(['reload', '--pid-file', sb.pidFile]);
  t.equal(reload.code, 0, reload.stderr);
  const duringReload = seen.length;
  const after = await waitForSample(sb, OK, 32);
  scraping = false;
  await loop;
  t.ok(duringReload > 0, `${duringReload} scrapes while the reload ran`);
  t.ok(seen.every((s) => s.status === 200), 'every scrape answered 200');
  const values = seen.map((s) => s.ok ?? 0);
  const steps = values.filter((v, i) => i === 0 || v !== values[i - 1]);
  t.ok(values.every((v, i) => i === 0 || v >= values[i - 1]!), `requests_total never went down (values seen in order: ${steps.join(' -> ')})`);
  t.equal(sampleValue(after, FAILED), 8);
  t.equal(sampleValue(after, 'llm_gateway_config_reloads_total{result="success"}'), 1);
  t.equal(sampleValue(after, 'llm_gateway_config_generation'), 2);

  const status = await statusOf(sb);
  t.equal(status.listen.admin, `127.0.0.1:${sb.adminPort}`, 'status shows the admin address');
  t.match(status.traffic, { requests: 40, errors: 8, promptTokens: 400, completionTokens: 160 });
  const human = await runCli(['status', '--pid-file', sb.pidFile]);
  t.match(human.stdout, `admin 127.0.0.1:${sb.adminPort}`);
  t.match(human.stdout, /traffic: +40 requests, 8 errors \(20\.0%\), 400 prompt \+ 160 completion tokens, \$0\.0320/);
});

t.test('a failed reload and a SIGKILLed worker are counted; the replacement adds to the totals', async (t) => {
  const sb = await makeSandbox(t, { workers: 2 });
  await startWithEnv(t, sb, env);
  await waitForSample(sb, OK, 16);
  const victim = (await statusOf(sb)).workers[0]!.pid;
  process.kill(victim, 'SIGKILL');
  const text = await waitForSample(sb, 'llm_gateway_worker_restarts_total', 1);
  t.pass(`worker ${victim} killed; restart counted`);
  await waitForSample(sb, OK, 24);
  t.ok(sampleValue(text, FAILED)! >= 4);

  sb.writeConfig({ workers: 2, extra: 'bogus_section: true' });
  const reload = await runCli(['reload', '--pid-file', sb.pidFile]);
  t.equal(reload.code, 1, 'the bad config is refused');
  const after = await waitForSample(sb, 'llm_gateway_config_reloads_total{result="failure"}', 1);
  t.equal(sampleValue(after, 'llm_gateway_config_reloads_total{result="success"}'), 0);
  t.equal(sampleValue(after, OK), 24, 'nothing lost, nothing counted twice');
  await waitFor(async () => (await statusOf(sb)).workers.every((w) => w.state === 'ready'), 10_000, 'workers ready');
});

t.test('a draining worker flushes what its periodic reports did not carry (final report on exit)', async (t) => {
  const sb = await makeSandbox(t, { workers: 2 });
  // Periodic reports every 10 minutes: the synthetic requests can only arrive with the final report.
  await startWithEnv(t, sb, { ...env, [REPORT_INTERVAL_ENV]: '600000' });
  const before = await scrape(sb);
  t.equal(sampleValue(before, OK), undefined, 'nothing reported yet');
  const reload = await runCli(['reload', '--pid-file', sb.pidFile]);
  t.equal(reload.code, 0, reload.stderr);
  const text = await waitForSample(sb, OK, 16);
  t.equal(sampleValue(text, FAILED), 4, 'both drained workers sent their final deltas');
  t.equal(sampleValue(text, 'llm_gateway_tokens_total{type="prompt"}'), 200);
});
