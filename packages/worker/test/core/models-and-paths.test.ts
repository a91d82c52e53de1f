/** models.retrieve for every name a request may use; a 404 the Anthropic SDK can read; Vary: Origin with an origin list. */
import t from 'tap';
import { call, startCoreWorker, startScripted } from './helpers.js';

const ANTHROPIC = { 'anthropic-version': '2023-06-01' };

t.test('GET /v1/models/{id}: a model, an alias, a name a glob matches; else 404', async (t) => {
  const { port } = await startCoreWorker(
    t,
    `
cors: { origins: ["https://app.example.com"] }
providers:
  - { name: local, type: mock, chunks: 2 }
models:
  - { name: fixed, aliases: [nickname], targets: [{ provider: local, model: demo }] }
  - { name: "oa/*", targets: [{ provider: local, model: demo }] }
`,
  );
  for (const id of ['fixed', 'nickname', 'oa/gpt-4o']) {
    const found = await call(port, `/v1/models/${encodeURIComponent(id)}`, undefined, {}, 'GET');
    t.equal(found.status, 200, `${id}: ${found.text}`);
    t.match(found.json(), { id, object: 'model' });
  }
  const missing = await call(port, '/v1/models/other', undefined, {}, 'GET');
  t.equal(missing.status, 404);
  t.match(missing.json(), { error: { code: 'GW_ERR_UNKNOWN_MODEL' } });

  // The Anthropic SDK with a base URL ending in /v1 asks for /v1/v1/messages.
  const doubled = await call(port, '/v1/v1/messages', { model: 'fixed', max_tokens: 5, messages: [] }, ANTHROPIC);
  t.equal(doubled.status, 404);
  t.match(doubled.json(), { type: 'error', error: { type: 'not_found_error', message: /no route for POST \/v1\/v1\/messages/ } }, 'in the shape the Anthropic SDK reads');
  t.ok(doubled.headers['request-id'], 'with the request-id header it reports');
  const openai = await call(port, '/v1/nothing', {}, {});
  t.match(openai.json(), { error: { code: 'GW_ERR_NOT_FOUND' } }, 'other callers: OpenAI shape');

  // With a list of origins every answer depends on Origin.
  const allowed = await call(port, '/v1/models', undefined, { origin: 'https://app.example.com' }, 'GET');
  t.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.com');
  t.equal(allowed.headers.vary, 'origin');
  for (const headers of [{ origin: 'https://evil.example' }, {}] as Array<Record<string, string>>) {
    const other = await call(port, '/v1/models', undefined, headers, 'GET');
    t.equal(other.headers['access-control-allow-origin'], undefined, `${JSON.stringify(headers)}: no CORS headers`);
    t.equal(other.headers.vary, 'origin', `${JSON.stringify(headers)}: but Vary: Origin`);
  }
});

t.test('a compressed request body is a 415 naming the encoding, in the caller\'s shape', async (t) => {
  const { gzipSync } = await import('node:zlib');
  const { port } = await startCoreWorker(t, 'providers:\n  - { name: local, type: mock, chunks: 2 }\nmodels:\n  - { name: m, targets: [{ provider: local, model: demo }] }\n');
  const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
  const gzipped = await call(port, '/v1/chat/completions', gzipSync(JSON.stringify(body)), { 'content-encoding': 'gzip' });
  t.equal(gzipped.status, 415);
  t.equal(gzipped.headers['accept-encoding'], 'identity');
  t.match(gzipped.json(), { error: { code: 'GW_ERR_UNSUPPORTED_MEDIA_TYPE', message: /content-encoding "gzip"/ } });
  const anthropic = await call(port, '/v1/messages', gzipSync(JSON.stringify({ ...body, max_tokens: 5 })), { 'content-encoding': 'gzip', ...ANTHROPIC });
  t.match(anthropic.json(), { type: 'error', error: { type: 'invalid_request_error', message: /content-encoding/ } });
  t.equal((await call(port, '/v1/chat/completions', body, { 'content-encoding': 'identity' })).status, 200, 'identity is no encoding');
  t.equal((await call(port, '/v1/chat/completions', body, { 'content-encoding': 'utf-8' })).status, 200, 'nor is a charset sent there by mistake');
  t.equal((await call(port, '/v1/chat/completions', gzipSync(JSON.stringify(body)), { 'content-encoding': 'identity, br' })).status, 415, 'a list with a compression in it');
  t.equal((await call(port, '/v1/chat/completions', body)).status, 200);
});

t.test('upstream answers are asked for uncompressed; a compressed one is refused as unreadable, never passed on', async (t) => {
  const { gzipSync } = await import('node:zlib');
  const answer = JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] });
  const compressing = await startScripted(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    res.end(gzipSync(answer));
  });
  const { port } = await startCoreWorker(
    t,
    `
routing: { retries: 0 }
providers:
  - { name: zipper, type: openai, base_url: "${compressing.url}", api_keys: [sk-z], headers: { Accept-Encoding: gzip } }
models:
  - { name: z, targets: [{ provider: zipper, model: x }] }
`,
  );
  const got = await call(port, '/v1/chat/completions', { model: 'z', messages: [{ role: 'user', content: 'hi' }] });
  t.equal(compressing.requests[0]?.headers['accept-encoding'], 'identity', 'asked for identity, whatever the config says');
  t.equal(got.status, 502, got.text);
  t.equal(got.headers['content-encoding'], undefined);
  t.match(got.json(), { error: { code: 'GW_ERR_UPSTREAM_ERROR', message: /provider zipper sent an answer the gateway cannot read \(.*unsupported content-encoding "gzip"\)/ } });
});

t.test('the cost strategy orders by the price file the cost metrics use ($GATEWAYD_PRICES / prices.yaml)', async (t) => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { loadConfigText } = await import('@gatewayd/shared');
  const { forkWorker, freePort } = await import('../helpers.js');
  const dir = mkdtempSync(join(tmpdir(), 'gw-prices-'));
  const file = join(dir, 'prices.yaml');
  // The built-in table has gpt-4o-mini far below gpt-4o; this file says the opposite.
  writeFileSync(file, 'models:\n  gpt-4o-mini: { input: 100, output: 100 }\n  gpt-4o: { input: 1, output: 1 }\n');
  const port = await freePort();
  const yaml = `server: { host: 127.0.0.1, port: ${port}, workers: 1 }\nlogging: { level: warn }\nproviders:\n  - { name: local, type: mock, chunks: 1 }\nmodels:\n  - { name: cheap, strategy: cost, targets: [{ provider: local, model: gpt-4o-mini }, { provider: local, model: gpt-4o }] }\n`;
  const worker = await forkWorker(t, { config: loadConfigText(yaml, '/test/core.yaml', {}).config, env: { GATEWAYD_PRICES: file } });
  t.equal(worker.first.type, 'ready');
  const answer = await call(port, '/v1/chat/completions', { model: 'cheap', messages: [{ role: 'user', content: 'hi' }] });
  t.equal(answer.status, 200, answer.text);
  t.equal(answer.json<{ model: string }>().model, 'gpt-4o', 'the target the price file makes cheaper');
});
