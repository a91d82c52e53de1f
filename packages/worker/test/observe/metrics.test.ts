/**
 * Metrics from REAL traffic through a real 2-worker daemon: requests by provider/model/status,
 * tokens, cost from the target's price, TTFT for streams, overhead, per-key figures in /admin/stats
 * and `gatewayd status`; then traffic and scrapes during a reload: counters never go down and, once
 * the drained workers' final reports are in, every answered request is counted exactly once.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { StatusReport } from '@gatewayd/shared';
import { startFakeOpenai, startGateway, type Gateway } from '../fakes/index.js';
import { admin, chatBody, http, sample, scrape, sum, until } from './helpers.js';

const KEYS = { A: 'gw-metrics-team-a-1f2e3d', B: 'gw-metrics-team-b-4c5b6a' };
/** USD per million: 17 uncached prompt tokens x 1 + 8 cached x 0.5 + 9 completion x 2 = 39e-6 per answer. */
const GPT_COST = 39e-6;
const near = (a: number | undefined, b: number): boolean => a !== undefined && Math.abs(a - b) < 1e-12;

const fake = await startFakeOpenai();
t.teardown(() => fake.close());
const yaml = `
logging: { level: warn }
# The reload test keeps the CPUs busy with traffic: leave new workers time to start.
supervisor: { ready_timeout: 30s }
auth: { mode: gateway, keys: [{ name: team-a, key: "${KEYS.A}" }, { name: team-b, key: "${KEYS.B}" }] }
routing: { retries: 0 }
providers:
  - { name: local, type: mock, chunks: 3 }
  - { name: up, type: openai, base_url: "${fake.url}", api_keys: ["sk-metrics-upstream"] }
models:
  - { name: demo, targets: [{ provider: local, model: demo }] }
  - { name: gpt, targets: [{ provider: up, model: gpt-4o-mini, price: { input: 1, output: 2, cached_input: 0.5 } }] }
`;

