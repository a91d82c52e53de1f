/**
 * What Gemini says in its error bodies: an invalid API key is a 400 INVALID_ARGUMENT with reason
 * API_KEY_INVALID (an auth failure: the key is rotated away from and the next target tried), and a
 * 429's wait is a RetryInfo detail, not a retry-after header. A 200 that carries an error (or
 * nothing at all) in place of candidates is a failed attempt, not an empty answer.
 */
import t from 'tap';
import { startFakeGemini, startFakeOpenai, type Behaviour } from '../fakes/index.js';
import { geminiError } from '../fakes/gemini.js';
import { geminiErrorHint } from '../../src/providers/gemini/errors.js';
import { call, startCoreWorker, startGeminiModel, startScripted } from './helpers.js';

const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }] });

t.test('the hint read from the body', async (t) => {
  const body = (value: unknown) => Buffer.from(JSON.stringify(value));
  const keyInvalid = { error: { code: 400, status: 'INVALID_ARGUMENT', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }] } };
  t.same(geminiErrorHint(400, body(keyInvalid)), { status: 401 });
  t.equal(geminiErrorHint(400, body(geminiError(400))), undefined, 'another 400 stays a bad request');
  const quota = { error: { code: 429, details: [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure' }, { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' }] } };
  t.same(geminiErrorHint(429, body(quota)), { retryAfterMs: 37_000 });
  t.same(geminiErrorHint(503, body({ error: { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.5s' }] } })), { retryAfterMs: 1_500 });
  for (const bad of ['', 'not json', 'null', '{"error":null}', '{"error":{"details":"x"}}', '{"error":{"details":[null,1,{"retryDelay":"soon"}]}}']) {
    t.equal(geminiErrorHint(429, Buffer.from(bad)), undefined, bad);
  }
  t.equal(geminiErrorHint(500, body(keyInvalid)), undefined, 'other statuses are not read');
});

t.test('an invalid configured key is rotated away from and fails over', async (t) => {
  const gemini = await startFakeGemini({ requireKey: 'GOOD' });
  const openai = await startFakeOpenai();
  t.teardown(() => Promise.all([gemini.close(), openai.close()]));
  const { port } = await startCoreWorker(
    t,
    `
routing: { retries: 1, backoff_initial: 1ms, backoff_max: 2ms, key_cooldown: 1m }
providers:
  - { name: ge, type: gemini, base_url: "${gemini.url}", api_keys: ["BAD", "GOOD"] }
  - { name: gebad, type: gemini, base_url: "${gemini.url}", api_keys: ["BAD"] }
  - { name: oa, type: openai, base_url: "${openai.url}", api_keys: ["sk-oa"] }
models:
  - { name: g, strategy: fallback, targets: [{ provider: ge, model: gemini-2.5-flash }, { provider: oa, model: gpt-4o-mini }] }
  - { name: bad-then-openai, strategy: fallback, targets: [{ provider: gebad, model: gemini-2.5-flash }, { provider: oa, model: gpt-4o-mini }] }
`,
  );
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await call(port, '/v1/chat/completions', chat('g'))).status);
  t.same(statuses, [200, 200, 200, 200], 'every request answered');
  t.ok(gemini.requests.filter((r) => r.key === 'BAD').length <= 1, `the bad key is cooled down after its first refusal (keys: ${gemini.requests.map((r) => r.key).join(',')})`);

  openai.reset();
  const failover = await call(port, '/v1/chat/completions', chat('bad-then-openai'));
  t.equal(failover.status, 200, 'an invalid key is a reason to try the next target');
  t.equal(openai.requests.length, 1);
});

t.test("Gemini's retryDelay is honoured like a retry-after header", async (t) => {
  const { gemini, port } = await startGeminiModel(t, 'g', 'gemini-2.5-flash');
  const quota = { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' }] } };
  gemini.script([{ kind: 'status', status: 429, body: quota }]);
  const answer = await call(port, '/v1/chat/completions', chat('g'));
  t.equal(answer.status, 429);
  t.equal(answer.headers['retry-after'], '37', 'the caller is told how long to wait');
});

t.test('a 200 with an error or without candidates is a failed attempt, quoted to the caller; a blocked prompt is an answer', async (t) => {
  const gemini = await startFakeGemini();
  // Gemini's stream endpoint answering 200 with a single SSE event: an error object.
  const sse = await startScripted(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('data: {"error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}}\r\n\r\n');
  });
  t.teardown(() => gemini.close());
  const { port } = await startCoreWorker(
    t,
    `
routing: { retries: 1, backoff_initial: 1ms, backoff_max: 2ms, breaker_threshold: 100 }
providers:
  - { name: ge, type: gemini, base_url: "${gemini.url}", api_keys: ["k"] }
  - { name: ge-sse, type: gemini, base_url: "${sse.url}", api_keys: ["k"] }
  - { name: local, type: mock, chunks: 2, chunk_delay: 0ms }
models:
  - { name: g, targets: [{ provider: ge, model: gemini-2.5-flash }] }
  - { name: g-sse, targets: [{ provider: ge-sse, model: gemini-2.5-flash }] }
  - { name: g-then-mock, strategy: fallback, targets: [{ provider: ge, model: gemini-2.5-flash }, { provider: local, model: demo }] }
`,
  );
  const internal = { kind: 'status' as const, status: 200, body: geminiError(500, 'Internal error encountered.') };
  // Model g has one target: its retry (retries: 1) goes to the same upstream.
  const twice = (behaviour: Behaviour) => gemini.script([behaviour, behaviour]);
  const messages = (model: string, stream = false) => ({ model, max_tokens: 50, stream, messages: [{ role: 'user', content: 'hi' }] });
  const anthropic = (body: unknown) => call(port, '/v1/messages', body, { 'anthropic-version': '2023-06-01' });

  for (const stream of [false, true]) {
    gemini.reset();
    twice(internal);
    const openai = await call(port, '/v1/chat/completions', { ...chat('g'), stream });
    t.equal(openai.status, 502, `OpenAI caller, stream ${stream}: ${openai.text}`);
    t.match(openai.json(), { error: { code: 'GW_ERR_UPSTREAM_ERROR', type: 'server_error', message: 'provider ge answered 200 with an error: Internal error encountered.' } });
    t.equal(gemini.requests.length, 2, 'a failed attempt: tried again');
    twice(internal);
    const claude = await anthropic(messages('g', stream));
    t.equal(claude.status, 502, `Anthropic caller, stream ${stream}: ${claude.text}`);
    t.match(claude.json(), { type: 'error', error: { type: 'api_error', message: /provider ge answered 200 with an error: Internal error encountered\./ } });
  }

  twice({ kind: 'status', status: 200, body: {} });
  const empty = await call(port, '/v1/chat/completions', chat('g'));
  t.equal(empty.status, 502, empty.text);
  t.match(empty.json(), { error: { code: 'GW_ERR_UPSTREAM_ERROR', message: /provider ge sent an answer the gateway cannot read: .*no candidates/ } });

  const sseAnswer = await call(port, '/v1/chat/completions', { ...chat('g-sse'), stream: true });
  t.equal(sseAnswer.status, 502, `a stream whose only event is an error: ${sseAnswer.text}`);
  t.match(sseAnswer.json(), { error: { code: 'GW_ERR_UPSTREAM_ERROR', message: /Internal error encountered\./ } });

  gemini.reset();
  gemini.script([internal]);
  const failover = await call(port, '/v1/chat/completions', chat('g-then-mock'));
  t.equal(failover.status, 200, failover.text);
  t.match(failover.json(), { choices: [{ message: { content: /\S/ } }] }, 'the next target answered');
  t.equal(gemini.requests.length, 1, 'the failed target was tried once');

  const blocked = { kind: 'status' as const, status: 200, body: { promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 } } };
  gemini.script([blocked]);
  const refused = await call(port, '/v1/chat/completions', chat('g'));
  t.equal(refused.status, 200, refused.text);
  t.match(refused.json(), { choices: [{ message: { content: null }, finish_reason: 'content_filter' }] }, 'a blocked prompt is still an answer');
  gemini.script([blocked]);
  const claudeRefused = await anthropic(messages('g'));
  t.equal(claudeRefused.status, 200, claudeRefused.text);
  t.match(claudeRefused.json(), { content: [], stop_reason: 'refusal' });
});
