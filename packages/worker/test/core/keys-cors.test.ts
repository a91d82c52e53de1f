/**
 * Keys on the wire: a gateway key never travels upstream (the provider's own key does); in client
 * mode the caller's key goes upstream and is never rotated; per-key model allowlists; CORS
 * preflight and headers on every answer.
 */
import t from 'tap';
import { startFakeAnthropic, startFakeOpenai, type RecordedRequest } from '../fakes/index.js';
import { call, startCoreWorker } from './helpers.js';

const GATEWAY_KEY = 'gw-secret-key-0123456789';
const chat = (model: string) => ({ model, max_tokens: 8, messages: [{ role: 'user', content: 'Say hello.' }] });
const ANTHROPIC = { 'anthropic-version': '2023-06-01' };

function leaks(request: RecordedRequest | undefined, secret: string): boolean {
  return JSON.stringify(request?.headers ?? {}).includes(secret) || JSON.stringify(request?.body ?? {}).includes(secret);
}

t.test('gateway mode: gateway keys stay at the gateway', async (t) => {
  const openai = await startFakeOpenai({ requireKey: 'sk-provider-oa' });
  const anthropic = await startFakeAnthropic({ requireKey: 'sk-provider-an' });
  t.teardown(() => Promise.all([openai.close(), anthropic.close()]));
  const { port } = await startCoreWorker(
    t,
    `
auth:
  mode: gateway
  keys:
    - { name: team, key: "${GATEWAY_KEY}" }
    - { name: narrow, key: "gw-narrow-key-0123456789", models: ["an-*"] }
providers:
  - { name: oa, type: openai, base_url: "${openai.url}", api_keys: ["sk-provider-oa"] }
  - { name: an, type: anthropic, base_url: "${anthropic.url}", api_keys: ["sk-provider-an"] }
models:
  - { name: oa-model, targets: [{ provider: oa, model: gpt-4o-mini }] }
  - { name: an-model, targets: [{ provider: an, model: claude-x }] }
cors: { origins: ["https://app.example.com"] }
`,
  );

  const missing = await call(port, '/v1/chat/completions', chat('oa-model'));
  t.equal(missing.status, 401);
  t.match(missing.json(), { error: { code: 'GW_ERR_UNAUTHORIZED' } });
  const missingAnthropic = await call(port, '/v1/messages', chat('an-model'), ANTHROPIC);
  t.match(missingAnthropic.json(), { type: 'error', error: { type: 'authentication_error' } });
  t.equal(openai.requests.length + anthropic.requests.length, 0, 'nothing went upstream');

  const viaBearer = await call(port, '/v1/chat/completions', chat('oa-model'), { authorization: `Bearer ${GATEWAY_KEY}` });
  t.equal(viaBearer.status, 200, viaBearer.text);
  t.equal(openai.requests.at(-1)?.key, 'sk-provider-oa');
  t.notOk(leaks(openai.requests.at(-1), GATEWAY_KEY), 'the gateway key is nowhere in the upstream request');

  const viaXApiKey = await call(port, '/v1/messages', chat('an-model'), { ...ANTHROPIC, 'x-api-key': GATEWAY_KEY });
  t.equal(viaXApiKey.status, 200, viaXApiKey.text);
  t.equal(anthropic.requests.at(-1)?.key, 'sk-provider-an');
  t.notOk(leaks(anthropic.requests.at(-1), GATEWAY_KEY));
  const translated = await call(port, '/v1/messages', chat('oa-model'), { ...ANTHROPIC, 'x-api-key': GATEWAY_KEY });
  t.equal(translated.status, 200);
  t.notOk(leaks(openai.requests.at(-1), GATEWAY_KEY));

  const forbidden = await call(port, '/v1/chat/completions', chat('oa-model'), { authorization: 'Bearer gw-narrow-key-0123456789' });
  t.equal(forbidden.status, 403);
  t.match(forbidden.json(), { error: { code: 'GW_ERR_FORBIDDEN_MODEL' } });
  const models = await call(port, '/v1/models', undefined, { authorization: 'Bearer gw-narrow-key-0123456789' }, 'GET');
  t.same(models.json<{ data: Array<{ id: string }> }>().data.map((m) => m.id), ['an-model'], 'the model list follows the allowlist');

  t.test('CORS', async (t) => {
    const preflight = await call(port, '/v1/chat/completions', undefined, { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' }, 'OPTIONS');
    t.equal(preflight.status, 204);
    t.equal(preflight.headers['access-control-allow-origin'], 'https://app.example.com');
    t.match(preflight.headers['access-control-allow-methods'], /POST/);
    t.equal(preflight.headers['access-control-allow-headers'], 'authorization, content-type');
    // Over keep-alive (fetch): the helper's requests ask for a close, where an empty body is sent.
    const kept = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
    t.equal(kept.status, 204);
    t.equal(kept.headers.get('content-length'), null, 'a 204 carries no Content-Length (RFC 9110 8.6)');
    const after = await fetch(`http://127.0.0.1:${port}/health`);
    t.equal(after.status, 200, 'and the connection serves the next request');
    const denied = await call(port, '/v1/messages', undefined, { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' }, 'OPTIONS');
    t.equal(denied.status, 204);
    t.equal(denied.headers['access-control-allow-origin'], undefined, 'an origin not configured gets no CORS grant');
    const error = await call(port, '/v1/chat/completions', chat('oa-model'), { origin: 'https://app.example.com' });
    t.equal(error.status, 401);
    t.equal(error.headers['access-control-allow-origin'], 'https://app.example.com', 'on errors too');
    const ok = await call(port, '/v1/chat/completions', chat('oa-model'), { origin: 'https://app.example.com', authorization: `Bearer ${GATEWAY_KEY}` });
    t.equal(ok.headers['access-control-allow-origin'], 'https://app.example.com');
    t.match(ok.headers['access-control-expose-headers'], /x-request-id/);
    const health = await call(port, '/health', undefined, { origin: 'https://app.example.com' }, 'GET');
    t.equal(health.headers['access-control-allow-origin'], 'https://app.example.com');
  });
});

t.test('client mode: the caller\'s own key goes upstream, never rotated', async (t) => {
  const openai = await startFakeOpenai({ requireKey: 'sk-caller-own-key' });
  t.teardown(() => openai.close());
  const { port } = await startCoreWorker(
    t,
    `
auth: { mode: client }
routing: { retries: 2, backoff_initial: 10ms, backoff_max: 20ms }
providers:
  - { name: oa, type: openai, base_url: "${openai.url}", api_keys: ["sk-config-not-used"] }
models:
  - { name: oa-model, targets: [{ provider: oa, model: gpt-4o-mini }] }
`,
  );
  const ok = await call(port, '/v1/chat/completions', chat('oa-model'), { authorization: 'Bearer sk-caller-own-key' });
  t.equal(ok.status, 200, ok.text);
  t.equal(openai.requests.at(-1)?.key, 'sk-caller-own-key');

  openai.reset();
  const wrong = await call(port, '/v1/chat/completions', chat('oa-model'), { authorization: 'Bearer sk-caller-wrong' });
  t.equal(wrong.status, 401);
  t.match(wrong.json(), { error: { code: 'invalid_api_key', type: 'invalid_request_error' } }, 'the provider\'s own answer, passed through');
  t.equal(openai.requests.length, 1, 'a refused caller key is not retried');

  openai.reset();
  const wrongAnthropic = await call(port, '/v1/messages', chat('oa-model'), { ...ANTHROPIC, 'x-api-key': 'sk-caller-wrong' });
  t.equal(wrongAnthropic.status, 401);
  t.match(wrongAnthropic.json(), { type: 'error', error: { type: 'authentication_error', message: /rejected the API key/ } }, 'in the caller\'s shape');
  t.equal(wrongAnthropic.headers['www-authenticate'], 'Bearer realm="gatewayd"', 'a 401 the gateway writes carries a challenge (RFC 9110)');
  t.equal(openai.requests.length, 1);
  t.equal(openai.requests[0]?.key, 'sk-caller-wrong');
});

t.test("a caller's own provider key never fails over to another provider", async (t) => {
  const first = await startFakeOpenai();
  const second = await startFakeOpenai();
  t.teardown(() => Promise.all([first.close(), second.close()]));
  const models = `
providers:
  - { name: first, type: openai, base_url: "${first.url}", api_keys: ["sk-config-first"] }
  - { name: second, type: openai, base_url: "${second.url}", api_keys: ["sk-config-second"] }
models:
  - { name: both, targets: [{ provider: first, model: gpt-4o-mini }, { provider: first, model: gpt-4o }, { provider: second, model: gpt-4o-mini }] }
`;
  const { port } = await startCoreWorker(t, `auth: { mode: hybrid, keys: [{ name: team, key: "${GATEWAY_KEY}" }] }\nrouting: { retries: 3, backoff_initial: 1ms, backoff_max: 2ms }\n${models}`);

  first.script([{ kind: 'status', status: 500 }, { kind: 'status', status: 500 }, { kind: 'status', status: 500 }, { kind: 'status', status: 500 }]);
  const own = await call(port, '/v1/chat/completions', chat('both'), { authorization: 'Bearer sk-caller-own-key' });
  t.equal(own.status, 502, `the first provider's failure comes back: ${own.text}`);
  t.ok(first.requests.length >= 2, 'retried and failed over within the first provider (its other model)');
  t.ok(first.requests.some((r) => (r.body as { model?: string }).model === 'gpt-4o'), 'the same provider\'s other target was used');
  t.equal(second.requests.length, 0, 'the other provider never saw the caller\'s key');

  first.reset();
  first.script([{ kind: 'status', status: 500 }, { kind: 'status', status: 500 }]);
  const configured = await call(port, '/v1/chat/completions', chat('both'), { authorization: `Bearer ${GATEWAY_KEY}` });
  t.equal(configured.status, 200, 'a gateway key fails over to the second provider with its configured key');
  t.equal(second.requests[0]?.key, 'sk-config-second');
});

t.test('no gateway keys: a call from a web page of an origin cors.origins does not list is refused, whatever key it sends', async (t) => {
  const openai = await startFakeOpenai({ requireKey: 'sk-provider-oa' });
  t.teardown(() => openai.close());
  const { port } = await startCoreWorker(
    t,
    `
auth: { mode: hybrid, keys: [] }
providers:
  - { name: oa, type: openai, base_url: "${openai.url}", api_keys: ["sk-provider-oa"] }
models:
  - { name: oa-model, targets: [{ provider: oa, model: gpt-4o-mini }] }
cors: { origins: ["https://app.example.com"] }
`,
  );
  // A form-style POST (no preflight) or a DNS-rebinding page: the browser sends its Origin.
  const foreign = await call(port, '/v1/chat/completions', chat('oa-model'), { origin: 'http://rebound.attacker.example:8080', 'content-type': 'text/plain' });
  t.equal(foreign.status, 403, foreign.text);
  t.match(foreign.json(), { error: { type: 'permission_error', code: 'GW_ERR_FORBIDDEN_ORIGIN', message: /rebound\.attacker\.example/ } });
  const foreignAnthropic = await call(port, '/v1/messages', chat('oa-model'), { ...ANTHROPIC, origin: 'null' });
  t.match(foreignAnthropic.json(), { type: 'error', error: { type: 'permission_error' } }, "in the caller's protocol (a sandboxed page sends Origin: null)");
  const models = await call(port, '/v1/models', undefined, { origin: 'https://evil.example.net' }, 'GET');
  t.equal(models.status, 403);
  t.equal(openai.requests.length, 0, 'nothing went upstream on the provider key');

  const listed = await call(port, '/v1/chat/completions', chat('oa-model'), { origin: 'https://app.example.com' });
  t.equal(listed.status, 200, 'a listed origin is served');
  const sdk = await call(port, '/v1/chat/completions', chat('oa-model'));
  t.equal(sdk.status, 200, 'a caller without Origin (an SDK, curl) is served');
  t.equal(openai.requests.at(-1)?.key, 'sk-provider-oa');
  const before = openai.requests.length;
  // A rebinding page may set any key header: one the gateway does not know gets it nothing.
  const madeUp = await call(port, '/v1/chat/completions', chat('oa-model'), { origin: 'https://evil.example.net', authorization: 'Bearer made-up-key-123' });
  t.equal(madeUp.status, 403, 'a made-up key does not get past the origin check');
  t.equal(openai.requests.length, before, 'nothing went upstream');
  const ownKey = await call(port, '/v1/chat/completions', chat('oa-model'), { origin: 'https://app.example.com', authorization: 'Bearer sk-the-pages-own-key' });
  t.equal(ownKey.status, 401, 'a listed page with its own provider key spends only that key (the upstream refused it here)');
  t.equal(openai.requests.at(-1)?.key, 'sk-the-pages-own-key');
});
