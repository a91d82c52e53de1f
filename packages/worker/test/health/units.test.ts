/** Readiness rules, the supervisor's merged view, and the probe requests and verdicts per provider type. */
import t from 'tap';
import { loadConfigText, type ProviderHealthSnapshot } from '@gatewayd/shared';
import { ProviderStates, Readiness, probeRequest, transportVerdict, verdictOf } from '../../src/health/index.js';

const snapshot = (provider: string, state: ProviderHealthSnapshot['state']): ProviderHealthSnapshot => ({ provider, state, latencyMs: null, lastError: null, observedAt: 1 });

t.test('readiness: a state backend that is down and refuses limited requests (on_error closed) makes the worker unready', async (t) => {
  const models = [{ name: 'a', targets: [{ provider: 'p1', model: 'x', weight: 1 }] }];
  const states = new Map<string, ProviderHealthSnapshot['state']>();
  let refusal: { backend: string; cause: string | null } | null = null;
  const readiness = new Readiness(models, () => states, () => refusal);
  t.equal(readiness.answer(false).status, 200);
  refusal = { backend: 'redis', cause: 'ECONNREFUSED' };
  t.same(readiness.answer(false).status, 503);
  t.same(JSON.parse(readiness.answer(false).body), { status: 'unavailable', stateBackend: { backend: 'redis', onError: 'closed', cause: 'ECONNREFUSED' } });
  refusal = { backend: 'redis', cause: null };
  states.set('p1', 'down');
  t.same(JSON.parse(readiness.answer(false).body), { status: 'unavailable', unhealthyModels: [{ model: 'a', providers: { p1: 'down' } }], stateBackend: { backend: 'redis', onError: 'closed' } }, 'both reasons, no cause when none is known');
  t.same(readiness.answer(true), { status: 503, body: '{"status":"draining"}' }, 'draining first');
  refusal = null;
  states.set('p1', 'healthy');
  t.same(readiness.answer(false), { status: 200, body: '{"status":"ready"}' });
});

t.test('readiness: a model needs one target whose provider is not down; draining is never ready', async (t) => {
  const models = [
    { name: 'a', targets: [{ provider: 'p1', model: 'x', weight: 1 }] },
    { name: 'b', targets: [{ provider: 'p1', model: 'x', weight: 1 }, { provider: 'p2', model: 'y', weight: 1 }] },
  ];
  const states = new Map<string, ProviderHealthSnapshot['state']>();
  const readiness = new Readiness(models, () => states);
  t.same(readiness.answer(false), { status: 200, body: '{"status":"ready"}' }, 'unknown counts as up');
  t.same(readiness.answer(true), { status: 503, body: '{"status":"draining"}' });
  states.set('p1', 'degraded');
  t.equal(readiness.answer(false).status, 200, 'degraded counts as up');
  states.set('p1', 'down');
  t.same(JSON.parse(readiness.answer(false).body), { status: 'unavailable', unhealthyModels: [{ model: 'a', providers: { p1: 'down' } }] }, 'b still has p2');
  states.set('p2', 'down');
  t.same(readiness.unhealthyModels().map((m) => m.model), ['a', 'b']);
});

t.test('provider states: the supervisor view wins over the local one once it arrived', async (t) => {
  let local = [snapshot('p1', 'healthy'), snapshot('p2', 'unknown')];
  const states = new ProviderStates(() => local);
  t.same([...states.snapshot()], [['p1', 'healthy'], ['p2', 'unknown']], 'local until the view arrives');
  t.notOk(states.onMessage({ type: 'provider-health', providers: [] }), 'other messages are ignored');
  t.ok(states.onMessage({ type: 'provider-health-view', providers: [snapshot('p1', 'down')] }));
  local = [snapshot('p1', 'healthy'), snapshot('p2', 'healthy')];
  t.same([...states.snapshot()], [['p1', 'down'], ['p2', 'healthy']], 'cluster view for p1, local for the rest');
});

t.test('probe requests: the models endpoint of each provider type, with key, headers and query', async (t) => {
  const { config } = loadConfigText(
    `
providers:
  - { name: o, type: openai, base_url: "https://api.example.com/v1/", api_keys: [k1], headers: { OpenAI-Organization: org-1 }, query: { key: q1 } }
  - { name: z, type: openai, base_url: "https://r.openai.azure.com/openai", api_keys: [k2] }
  - { name: a, type: anthropic, base_url: "https://api.anthropic.com/v1", api_keys: [k3], headers: { anthropic-beta: b1 } }
  - { name: g, type: gemini, api_keys: [k4] }
models: []
`,
    '/t.yaml',
    {},
  );
  const [o, z, a, g] = config.providers;
  t.same(probeRequest(o!, 'k1'), { url: 'https://api.example.com/v1/models?key=q1', headers: { authorization: 'Bearer k1', 'openai-organization': 'org-1' }, keyed: true });
  t.match(probeRequest(z!, 'k2'), { url: 'https://r.openai.azure.com/openai/models?api-version=2024-10-21', headers: { 'api-key': 'k2' } }, 'Azure: api-key header and api-version');
  t.same(probeRequest(a!, 'k3'), { url: 'https://api.anthropic.com/v1/models', headers: { 'anthropic-version': '2023-06-01', 'x-api-key': 'k3', 'anthropic-beta': 'b1' }, keyed: true });
  t.same(probeRequest(g!, 'k4'), { url: 'https://generativelanguage.googleapis.com/v1beta/models?pageSize=1', headers: { 'x-goog-api-key': 'k4' }, keyed: true });
  t.same(probeRequest(o!, undefined).headers, { 'openai-organization': 'org-1' }, 'no key: no auth header');
});

t.test('probe verdicts', async (t) => {
  const where = 'GET https://x/v1/models';
  t.equal(verdictOf(200, true, where, 5).state, 'healthy');
  t.equal(verdictOf(404, true, where, 5).state, 'healthy', 'reachable without a models endpoint');
  t.equal(verdictOf(401, false, where, 5).state, 'healthy', 'no key configured: clients bring theirs');
  t.match(verdictOf(401, true, where, 5), { state: 'down', error: { status: 401, message: /refused the configured api key/ } });
  t.equal(verdictOf(429, true, where, 5).state, 'degraded');
  t.match(verdictOf(503, true, where, 5), { state: 'down', error: { message: `${where}: HTTP 503` } });
  t.match(transportVerdict(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), where, 1, 500), { state: 'down', error: { message: `${where}: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1`, status: null } });
  t.match(transportVerdict(new DOMException('timed out', 'TimeoutError'), where, 500, 500), { error: { message: `${where}: no answer within 500 ms` } });
});
