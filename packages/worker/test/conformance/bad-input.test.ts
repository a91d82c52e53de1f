/**
 * Bad input of every shape, in both protocols, against the real gateway (auth.mode gateway):
 * malformed JSON, wrong types, huge bodies (413, with and without content-length), unknown models,
 * missing / wrong keys, a model the key may not call, unknown paths. Each asserts the status and the
 * exact error shape: OpenAI `{error:{message,type,param,code}}`, Anthropic
 * `{type:"error",error:{type,message}}`. No input may crash a worker.
 */
import t from 'tap';
import { request } from 'node:http';
import { fixtures, startGateway } from '../fakes/index.js';
import type { Asserts } from './expect-upstream.js';
import { counts, gatewayYaml, GW_KEY, MODELS, startUpstreams, type Json } from './setup.js';

const LIMITED_KEY = 'gw-limited-key-9876543210';
const up = await startUpstreams(t);
const gw = await startGateway(t, gatewayYaml(up, { auth: `{ mode: gateway, keys: [{ name: conformance, key: "${GW_KEY}" }, { name: limited, key: "${LIMITED_KEY}", models: ["${MODELS.mock}"] }] }` }));

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request on a fresh connection; `body` as chunks is sent chunked (no content-length). */
function send(method: string, path: string, headers: Record<string, string>, body?: string | string[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gw.port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    // The gateway may answer (413) and close before the whole body is written: that is fine.
    req.on('error', (err) => setTimeout(() => reject(err), 500));
    if (Array.isArray(body)) {
      for (const piece of body) req.write(piece);
      req.end();
    } else {
      req.end(body);
    }
  });
}