function migrateReq(): boolean {
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_migrate_req', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

const as = (key: string) => ({ authorization: `Bearer ${key}` });

async function call(gw: Gateway, key: string, model: string, stream = false): Promise<number> {
  return (await http(gw.port, 'POST', '/v1/chat/completions', chatBody(model, 'count me', stream), as(key))).status;
}

interface Stats {
  totals: { requests: number; errors: number };
  models: Record<string, { requests: number; errors: number; promptTokens: number; completionTokens: number; costUsd: number; statuses: Record<string, number> }>;
  keys: Record<string, { requests: number; errors: number; promptTokens: number; costUsd: number; cacheHitRatio: number | null }>;
}

t.test('real traffic through 2 workers: every figure, per model and per key; status agrees', async (t) => {
  const gw = await startGateway(t, yaml, { workers: 2 });
  // The mock's token counts for this prompt, learnt from one answer (which is counted too).
  const probe = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('demo', 'count me'), as(KEYS.B));
  const mockUsage = probe.json<{ usage: { prompt_tokens: number; completion_tokens: number } }>().usage;

  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push(await call(gw, KEYS.A, 'gpt', i % 2 === 1)); // 4 streams
  for (let i = 0; i < 4; i++) statuses.push(await call(gw, KEYS.B, 'gpt'));
  for (let i = 0; i < 6; i++) statuses.push(await call(gw, KEYS.B, 'demo', true));
  for (let i = 0; i < 2; i++) statuses.push(await call(gw, KEYS.A, 'no-such-model'));
  fake.script([{ kind: 'status', status: 500 }]);
  statuses.push(await call(gw, KEYS.A, 'gpt'));
  t.same(statuses.filter((s) => s !== 200), [404, 404, 502], 'answers as expected');

  let text = '';
  await until('all 22 requests in /metrics', async () => sum((text = await scrape(gw)), 'llm_gateway_requests_total') === 22, 15_000);
  t.equal(sample(text, 'llm_gateway_requests_total{provider="up",model="gpt",status="200"}'), 12);
  t.equal(sample(text, 'llm_gateway_requests_total{provider="up",model="gpt",status="502"}'), 1);
  t.equal(sample(text, 'llm_gateway_requests_total{provider="local",model="demo",status="200"}'), 7);
  t.equal(sample(text, 'llm_gateway_requests_total{provider="none",model="none",status="404"}'), 2, 'unknown model: no label of its own');
  t.equal(sample(text, 'llm_gateway_tokens_total{type="prompt"}'), 12 * 25 + 7 * mockUsage.prompt_tokens);
  t.equal(sample(text, 'llm_gateway_tokens_total{type="completion"}'), 12 * 9 + 7 * mockUsage.completion_tokens);
  t.ok(near(sample(text, 'llm_gateway_cost_dollars_total{provider="up",model="gpt"}'), 12 * GPT_COST), 'cost from the target price, cached tokens at cached_input');
  t.equal(sample(text, 'llm_gateway_time_to_first_token_seconds_count{provider="up",model="gpt"}'), 4, 'TTFT: streams only');
  t.equal(sample(text, 'llm_gateway_time_to_first_token_seconds_count{provider="local",model="demo"}'), 6);
  t.equal(sample(text, 'llm_gateway_request_duration_seconds_count{provider="up",model="gpt"}'), 13);
  t.equal(sample(text, 'llm_gateway_overhead_seconds_count'), 20, 'overhead: every request that reached an upstream');
  t.ok((sample(text, 'llm_gateway_overhead_seconds_sum') ?? -1) >= 0);
  t.equal(sample(text, 'llm_gateway_active_streams'), 0);
  t.equal(sample(text, 'llm_gateway_provider_health{provider="up"}'), 1, 'passive health: the provider answers');

  const stats = (await admin(gw, '/admin/stats')).json<Stats>();
  t.match(stats.totals, { requests: 22, errors: 3 });
  t.match(stats.models['gpt'], { requests: 13, errors: 1, promptTokens: 300, completionTokens: 108, statuses: { '200': 12, '502': 1 } });
  t.ok(near(stats.models['gpt']?.costUsd, 12 * GPT_COST));
  t.match(stats.keys['team-a'], { requests: 11, errors: 3, promptTokens: 8 * 25 });
  t.ok(near(stats.keys['team-a']?.costUsd, 8 * GPT_COST), 'spend of team-a');
  t.match(stats.keys['team-b'], { requests: 11, errors: 0, promptTokens: 4 * 25 + 7 * mockUsage.prompt_tokens });
  t.ok(near(stats.keys['team-b']?.costUsd, 4 * GPT_COST), 'spend of team-b');

  const status = await gw.cli('status', '--json', '--pid-file', gw.pidFile);
  const report = JSON.parse(status.stdout) as StatusReport;
  t.match(report.traffic, { requests: 22, errors: 3, promptTokens: 12 * 25 + 7 * mockUsage.prompt_tokens });
  t.match(report.trafficByModel?.['gpt'], { requests: 13, errors: 1, promptTokens: 300 });
  t.match(report.trafficByKey?.['team-a'], { requests: 11, errors: 3 });
  const human = await gw.cli('status', '--pid-file', gw.pidFile);
  t.match(human.stdout, /traffic: +22 requests, 3 errors/);
  t.match(human.stdout, /^ +gpt +13 +1 +300 +108 +\$0\.0005 +-$/m, 'per-model row');
  t.match(human.stdout, /^ +team-a +11 +3 /m, 'per-key row');
});

