/**
 * What Gemini says in its error bodies: an invalid API key is a 400 INVALID_ARGUMENT with reason
 * API_KEY_INVALID (an auth failure: the key is rotated away from and the next target tried), and a
 * 429's wait is a RetryInfo detail, not a retry-after header.
 */
import t from 'tap';
import { startFakeGemini, startFakeOpenai } from '../fakes/index.js';
import { geminiError } from '../fakes/gemini.js';
import { geminiErrorHint } from '../../src/providers/gemini/errors.js';
import { call, startCoreWorker, startGeminiModel } from './helpers.js';

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