const openaiHeaders = (extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', authorization: `Bearer ${GW_KEY}`, ...extra });
const anthropicHeaders = (extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', 'x-api-key': GW_KEY, 'anthropic-version': '2023-06-01', ...extra });

function openaiError(t: Asserts, res: Answer, status: number, code: string | RegExp, type: string, label: string): Json {
  t.equal(res.status, status, `${label}: status ${status} (body ${res.text.slice(0, 300)})`);
  t.match(res.headers['content-type'], /^application\/json/, `${label}: JSON`);
  t.ok(res.headers['x-request-id'], `${label}: x-request-id`);
  let body: Json = {};
  try {
    body = JSON.parse(res.text) as Json;
  } catch {
    t.fail(`${label}: body is not JSON: ${res.text.slice(0, 200)}`);
    return body;
  }
  t.same(Object.keys(body), ['error'], `${label}: {error:{...}} only`);
  t.same(Object.keys(body.error ?? {}).sort(), ['code', 'message', 'param', 'type'], `${label}: error has message, type, param, code`);
  t.equal(body.error?.type, type, `${label}: type`);
  t.match(body.error?.code, code, `${label}: code`);
  t.match(body.error?.message, /\S/, `${label}: a message`);
  return body;
}

function anthropicError(t: Asserts, res: Answer, status: number, type: string, label: string): Json {
  t.equal(res.status, status, `${label}: status ${status} (body ${res.text.slice(0, 300)})`);
  t.match(res.headers['content-type'], /^application\/json/, `${label}: JSON`);
  t.ok(res.headers['x-request-id'], `${label}: x-request-id`);
  let body: Json = {};
  try {
    body = JSON.parse(res.text) as Json;
  } catch {
    t.fail(`${label}: body is not JSON: ${res.text.slice(0, 200)}`);
    return body;
  }
  t.same(Object.keys(body).sort(), ['error', 'type'], `${label}: {type, error} only`);
  t.equal(body.type, 'error', `${label}: type "error"`);
  t.same(Object.keys(body.error ?? {}).sort(), ['message', 'type'], `${label}: error has type, message`);
  t.equal(body.error?.type, type, `${label}: error.type`);
  t.match(body.error?.message, /\S/, `${label}: a message`);
  return body;
}

const workersBefore = await workerPids();

async function workerPids(): Promise<number[]> {
  const status = await gw.cli('status', '--json', '--pid-file', gw.pidFile);
  const report = JSON.parse(status.stdout) as { workers: Array<{ pid: number }> };
  return report.workers.map((w) => w.pid).sort();
}

t.test('malformed and non-object JSON', async (t) => {
  for (const raw of ['{"model":', '{model: "x"}', '{"a":1}}', '\u0000\u0001']) {
    openaiError(t, await send('POST', '/v1/chat/completions', openaiHeaders(), raw), 400, 'GW_ERR_BAD_JSON', 'invalid_request_error', `chat ${JSON.stringify(raw)}`);
    anthropicError(t, await send('POST', '/v1/messages', anthropicHeaders(), raw), 400, 'invalid_request_error', `messages ${JSON.stringify(raw)}`);
  }
  for (const raw of ['[1,2]', '"text"', 'null', '42']) {
    openaiError(t, await send('POST', '/v1/chat/completions', openaiHeaders(), raw), 400, /^GW_ERR_BAD_(REQUEST|JSON)$/, 'invalid_request_error', `chat ${raw}`);
    anthropicError(t, await send('POST', '/v1/messages', anthropicHeaders(), raw), 400, 'invalid_request_error', `messages ${raw}`);
  }
  // One byte order mark is ignored (and not forwarded); a second one is not JSON.
  const body = JSON.stringify(fixtures.openai.text(MODELS.mock));
  t.equal((await send('POST', '/v1/chat/completions', openaiHeaders(), `\ufeff${body}`)).status, 200, 'one BOM');
  openaiError(t, await send('POST', '/v1/chat/completions', openaiHeaders(), `\ufeff\ufeff${body}`), 400, 'GW_ERR_BAD_JSON', 'invalid_request_error', 'chat with two BOMs');
  openaiError(t, await send('POST', '/v1/chat/completions', openaiHeaders(), ''), 400, /^GW_ERR_BAD_(REQUEST|JSON)$/, 'invalid_request_error', 'chat empty body');
  anthropicError(t, await send('POST', '/v1/messages', anthropicHeaders(), ''), 400, 'invalid_request_error', 'messages empty body');
});

t.test('wrong types: 400 naming the field (OpenAI)', async (t) => {
  const base = fixtures.openai.text(MODELS.mock);
  const cases: Array<[string, unknown]> = [
    ['model', { ...base, model: 42 }],
    ['model', { messages: base.messages }],
    ['messages', { ...base, messages: 'hello' }],
    ['messages', { ...base, messages: [] }],
    ['role', { ...base, messages: [{ role: 'wizard', content: 'x' }] }],
    ['content', { ...base, messages: [{ role: 'user', content: 42 }] }],
    ['max_tokens', { ...base, max_tokens: 'ten' }],
    ['temperature', { ...base, temperature: 'hot' }],
    ['stream', { ...base, stream: 'yes' }],
    ['tools', { ...base, tools: 'get_weather' }],
  ];
  for (const [field, body] of cases) {
    const error = openaiError(t, await send('POST', '/v1/chat/completions', openaiHeaders(), JSON.stringify(body)), 400, 'GW_ERR_BAD_REQUEST', 'invalid_request_error', `chat ${field}`);
    t.ok(String(error.error?.message).includes(field), `the message names "${field}": ${String(error.error?.message)}`);
    // OpenAI names the offending field in error.param (the SDKs expose it as err.param).
    t.match(error.error?.param, new RegExp(`(^|[.\\]])${field}($|\\[)`), `error.param names "${field}": ${String(error.error?.param)}`);
  }
  const completion = openaiError(t, await send('POST', '/v1/completions', openaiHeaders(), JSON.stringify({ model: MODELS.mock })), 400, 'GW_ERR_BAD_REQUEST', 'invalid_request_error', 'completions without prompt');
  t.ok(String(completion.error?.message).includes('prompt'), 'names "prompt"');
  const embedding = openaiError(t, await send('POST', '/v1/embeddings', openaiHeaders(), JSON.stringify({ model: MODELS.openai, input: 42 })), 400, 'GW_ERR_BAD_REQUEST', 'invalid_request_error', 'embeddings with a numeric input');
  t.ok(String(embedding.error?.message).includes('input'), 'names "input"');
});

t.test('wrong types: 400 naming the field (Anthropic)', async (t) => {
  const base = fixtures.anthropic.text(MODELS.mock);
  const cases: Array<[string, unknown]> = [
    ['model', { ...base, model: 42 }],
    ['max_tokens', { model: base.model, messages: base.messages }],
    ['max_tokens', { ...base, max_tokens: '64' }],
    ['messages', { ...base, messages: 'hello' }],
    ['role', { ...base, messages: [{ role: 'system', content: 'x' }] }],
    ['content', { ...base, messages: [{ role: 'user', content: 42 }] }],
    ['system', { ...base, system: 42 }],
    ['stop_sequences', { ...base, stop_sequences: 'END' }],
  ];
  for (const [field, body] of cases) {
    const error = anthropicError(t, await send('POST', '/v1/messages', anthropicHeaders(), JSON.stringify(body)), 400, 'invalid_request_error', `messages ${field}`);
    t.ok(String(error.error?.message).includes(field), `the message names "${field}": ${String(error.error?.message)}`);
  }
  const count = anthropicError(t, await send('POST', '/v1/messages/count_tokens', anthropicHeaders(), JSON.stringify({ model: MODELS.mock, messages: 'x' })), 400, 'invalid_request_error', 'count_tokens messages');
  t.ok(String(count.error?.message).includes('messages'));
});

t.test('a tool_choice forcing a tool the request does not offer: 400 naming it, for every provider, nothing sent upstream', async (t) => {
  const user = [{ role: 'user', content: 'hi' }];
  const before = counts(up);
  for (const model of Object.values(MODELS)) {
    const openaiCases: Array<[string, Record<string, unknown>, string, RegExp]> = [
      ['an unknown function', { tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: { type: 'function', function: { name: 'nope' } } }, 'tool_choice.function.name', /"nope"/],
      ['"required" without tools', { tool_choice: 'required' }, 'tool_choice', /"required" is only allowed when "tools" are specified/],
    ];
    for (const [label, extra, param, message] of openaiCases) {
      const body = JSON.stringify({ model, messages: user, ...extra });
      const error = openaiError(t, await send('POST', '/v1/chat/completions', openaiHeaders(), body), 400, 'GW_ERR_BAD_REQUEST', 'invalid_request_error', `chat to ${model}, ${label}`);
      t.equal(error.error?.param, param, `error.param is ${param}`);
      t.match(error.error?.message, message, `the message says why: ${String(error.error?.message)}`);
    }
    const anthropicCases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['an unknown tool', { tools: [{ name: 'f', input_schema: { type: 'object' } }], tool_choice: { type: 'tool', name: 'nope' } }, /^tool_choice\.name: no tool named "nope"/],
      ['"any" without tools', { tool_choice: { type: 'any' } }, /^tool_choice\.type: "any" is only allowed when "tools" are specified/],
      ['a named tool without tools', { tool_choice: { type: 'tool', name: 'f' } }, /^tool_choice\.name: no tool named "f"/],
    ];
    for (const [label, extra, message] of anthropicCases) {
      const body = JSON.stringify({ model, max_tokens: 5, messages: user, ...extra });
      const error = anthropicError(t, await send('POST', '/v1/messages', anthropicHeaders(), body), 400, 'invalid_request_error', `messages to ${model}, ${label}`);
      t.match(error.error?.message, message, `the message names tool_choice and why: ${String(error.error?.message)}`);
    }
  }
  t.same(counts(up), before, 'nothing reached an upstream');
  // Without tools, "none" and "auto" (both protocols) are still served.
  for (const choice of ['none', 'auto']) {
    const res = await send('POST', '/v1/chat/completions', openaiHeaders(), JSON.stringify({ model: MODELS.mock, messages: user, tool_choice: choice }));
    t.equal(res.status, 200, `chat "${choice}" without tools`);
  }
  for (const type of ['auto', 'none']) {
    const res = await send('POST', '/v1/messages', anthropicHeaders(), JSON.stringify({ model: MODELS.mock, max_tokens: 5, messages: user, tool_choice: { type } }));
    t.equal(res.status, 200, `messages "${type}" without tools`);
  }
});

t.test('huge bodies: 413, with and without content-length', async (t) => {
  const huge = JSON.stringify({ ...fixtures.openai.text(MODELS.mock), messages: [{ role: 'user', content: 'x'.repeat(200 * 1024) }] });
  openaiError(t, await send('POST', '/v1/chat/completions', openaiHeaders(), huge), 413, 'GW_ERR_BODY_TOO_LARGE', 'invalid_request_error', 'chat content-length');
  const chunks = Array.from({ length: 50 }, () => 'x'.repeat(4096));
  openaiError(t, await send('POST', '/v1/chat/completions', openaiHeaders(), ['{"model":"mock-model","messages":[{"role":"user","content":"', ...chunks, '"}]}']), 413, 'GW_ERR_BODY_TOO_LARGE', 'invalid_request_error', 'chat chunked');
  const hugeAnthropic = JSON.stringify({ ...fixtures.anthropic.text(MODELS.mock), messages: [{ role: 'user', content: 'x'.repeat(200 * 1024) }] });
  anthropicError(t, await send('POST', '/v1/messages', anthropicHeaders(), hugeAnthropic), 413, 'request_too_large', 'messages content-length');
  anthropicError(t, await send('POST', '/v1/messages', anthropicHeaders(), ['{"model":"mock-model","max_tokens":5,"messages":[{"role":"user","content":"', ...chunks, '"}]}']), 413, 'request_too_large', 'messages chunked');
  // Just under the limit is fine.
  const fits = JSON.stringify({ ...fixtures.openai.text(MODELS.mock), messages: [{ role: 'user', content: 'y'.repeat(60 * 1024) }] });
  t.equal((await send('POST', '/v1/chat/completions', openaiHeaders(), fits)).status, 200, 'a body under body_limit is served');
});

t.test('unknown model: 404', async (t) => {
  const openai = openaiError(t, await send('POST', '/v1/chat/completions', openaiHeaders(), JSON.stringify(fixtures.openai.text('gpt-nonexistent'))), 404, 'GW_ERR_UNKNOWN_MODEL', 'invalid_request_error', 'chat');
  t.ok(String(openai.error?.message).includes('gpt-nonexistent'), 'names the model');
  const anthropic = anthropicError(t, await send('POST', '/v1/messages', anthropicHeaders(), JSON.stringify(fixtures.anthropic.text('claude-nonexistent'))), 404, 'not_found_error', 'messages');
  t.ok(String(anthropic.error?.message).includes('claude-nonexistent'), 'names the model');
  openaiError(t, await send('POST', '/v1/embeddings', openaiHeaders(), JSON.stringify({ model: 'embed-nonexistent', input: 'x' })), 404, 'GW_ERR_UNKNOWN_MODEL', 'invalid_request_error', 'embeddings');
  openaiError(t, await send('POST', '/v1/completions', openaiHeaders(), JSON.stringify({ model: 'instruct-nonexistent', prompt: 'x' })), 404, 'GW_ERR_UNKNOWN_MODEL', 'invalid_request_error', 'completions');
});

t.test('missing or wrong key: 401 (auth.mode gateway); the right key either way in', async (t) => {
  const chat = JSON.stringify(fixtures.openai.text(MODELS.mock));
  const messages = JSON.stringify(fixtures.anthropic.text(MODELS.mock));
  openaiError(t, await send('POST', '/v1/chat/completions', { 'content-type': 'application/json' }, chat), 401, 'GW_ERR_UNAUTHORIZED', 'authentication_error', 'chat no key');
  openaiError(t, await send('POST', '/v1/chat/completions', openaiHeaders({ authorization: 'Bearer sk-wrong' }), chat), 401, 'GW_ERR_UNAUTHORIZED', 'authentication_error', 'chat wrong bearer');
  openaiError(t, await send('POST', '/v1/chat/completions', { 'content-type': 'application/json', authorization: 'Basic Zm9vOmJhcg==' }, chat), 401, 'GW_ERR_UNAUTHORIZED', 'authentication_error', 'chat non-bearer scheme');
  anthropicError(t, await send('POST', '/v1/messages', { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, messages), 401, 'authentication_error', 'messages no key');
  anthropicError(t, await send('POST', '/v1/messages', anthropicHeaders({ 'x-api-key': 'sk-ant-wrong' }), messages), 401, 'authentication_error', 'messages wrong x-api-key');
  anthropicError(t, await send('POST', '/v1/messages/count_tokens', anthropicHeaders({ 'x-api-key': 'sk-ant-wrong' }), messages), 401, 'authentication_error', 'count_tokens wrong key');
  openaiError(t, await send('GET', '/v1/models', {}), 401, 'GW_ERR_UNAUTHORIZED', 'authentication_error', 'models no key');
  anthropicError(t, await send('GET', '/v1/models', { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-wrong' }), 401, 'authentication_error', 'models wrong key, an Anthropic caller (models.list)');
  // A wrong key is refused before the body is even looked at.
  openaiError(t, await send('POST', '/v1/chat/completions', openaiHeaders({ authorization: 'Bearer sk-wrong' }), '{"model":'), 401, 'GW_ERR_UNAUTHORIZED', 'authentication_error', 'chat wrong key and bad JSON');
  t.equal((await send('POST', '/v1/chat/completions', { 'content-type': 'application/json', 'x-api-key': GW_KEY }, chat)).status, 200, 'x-api-key works on the OpenAI endpoint');
  t.equal((await send('POST', '/v1/messages', { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', authorization: `Bearer ${GW_KEY}` }, messages)).status, 200, 'Bearer works on the Anthropic endpoint');
  t.same([up.openai.requests.length, up.anthropic.requests.length, up.gemini.requests.length], [0, 0, 0], 'nothing reached an upstream');
});

t.test('a key limited to some models: 403 for the others', async (t) => {
  openaiError(t, await send('POST', '/v1/chat/completions', openaiHeaders({ authorization: `Bearer ${LIMITED_KEY}` }), JSON.stringify(fixtures.openai.text(MODELS.anthropic))), 403, 'GW_ERR_FORBIDDEN_MODEL', 'permission_error', 'chat other model');
  anthropicError(t, await send('POST', '/v1/messages', anthropicHeaders({ 'x-api-key': LIMITED_KEY }), JSON.stringify(fixtures.anthropic.text(MODELS.openai))), 403, 'permission_error', 'messages other model');
  t.equal((await send('POST', '/v1/chat/completions', openaiHeaders({ authorization: `Bearer ${LIMITED_KEY}` }), JSON.stringify(fixtures.openai.text(MODELS.mock)))).status, 200, 'the allowed model is served');
  t.same([up.openai.requests.length, up.anthropic.requests.length], [0, 0], 'nothing reached an upstream');
});

t.test('unknown paths and wrong methods', async (t) => {
  openaiError(t, await send('POST', '/v1/nope', openaiHeaders(), '{}'), 404, 'GW_ERR_NOT_FOUND', 'invalid_request_error', 'unknown path');
  openaiError(t, await send('GET', '/v1/chat/completions', openaiHeaders()), 405, 'GW_ERR_METHOD_NOT_ALLOWED', 'invalid_request_error', 'GET chat');
  anthropicError(t, await send('GET', '/v1/messages', anthropicHeaders()), 405, 'invalid_request_error', 'GET messages');
  anthropicError(t, await send('POST', '/v1/models', anthropicHeaders(), '{}'), 405, 'invalid_request_error', 'POST models from the Anthropic SDK');
  openaiError(t, await send('POST', '/v1/models', openaiHeaders(), '{}'), 405, 'GW_ERR_METHOD_NOT_ALLOWED', 'invalid_request_error', 'POST models from an OpenAI caller');
  t.equal((await send('GET', '/v1/chat/completions', openaiHeaders())).headers.allow, 'POST, OPTIONS', 'a 405 says what is allowed (RFC 9110)');
  t.equal((await send('OPTIONS', '/v1/chat/completions', {})).headers.allow, 'POST, OPTIONS', 'so does OPTIONS, per route');
  t.equal((await send('OPTIONS', '/v1/models', {})).headers.allow, 'GET, HEAD, OPTIONS');
  const head = await send('HEAD', '/v1/models', openaiHeaders());
  t.same([head.status, head.text], [200, ''], 'HEAD /v1/models as GET, without a body');
});

t.test('GET /v1/models/{id} (models.retrieve): the model, or 404 in the caller\'s shape', async (t) => {
  const found = await send('GET', `/v1/models/${encodeURIComponent(MODELS.mock)}`, openaiHeaders());
  t.equal(found.status, 200);
  t.match(JSON.parse(found.text), { id: MODELS.mock, object: 'model', owned_by: 'gatewayd' });
  const anthropic = await send('GET', `/v1/models/${encodeURIComponent(MODELS.mock)}`, anthropicHeaders());
  t.match(JSON.parse(anthropic.text), { type: 'model', id: MODELS.mock, display_name: MODELS.mock });
  openaiError(t, await send('GET', '/v1/models/nope', openaiHeaders()), 404, 'GW_ERR_UNKNOWN_MODEL', 'invalid_request_error', 'unknown model');
  openaiError(t, await send('GET', '/v1/models/meta-llama/Llama-3.1-8B', openaiHeaders()), 404, 'GW_ERR_UNKNOWN_MODEL', 'invalid_request_error', 'a name with a slash reaches the model route');
  anthropicError(t, await send('GET', '/v1/models/nope', anthropicHeaders()), 404, 'not_found_error', 'unknown model, Anthropic shape');
  openaiError(t, await send('GET', `/v1/models/${encodeURIComponent(MODELS.anthropic)}`, openaiHeaders({ authorization: `Bearer ${LIMITED_KEY}` })), 404, 'GW_ERR_UNKNOWN_MODEL', 'invalid_request_error', 'a model the key may not use does not exist for it');
});

t.test('a model name over 256 characters: 400 on every endpoint', async (t) => {
  const model = 'm'.repeat(257);
  const user = [{ role: 'user', content: 'x' }];
  const openaiCases: Array<[string, unknown]> = [
    ['/v1/chat/completions', fixtures.openai.text(model)],
    ['/v1/completions', { model, prompt: 'x' }],
    ['/v1/embeddings', { model, input: 'x' }],
  ];
  for (const [path, body] of openaiCases) {
    const error = openaiError(t, await send('POST', path, openaiHeaders(), JSON.stringify(body)), 400, 'GW_ERR_BAD_REQUEST', 'invalid_request_error', `${path} long model`);
    t.match(error.error?.message, /^model: expected at most 256 characters, got 257/, `${path}: names model`);
  }
  for (const [path, body] of [['/v1/messages', fixtures.anthropic.text(model)], ['/v1/messages/count_tokens', { model, messages: user }]] as const) {
    const error = anthropicError(t, await send('POST', path, anthropicHeaders(), JSON.stringify(body)), 400, 'invalid_request_error', `${path} long model`);
    t.match(error.error?.message, /^model: expected at most 256 characters/, `${path}: names model`);
  }
});

t.test('a body nested 20k levels deep: 400, not a stack overflow (500)', async (t) => {
  // Inside a tool schema, which translation carries over and serializes (recursively) again.
  const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
  const parameters = `{"type":"object","properties":{"x":{"enum":${deep}}}}`;
  const before = counts(up);
  for (const model of [MODELS.openai, MODELS.anthropic]) {
    const raw = `{"model":"${model}","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":${parameters}}}]}`;
    const error = openaiError(t, await send('POST', '/v1/chat/completions', openaiHeaders(), raw), 400, 'GW_ERR_BAD_REQUEST', 'invalid_request_error', `chat to ${model}`);
    t.match(error.error?.message, /^tools: nested more than 128 levels deep/, 'names the top-level field');
  }
  for (const model of [MODELS.anthropic, MODELS.openai]) {
    const raw = `{"model":"${model}","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":${parameters}}]}`;
    const error = anthropicError(t, await send('POST', '/v1/messages', anthropicHeaders(), raw), 400, 'invalid_request_error', `messages to ${model}`);
    t.match(error.error?.message, /^tools: nested more than 128 levels deep/);
  }
  t.same(counts(up), before, 'nothing reached an upstream');
});

t.test('a data: URL with a bad % escape, translated: 400, not a URIError (500)', async (t) => {
  const url = 'data:image/png,%E0%A4%A';
  const before = counts(up);
  for (const model of [MODELS.anthropic, MODELS.gemini]) {
    const body = { model, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }] };
    const error = openaiError(t, await send('POST', '/v1/chat/completions', openaiHeaders(), JSON.stringify(body)), 400, 'GW_ERR_BAD_REQUEST', 'invalid_request_error', `chat to ${model}`);
    t.match(error.error?.message, /percent-encoding/);
  }
  const body = { model: MODELS.gemini, max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url } }] }] };
  const error = anthropicError(t, await send('POST', '/v1/messages', anthropicHeaders(), JSON.stringify(body)), 400, 'invalid_request_error', 'messages to gemini');
  t.match(error.error?.message, /percent-encoding/);
  t.same(counts(up), before, 'nothing reached an upstream');
});

t.test('no bad input crashed a worker', async (t) => {
  t.same(await workerPids(), workersBefore, 'the same workers serve');
  t.equal((await send('GET', '/health', {})).status, 200);
});
