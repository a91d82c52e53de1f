/**
 * Active health checks and readiness on a real 2-worker daemon: worker 0 probes each provider's
 * models endpoint with its configured key; a provider going down (its server closed) turns
 * /health/ready into a 503 naming the model left without a healthy target, on every worker, and
 * llm_gateway_provider_health / GET /health/providers follow; back up, everything recovers.
 * /health/live stays 200 throughout.
 */
import t from 'tap';
import { createServer, type Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { startFakeAnthropic, startFakeOpenai, startGateway, type Gateway } from '../fakes/index.js';
import { admin, http, sample, scrape, until } from '../observe/helpers.js';

const UP_KEY = 'sk-health-check-key-0a1b2c3d';

interface ProvidersView {
  healthy: boolean;
  providers: Array<{ provider: string; state: string; latencyMs: number | null; lastError: { message: string; status: number | null } | null }>;
}

async function providers(gw: Gateway): Promise<ProvidersView> {
  return (await admin(gw, '/health/providers')).json<ProvidersView>();
}

const stateOf = (view: ProvidersView, name: string): string | undefined => view.providers.find((p) => p.provider === name)?.state;

/** /health/ready on several fresh connections (spread over both workers): all statuses and bodies. */
async function readiness(gw: Gateway): Promise<Array<{ status: number; body: string }>> {
  const answers = [];
  for (let i = 0; i < 6; i++) {
    const res = await http(gw.port, 'GET', '/health/ready');
    answers.push({ status: res.status, body: res.text });
  }
  return answers;
}

/** A bare OpenAI-compatible server on a fixed port: the provider coming back. */
function reopen(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model' }] }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

t.test('a provider goes down and comes back: checks, readiness, metric and /health/providers follow', async (t) => {
  const up = await startFakeOpenai();
  const refusing = await startFakeAnthropic({ requireKey: 'sk-ant-the-right-key' });
  t.teardown(() => Promise.all([up.close(), refusing.close()]));
  const yaml = `
logging: { level: info }
health_checks: { enabled: true, interval: 200ms, timeout: 1s }
providers:
  - { name: local, type: mock }
  - { name: up, type: openai, base_url: "${up.url}", api_keys: ["${UP_KEY}"] }
  - { name: refused, type: anthropic, base_url: "${refusing.url}", api_keys: ["sk-ant-a-wrong-key-99"] }
models:
  - { name: demo, targets: [{ provider: local, model: demo }] }
  - { name: gpt, targets: [{ provider: up, model: gpt-4o-mini }] }
  - { name: gpt-or-demo, targets: [{ provider: up, model: gpt-4o-mini }, { provider: local, model: demo }] }
`;
  const gw = await startGateway(t, yaml, { workers: 2, env: { GATEWAYD__HEALTH_CHECKS__ENABLED: 'true' } });

  await until('first checks reported', async () => {
    const view = await providers(gw);
    return stateOf(view, 'up') === 'healthy' && stateOf(view, 'local') === 'healthy' && stateOf(view, 'refused') === 'down';
  });
  const refused = (await providers(gw)).providers.find((p) => p.provider === 'refused');
  t.match(refused?.lastError, { message: /GET http:\/\/127\.0\.0\.1:\d+\/v1\/models: HTTP 401: the provider refused the configured api key/, status: 401 }, 'a refused key is a down provider');
  const probe = up.requests.find((r) => r.method === 'GET' && r.path === '/v1/models');
  t.equal(probe?.key, UP_KEY, 'the check is authenticated with the configured key');

  // One process checks for the whole gateway: at most one probe per interval, not one per worker.
  up.reset();
  await delay(2_000);
  const probes = up.requests.filter((r) => r.path === '/v1/models').length;
  t.ok(probes >= 2 && probes <= 12, `${probes} probes in 2 s at a 200 ms interval (2 workers would make ~20)`);

  await until('ready on every worker', async () => (await readiness(gw)).every((r) => r.status === 200));
  t.equal(sample(await scrape(gw), 'llm_gateway_provider_health{provider="up"}'), 1);

  await up.close();
  let answers: Array<{ status: number; body: string }> = [];
  await until('not ready on any worker', async () => (answers = await readiness(gw)).every((r) => r.status === 503), 15_000);
  for (const answer of answers) {
    t.same(JSON.parse(answer.body), { status: 'unavailable', unhealthyModels: [{ model: 'gpt', providers: { up: 'down' } }] }, 'gpt has no healthy target; gpt-or-demo still has one');
  }
  const down = (await providers(gw)).providers.find((p) => p.provider === 'up');
  t.match(down, { state: 'down', lastError: { message: /GET http:\/\/127\.0\.0\.1:\d+\/v1\/models: ECONNREFUSED/ } });
  await until('provider_health 0', async () => sample(await scrape(gw), 'llm_gateway_provider_health{provider="up"}') === 0);
  t.equal((await http(gw.port, 'GET', '/health/live')).status, 200, 'live while not ready');

  const server = await reopen(up.port);
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await until('ready again on every worker', async () => (await readiness(gw)).every((r) => r.status === 200), 15_000);
  // The admin view merges the workers' 1 s reports: it may trail readiness by one report.
  await until('/health/providers healthy again', async () => stateOf(await providers(gw), 'up') === 'healthy', 5_000);
  t.equal(stateOf(await providers(gw), 'up'), 'healthy');
  await until('provider_health 1', async () => sample(await scrape(gw), 'llm_gateway_provider_health{provider="up"}') === 1);
});

t.test('health_checks.enabled false: no probe at all; readiness with unknown providers is 200', async (t) => {
  const up = await startFakeOpenai();
  t.teardown(() => up.close());
  const gw = await startGateway(t, `
providers:
  - { name: up, type: openai, base_url: "${up.url}", api_keys: ["${UP_KEY}"] }
models:
  - { name: gpt, targets: [{ provider: up, model: gpt-4o-mini }] }
`, { workers: 1, env: { GATEWAYD__HEALTH_CHECKS__ENABLED: 'false', GATEWAYD__HEALTH_CHECKS__INTERVAL: '100ms' } });
  t.same(await readiness(gw), Array.from({ length: 6 }, () => ({ status: 200, body: '{"status":"ready"}' })));
  await delay(500);
  t.equal(up.requests.length, 0, 'nothing probed');
  t.equal(stateOf(await providers(gw), 'up'), 'unknown');
});