t.test('traffic and scrapes during a reload: monotonic, nothing lost, nothing counted twice', async (t) => {
  const gw = await startGateway(t, yaml, { workers: 2 });
  const answered = new Map<number, number>();
  const clientErrors: string[] = [];
  let running = true;
  const client = async (key: string, model: string, stream: boolean): Promise<void> => {
    while (running) {
      try {
        const status = await call(gw, key, model, stream);
        answered.set(status, (answered.get(status) ?? 0) + 1);
      } catch (err) {
        clientErrors.push((err as Error).message);
      }
    }
  };
  const scrapes: number[] = [];
  const scraper = (async () => {
    while (running) {
      scrapes.push(sum(await scrape(gw), 'llm_gateway_requests_total'));
      await delay(20); // pacing only
    }
  })();
  // Two callers in a loop: constant load without starving the new workers of CPU (2-core machines).
  const clients = [client(KEYS.A, 'gpt', false), client(KEYS.B, 'demo', true)];
  await until('some traffic before the reload', () => [...answered.values()].reduce((a, b) => a + b, 0) >= 20);
  const reload = await gw.cli('reload', '--pid-file', gw.pidFile);
  t.equal(reload.code, 0, reload.stderr);
  await delay(300);
  running = false;
  await Promise.all([...clients, scraper]);

  const total = [...answered.values()].reduce((a, b) => a + b, 0);
  if (migrateReq()) t.same(clientErrors, [], 'no failed request across the reload');
  else {
    // docs/operations.md: with net.ipv4.tcp_migrate_req=0 Linux resets connections still queued on
    // a closing listener; those requests never reached a worker (nor the metrics).
    t.ok(clientErrors.every((e) => e.includes('ECONNRESET')), `only kernel accept-queue resets (${clientErrors.length}) with tcp_migrate_req=0`);
  }
  t.same([...answered.keys()], [200], 'every answer a 200');
  let text = '';
  await until(`requests_total reaches the ${total} answered requests`, async () => sum((text = await scrape(gw)), 'llm_gateway_requests_total') >= total, 15_000);
  await delay(1_500); // one more report interval: a request counted twice would show up now
  text = await scrape(gw);
  t.equal(sum(text, 'llm_gateway_requests_total'), total, 'each answered request counted exactly once');
  t.equal(sample(text, 'llm_gateway_config_reloads_total{result="success"}'), 1);
  t.ok(scrapes.length > 5, `${scrapes.length} scrapes during the run, all answered`);
  t.ok(scrapes.every((v, i) => i === 0 || v >= scrapes[i - 1]!), 'requests_total never went down');
  t.equal(sample(text, 'llm_gateway_active_streams'), 0);
});

t.test('response cache verdicts reach the metrics and the per-key cache hit ratio', async (t) => {
  const gw = await startGateway(t, `${yaml}cache: { enabled: true }\n`, { workers: 2 });
  // What the gateway told each caller (x-cache) is what the metrics must say.
  const verdicts: Record<string, { hit: number; miss: number }> = { 'team-a': { hit: 0, miss: 0 }, 'team-b': { hit: 0, miss: 0 } };
  const ask = async (name: 'team-a' | 'team-b'): Promise<void> => {
    const answer = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('demo', 'cache me'), as(name === 'team-a' ? KEYS.A : KEYS.B));
    t.equal(answer.status, 200);
    const verdict = String(answer.headers['x-cache']).toLowerCase();
    if (verdict === 'hit' || verdict === 'miss') verdicts[name]![verdict]++;
  };
  for (let i = 0; i < 4; i++) await ask('team-a');
  // team-b streams until it is served from the cache (the first set may still be on its way).
  await until('a cached answer', async () => {
    const answer = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('demo', 'cache me', true), as(KEYS.B));
    const verdict = String(answer.headers['x-cache']).toLowerCase();
    if (verdict === 'hit' || verdict === 'miss') verdicts['team-b']![verdict]++;
    return verdict === 'hit';
  });
  const requests = Object.values(verdicts).reduce((n, v) => n + v.hit + v.miss, 0);
  const hits = verdicts['team-a']!.hit + verdicts['team-b']!.hit;
  t.ok(hits >= 2, `${hits} hits of ${requests}`);
  let text = '';
  await until(`the ${requests} requests in /metrics`, async () => sum((text = await scrape(gw)), 'llm_gateway_requests_total') === requests, 15_000);
  t.equal(sample(text, 'llm_gateway_cache_hits_total{model="demo"}'), hits);
  t.equal(sample(text, 'llm_gateway_cache_misses_total{model="demo"}'), requests - hits);
  // A cache hit reached no provider: provider="none"; the replayed stream still has a TTFT.
  t.ok((sample(text, 'llm_gateway_time_to_first_token_seconds_count{provider="none",model="demo"}') ?? 0) >= 1, 'a replayed stream has a TTFT too');
  const stats = (await admin(gw, '/admin/stats')).json<Stats>();
  for (const name of ['team-a', 'team-b'] as const) {
    const v = verdicts[name]!;
    t.equal(stats.keys[name]?.cacheHitRatio, v.hit / (v.hit + v.miss), `${name}: ${v.hit} hits, ${v.miss} misses`);
  }
});

