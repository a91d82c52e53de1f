/**
 * Failover before the first byte (500, reset, connect refused, 429 with retry-after), the answer
 * when every attempt failed (in the caller's shape), timeouts, and failures after the first byte
 * (an error event in the caller's protocol, never a silent truncation).
 */
import t from 'tap';
import { startFakeAnthropic, startFakeOpenai } from '../fakes/index.js';
import { until, workerStats } from '../helpers.js';
import { call, closedPort, openaiChunks, sseFrames, startCoreWorker, startScripted } from './helpers.js';

const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'Say hello.' }], ...extra });
const ANTHROPIC = { 'anthropic-version': '2023-06-01' };

t.test('failover, retries and mid-stream failures', async (t) => {
  const a = await startFakeOpenai({ requireKey: 'sk-a', text: 'from A' });
  const b = await startFakeOpenai({ requireKey: 'sk-b', text: 'from B' });
  const an = await startFakeAnthropic({ requireKey: 'sk-an' });
  const c = await startFakeOpenai({ text: 'from C' });
  t.teardown(() => Promise.all([a.close(), b.close(), an.close(), c.close()]));
  // Sends two chunks at once, then nothing: the stream idle timeout must end it.
  const stall = await startScripted(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"id":"s","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"partial"},"finish_reason":null}]}\n\n');
  });
  // A 500 whose error body is long and never ends: only its start is needed to fail over.
  const trickle = await startScripted(t, (_req, res) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.write(`{"error":{"message":"${'x'.repeat(70_000)}`);
  });
  const dead = await closedPort();
  const { port, worker } = await startCoreWorker(
    t,
    `
routing: { retries: 1, backoff_initial: 10ms, backoff_max: 20ms, retry_after_max: 5s, breaker_threshold: 50, key_cooldown: 30s }
providers:
  - { name: a, type: openai, base_url: "${a.url}", api_keys: ["sk-a"] }
  - { name: b, type: openai, base_url: "${b.url}", api_keys: ["sk-b"] }
  - { name: dead, type: openai, base_url: "http://127.0.0.1:${dead}/v1", api_keys: ["sk-dead"] }
  - { name: an, type: anthropic, base_url: "${an.url}", api_keys: ["sk-an"] }
  - { name: stall, type: openai, base_url: "${stall.url}/v1" }
  - { name: trickle, type: openai, base_url: "${trickle.url}/v1" }
  - { name: c, type: openai, base_url: "${c.url}", api_keys: ["sk-c1", "sk-c2"] }
models:
  - { name: c-then-b, targets: [{ provider: c, model: gpt-4o-mini }, { provider: b, model: gpt-4o-mini }] }
  - { name: only-c, targets: [{ provider: c, model: gpt-4o-mini }] }
  - { name: ab, targets: [{ provider: a, model: gpt-4o-mini }, { provider: b, model: gpt-4o-mini }] }
  - { name: dead-b, targets: [{ provider: dead, model: gpt-4o-mini }, { provider: b, model: gpt-4o-mini }] }
  - { name: only-a, targets: [{ provider: a, model: gpt-4o-mini }] }
  - { name: only-an, targets: [{ provider: an, model: claude-x }] }
  - { name: stall, targets: [{ provider: stall, model: m }] }
  - { name: trickle-b, targets: [{ provider: trickle, model: m }, { provider: b, model: gpt-4o-mini }] }
`,
    'request_timeout: 800ms, stream_idle_timeout: 800ms',
  );
  const reset = () => [a, b, an].forEach((f) => f.reset());

  t.test('500, reset before headers, half a plain body: the next target answers', async (t) => {
    for (const behaviour of [{ kind: 'status', status: 500 }, { kind: 'reset-before-headers' }, { kind: 'reset-mid-stream', afterEvents: 0 }] as const) {
      reset();
      a.script([behaviour]);
      const r = await call(port, '/v1/chat/completions', chat('ab'));
      t.equal(r.status, 200, `${behaviour.kind}: ${r.text}`);
      t.equal(r.json<{ choices: Array<{ message: { content: string } }> }>().choices[0]?.message.content, 'from B');
      t.equal(a.requests.length, 1);
      t.equal(b.requests.length, 1);
    }
  });

  t.test('streamed: a failure before the first byte still fails over', async (t) => {
    reset();
    a.script([{ kind: 'reset-mid-stream', afterEvents: 0 }]);
    const r = await call(port, '/v1/chat/completions', chat('ab', { stream: true }));
    t.equal(r.status, 200);
    t.equal(openaiChunks(r.text).map((c) => (c as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '').join(''), 'from B');
    t.ok(r.text.endsWith('data: [DONE]\n\n'));
  });

  t.test('connect refused: the next target answers', async (t) => {
    reset();
    const r = await call(port, '/v1/chat/completions', chat('dead-b'));
    t.equal(r.status, 200, r.text);
    t.equal(b.requests.length, 1);
  });

  t.test('every attempt fails: 502 in the caller\'s shape, retried per routing.retries', async (t) => {
    reset();
    a.script([{ kind: 'status', status: 500 }, { kind: 'status', status: 500 }]);
    const r = await call(port, '/v1/chat/completions', chat('only-a'));
    t.equal(r.status, 502);
    t.match(r.json(), { error: { code: 'GW_ERR_UPSTREAM_ERROR', type: 'server_error', message: /provider a answered 500/ } });
    t.equal(a.requests.length, 2, 'one try and one retry');

    a.script([{ kind: 'status', status: 500 }, { kind: 'status', status: 503, headers: { 'retry-after': '1' } }]);
    const anthropicShape = await call(port, '/v1/messages', { model: 'only-a', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, ANTHROPIC);
    t.equal(anthropicShape.status, 503);
    t.match(anthropicShape.json(), { type: 'error', error: { type: 'overloaded_error', message: /provider a answered 503/ } });
    t.equal(anthropicShape.headers['retry-after'], '1', 'the upstream retry-after travels along');
  });

  t.test('a stream broken after its first byte ends with an error event', async (t) => {
    reset();
    a.script([{ kind: 'reset-mid-stream', afterEvents: 2 }]);
    const r = await call(port, '/v1/chat/completions', chat('only-a', { stream: true }));
    t.equal(r.status, 200);
    const frames = sseFrames(r.text);
    t.notOk(frames.some((f) => f.data === '[DONE]'), 'no [DONE]');
    t.match(JSON.parse(frames.at(-1)?.data ?? '{}'), { error: { code: 'GW_ERR_STREAM_INTERRUPTED', type: 'server_error' } });
    t.equal(a.requests.length, 1, 'no retry once bytes reached the caller');

    an.script([{ kind: 'reset-mid-stream', afterEvents: 3 }]);
    const native = await call(port, '/v1/messages', { model: 'only-an', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'x' }] }, ANTHROPIC);
    const events = sseFrames(native.text);
    t.equal(events.at(-1)?.event, 'error');
    t.match(JSON.parse(events.at(-1)?.data ?? '{}'), { type: 'error', error: { type: 'api_error' } });
    t.notOk(events.some((e) => e.event === 'message_stop'));

    an.script([{ kind: 'reset-mid-stream', afterEvents: 4 }]);
    const translated = sseFrames((await call(port, '/v1/chat/completions', chat('only-an', { stream: true }))).text);
    t.match(JSON.parse(translated.at(-1)?.data ?? '{}'), { error: { code: 'GW_ERR_STREAM_INTERRUPTED' } }, 'translated streams too, in the caller\'s shape');
  });

  t.test('stream idle timeout after the first byte: an error event', async (t) => {
    const r = await call(port, '/v1/chat/completions', chat('stall', { stream: true, stream_options: { include_usage: true } }));
    t.equal(r.status, 200);
    const frames = sseFrames(r.text);
    t.match(JSON.parse(frames[0]?.data ?? '{}'), { choices: [{ delta: { content: 'partial' } }] });
    t.match(JSON.parse(frames.at(-1)?.data ?? '{}'), { error: { code: 'GW_ERR_UPSTREAM_TIMEOUT', message: /sent nothing for 800 ms/ } });
    await until('the stalled upstream request was dropped', () => stall.requests[0]?.aborted === true);
    t.equal(stall.requests.length, 1, 'and not retried');
  });

  t.test('request timeout: 504', async (t) => {
    reset();
    a.script([{ kind: 'hang' }, { kind: 'hang' }]);
    const r = await call(port, '/v1/chat/completions', chat('only-a'));
    t.equal(r.status, 504);
    t.match(r.json(), { error: { code: 'GW_ERR_UPSTREAM_TIMEOUT', message: /did not answer within 800 ms/ } });
    await a.waitFor('both hung requests closed by the gateway', (requests) => requests.length === 2 && requests.every((q) => q.aborted));
  });

  t.test('an error body that never ends: failover after its first 64 KiB, not after the idle timeout', async (t) => {
    reset();
    const started = performance.now();
    const r = await call(port, '/v1/chat/completions', chat('trickle-b'));
    const took = performance.now() - started;
    t.equal(r.status, 200);
    t.match(r.json(), { choices: [{ message: { content: 'from B' } }] });
    t.ok(took < 600, `answered in ${Math.round(took)} ms (the stream idle timeout is 800 ms)`);
    t.equal(trickle.requests.length, 1);
    await until('the trickling upstream saw its connection closed', () => trickle.requests[0]?.aborted === true);
  });

  t.test('429 with retry-after: next target now; with several keys, the key cools down', async (t) => {
    reset();
    a.script([{ kind: 'status', status: 429, headers: { 'retry-after': '1' } }]);
    const r = await call(port, '/v1/chat/completions', chat('ab'));
    t.equal(r.status, 200);
    t.equal(a.requests.length, 1, 'A is not re-tried before its retry-after');
    t.equal(b.requests.length, 1, 'B answered');

    c.reset();
    c.script([{ kind: 'status', status: 429 }]);
    for (let i = 0; i < 3; i++) t.equal((await call(port, '/v1/chat/completions', chat('c-then-b'))).status, 200);
    t.same(c.requests.map((q) => q.key), ['sk-c1', 'sk-c2', 'sk-c2'], 'the rate-limited key is skipped while it cools down');

    c.reset();
    c.script([{ kind: 'status', status: 429, headers: { 'retry-after': '0' } }, { kind: 'status', status: 429, headers: { 'retry-after': '0' } }]);
    const limited = await call(port, '/v1/messages', { model: 'only-c', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, ANTHROPIC);
    t.equal(limited.status, 429, 'an upstream rate limit that outlasts the retries is a 429');
    t.match(limited.json(), { type: 'error', error: { type: 'rate_limit_error', message: /provider c answered 429/ } });

    a.reset();
    a.script([{ kind: 'status', status: 429, headers: { 'retry-after': '0' } }, { kind: 'status', status: 429, headers: { 'retry-after': '0' } }]);
    const limitedOpenai = await call(port, '/v1/chat/completions', chat('only-a'));
    t.equal(limitedOpenai.status, 429);
    t.match(limitedOpenai.json(), { error: { type: 'rate_limit_error', code: 'GW_ERR_UPSTREAM_RATE_LIMITED', message: /provider a answered 429/ } }, "the provider's limit has a code of its own, not the gateway's GW_ERR_RATE_LIMITED");
  });

  t.test('bookkeeping is back to zero', async (t) => {
    t.match(await workerStats(worker), { inFlight: 0, activeStreams: 0 });
    t.equal(worker.stderr(), '', 'nothing on stderr');
  });
});
