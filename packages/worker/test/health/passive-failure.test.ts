/**
 * Passive provider health on a real daemon with NO active checks: only the outcomes of real
 * requests move the provider's state (observe/passive-health.ts). An upstream answering 500 makes
 * it degraded at the first failure (llm_gateway_provider_health stays 1: degraded counts as up),
 * down once the failure that opens its only target's circuit breaker is recorded (metric 0,
 * /health/ready 503); after the cooldown one successful request makes it healthy again.
 * One worker: breakers are per worker, so the request count that opens one is exact.
 */
import { createServer } from 'node:http';
import t from 'tap';
import { setTimeout as delay } from 'node:timers/promises';
import { startFakeOpenai, startGateway, type Gateway } from '../fakes/index.js';
import { admin, chatBody, http, sample, scrape, until } from '../observe/helpers.js';

const HEALTH = 'llm_gateway_provider_health{provider="flaky"}';
const COOLDOWN_MS = 1_500;

interface ProviderView {
  provider: string;
  state: string;
  lastError: { message: string; status: number | null } | null;
}

async function flaky(gw: Gateway): Promise<ProviderView | undefined> {
  const view = (await admin(gw, '/health/providers')).json<{ providers: ProviderView[] }>();
  return view.providers.find((p) => p.provider === 'flaky');
}

const ask = (gw: Gateway) => http(gw.port, 'POST', '/v1/chat/completions', chatBody('gpt', 'are you there?'));

t.test('5xx answers to real requests: degraded, then down once the breaker opens; healthy after a success', async (t) => {
  const fake = await startFakeOpenai();
  t.teardown(() => fake.close());
  const gw = await startGateway(
    t,
    `
logging: { level: info }
health_checks: { enabled: false }
routing: { retries: 0, breaker_threshold: 2, breaker_cooldown: ${COOLDOWN_MS}ms }
providers:
  - { name: flaky, type: openai, base_url: "${fake.url}", api_keys: ["sk-passive-health-0001"] }
models:
  - { name: gpt, targets: [{ provider: flaky, model: gpt-4o-mini }] }
`,
    { workers: 1 },
  );
  t.equal((await flaky(gw))?.state, 'unknown', 'no check and no request yet');

  fake.script([{ kind: 'status', status: 500 }, { kind: 'status', status: 500 }]);
  t.equal((await ask(gw)).status, 502, 'first 500: the client gets 502');
  await until('the provider to be degraded', async () => (await flaky(gw))?.state === 'degraded');
  const degraded = await flaky(gw);
  t.equal(degraded?.lastError?.status, 500, 'the upstream status is the last error');
  t.match(degraded?.lastError?.message, /500/);
  await delay(1_500); // two report intervals: a wrong 0 would have reached the supervisor by now
  t.equal(sample(await scrape(gw), HEALTH), 1, 'degraded still counts as up');
  t.equal((await http(gw.port, 'GET', '/health/ready')).status, 200, 'and the model stays ready');

  t.equal((await ask(gw)).status, 502, 'second 500: the breaker opens');
  await until('the provider to be down', async () => (await flaky(gw))?.state === 'down');
  await until('llm_gateway_provider_health 0', async () => sample(await scrape(gw), HEALTH) === 0);
  t.equal((await http(gw.port, 'GET', '/health/ready')).status, 503, 'its only model is not ready');
  const refused = await ask(gw);
  t.equal(refused.status, 503, 'breaker open: refused without calling the upstream');
  t.equal(fake.requests.length, 2, 'the upstream saw only the two failing requests');
  await until('the refusal counted under the failing provider', async () => sample(await scrape(gw), 'llm_gateway_requests_total{provider="flaky",model="gpt",status="503"}') === 1);
  t.equal(sample(await scrape(gw), 'llm_gateway_requests_total{provider="none",model="gpt",status="503"}'), undefined, 'not under provider none');

  // After the cooldown the breaker lets one probe through: up again (degraded) with no request
  // at all, since a load balancer following /health/ready would send none.
  await until('the provider to be up again once its breaker half-opens', async () => (await flaky(gw))?.state === 'degraded');
  t.equal((await http(gw.port, 'GET', '/health/ready')).status, 200, 'ready again without a request');
  t.equal(fake.requests.length, 2, 'and no request was needed for it');
  t.equal((await ask(gw)).status, 200, 'the probe succeeds');
  await until('the provider to be healthy', async () => (await flaky(gw))?.state === 'healthy');
  await until('llm_gateway_provider_health 1', async () => sample(await scrape(gw), HEALTH) === 1);
  t.equal((await http(gw.port, 'GET', '/health/ready')).status, 200, 'ready again');
});

t.test('active checks on: a provider whose probe answers but whose breaker is open stays down', async (t) => {
  // The models endpoint the probe asks answers; chat completions fail.
  const halfBroken = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const models = req.method === 'GET' && req.url?.endsWith('/models') === true;
      res.writeHead(models ? 200 : 500, { 'content-type': 'application/json' });
      res.end(models ? '{"object":"list","data":[]}' : '{"error":{"message":"db shard 7 unavailable","type":"server_error","code":null}}');
    });
  });
  await new Promise<void>((resolve) => halfBroken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => halfBroken.close(() => resolve())));
  const url = `http://127.0.0.1:${(halfBroken.address() as { port: number }).port}/v1`;
  // startGateway turns checks off by default; on here, every 200 ms.
  const gw = await startGateway(
    t,
    `
logging: { level: info }
routing: { retries: 0, breaker_threshold: 2, breaker_cooldown: 30s }
providers:
  - { name: flaky, type: openai, base_url: "${url}", api_keys: ["sk-passive-health-0002"] }
models:
  - { name: gpt, targets: [{ provider: flaky, model: gpt-4o-mini }] }
`,
    { workers: 1, env: { GATEWAYD__HEALTH_CHECKS__ENABLED: 'true', GATEWAYD__HEALTH_CHECKS__INTERVAL: '200ms' } },
  );
  await until('the first check', async () => (await flaky(gw))?.state === 'healthy');
  t.equal((await ask(gw)).status, 502);
  t.equal((await ask(gw)).status, 502, 'the breaker opens');
  t.equal((await ask(gw)).status, 503, 'requests are refused');
  await until('the provider to be down', async () => (await flaky(gw))?.state === 'down');
  // Several checks and metric reports later: still down (the probe's 200 had flipped it back).
  for (let i = 0; i < 8; i++) {
    await delay(250);
    t.equal((await flaky(gw))?.state, 'down', `still down after ${(i + 1) * 250} ms`);
  }
  t.equal(sample(await scrape(gw), HEALTH), 0, 'llm_gateway_provider_health 0');
  t.match((await flaky(gw))?.lastError, { status: 500, message: /db shard 7/ }, "the requests' own error stays the last error");
  t.equal((await http(gw.port, 'GET', '/health/ready')).status, 503);
});