t.test("overhead excludes the waits between attempts: a provider's retry-after is not the gateway's time", async (t) => {
  const waiting = await startFakeOpenai();
  t.teardown(() => waiting.close());
  const gw = await startGateway(
    t,
    `logging: { level: info }
routing: { retries: 1 }
providers: [{ name: busy, type: openai, base_url: "${waiting.url}", api_keys: ["sk-overhead-wait-0001"] }]
models: [{ name: busy, targets: [{ provider: busy, model: gpt-4o-mini }] }]`,
    { workers: 1 },
  );
  waiting.script([{ kind: 'status', status: 429, headers: { 'retry-after': '1' } }]);
  const started = performance.now();
  const reply = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('busy', 'after a wait'));
  t.equal(reply.status, 200, 'answered by the retry');
  t.ok(performance.now() - started >= 950, 'after the retry-after');
  const accessLine = (): string | undefined => gw.logs().split('\n').find((l) => l.includes('"msg":"access"') && l.includes('"model":"busy"'));
  await until('the access line', () => accessLine() !== undefined);
  const access = JSON.parse(accessLine() as string) as { retryWaitMs: number; durationMs: number; upstreamMs: number };
  t.ok(access.retryWaitMs >= 900 && access.retryWaitMs <= access.durationMs, `retryWaitMs ${access.retryWaitMs}`);
  await until('the metrics', async () => sample(await scrape(gw), 'llm_gateway_overhead_seconds_count') === 1);
  const text = await scrape(gw);
  const overhead = sample(text, 'llm_gateway_overhead_seconds_sum') ?? -1;
  t.ok(overhead >= 0 && overhead < 0.5, `overhead ${overhead} s: without the ~1 s retry-after`);
});

t.test('an OpenAI stream cut before its usage counts estimated tokens and cost, not nothing', async (t) => {
  const cutting = await startFakeOpenai({ text: 'one two three four five six seven eight' });
  t.teardown(() => cutting.close());
  const gw = await startGateway(
    t,
    `logging: { level: warn }
routing: { retries: 0 }
providers: [{ name: up, type: openai, base_url: "${cutting.url}", api_keys: ["sk-cut-stream-0001"] }]
models: [{ name: cut, targets: [{ provider: up, model: gpt-4o-mini, price: { input: 1, output: 2 } }] }]`,
    { workers: 1 },
  );
  // The role chunk and four content chunks, then the connection drops: no usage chunk ever.
  cutting.script([{ kind: 'reset-mid-stream', afterEvents: 5 }]);
  const reply = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('cut', 'count me anyway', true));
  t.equal(reply.status, 200, 'the stream began');
  t.match(reply.text, /GW_ERR_STREAM_INTERRUPTED/, 'and ended with the error event');
  await until('the tokens', async () => (sample(await scrape(gw), 'llm_gateway_tokens_total{type="completion"}') ?? 0) > 0);
  const text = await scrape(gw);
  t.equal(sample(text, 'llm_gateway_tokens_total{type="completion"}'), 4, 'a token per content chunk');
  const prompt = sample(text, 'llm_gateway_tokens_total{type="prompt"}') ?? 0;
  t.ok(prompt > 0, `the prompt estimate: ${prompt}`);
  const cost = sum(text, 'llm_gateway_cost_dollars_total');
  t.ok(near(cost, (prompt * 1 + 4 * 2) / 1e6), `cost ${cost}`);

  // The same cut for an Anthropic caller (translated from the OpenAI stream).
  cutting.script([{ kind: 'reset-mid-stream', afterEvents: 5 }]);
  const messages = await http(gw.port, 'POST', '/v1/messages', { model: 'cut', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'count me anyway' }] }, { 'anthropic-version': '2023-06-01' });
  t.equal(messages.status, 200, 'the Anthropic stream began');
  await until('the Anthropic caller tokens', async () => (sample(await scrape(gw), 'llm_gateway_tokens_total{type="completion"}') ?? 0) > 4);
  t.equal(sample(await scrape(gw), 'llm_gateway_tokens_total{type="completion"}'), 8, 'a token per chunk for the Anthropic caller too');
});
