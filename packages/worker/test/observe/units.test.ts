/** Secret scrubbing, completion capture, OTLP span encoding and cost precedence, in isolation. */
import t from 'tap';
import { loadConfigText, redactConfig } from '@gatewayd/shared';
import { PriceTable } from '../../src/metrics/index.js';
import { CostBook } from '../../src/observe/cost.js';
import { configSecrets, secretScrubber } from '../../src/observe/index.js';
import { CompletionCapture, MAX_LOGGED_CHARS, clip } from '../../src/observe/prompts.js';
import { parseTraceparent, unixNanos } from '../../src/observe/tracing/span.js';
import { Router } from '../../src/routing/index.js';

t.test('secrets: every configured secret and provider-key shapes are scrubbed from a serialised line', async (t) => {
  const { config } = loadConfigText(
    `
admin: { token: 'admin-"quoted"-123' }
auth: { keys: [{ name: a, key: gw-key-plain-123456 }] }
state: { redis: { url: "redis://u:redis-pass-123456@h:6379" } }
tracing: { headers: { authorization: "Bearer otel-token-123456" } }
providers:
  - { name: p, type: openai, api_keys: [provider-key-123456, short], headers: { x-api-token: header-token-123456, x-trace: not-a-secret-value }, query: { key: query-key-123456 } }
models: []
`,
    '/t.yaml',
    {},
  );
  const secrets = configSecrets(config);
  t.notOk(secrets.includes('short'), 'too short to scrub safely');
  t.notOk(secrets.includes('not-a-secret-value'), 'only credential-named headers');
  const scrub = secretScrubber(secrets);
  const line = JSON.stringify({ msg: 'x', err: 'provider-key-123456 gw-key-plain-123456 redis-pass-123456 otel-token-123456 header-token-123456 query-key-123456', k: 'admin-"quoted"-123', caller: 'sk-proj-abcdefghijklmnop1234 AIzaSyA1234567890abcdefghijklmnopqrstu' });
  const out = scrub(line);
  t.same(JSON.parse(out), { msg: 'x', err: '[REDACTED] [REDACTED] [REDACTED] [REDACTED] [REDACTED] [REDACTED]', k: '[REDACTED]', caller: '[REDACTED] [REDACTED]' }, 'still valid JSON, JSON-escaped secrets included');
  t.equal(scrub('{"msg":"nothing here"}'), '{"msg":"nothing here"}');
});

t.test('secrets: the header and query names /admin/config redacts are the ones scrubbed from logs', async (t) => {
  const { config } = loadConfigText(
    `
providers:
  - { name: p, type: openai, headers: { x-db-pwd: pwd-header-123456, x-passphrase: pass-header-123456 }, query: { password: pass-query-123456 } }
models: []
`,
    '/t.yaml',
    {},
  );
  const secrets = configSecrets(config);
  for (const value of ['pwd-header-123456', 'pass-header-123456', 'pass-query-123456']) t.ok(secrets.includes(value), `${value} is scrubbed`);
  const redacted = JSON.stringify(redactConfig(config));
  for (const value of ['pwd-header-123456', 'pass-header-123456', 'pass-query-123456']) t.notOk(redacted.includes(value), `${value} is redacted`);
});

t.test('secrets: a query credential or password is scrubbed as a URL carries it, percent- or form-encoded', async (t) => {
  const { config } = loadConfigText(
    `
state: { redis: { url: "redis://u:p%40ss%2Fword+123@h:6379" } }
providers:
  - { name: p, type: openai, query: { sig: "sv/2024+sig=abc def" } }
models: []
`,
    '/t.yaml',
    {},
  );
  const upstreamUrl = new URL('https://example.test/v1/chat/completions');
  for (const [name, value] of Object.entries(config.providers[0]!.query)) upstreamUrl.searchParams.set(name, value);
  const scrub = secretScrubber(configSecrets(config));
  const line = JSON.stringify({ msg: `upstream ${upstreamUrl.href} failed`, raw: 'sig=sv%2F2024%2Bsig%3Dabc%20def', redis: config.state.redis.url });
  const out = scrub(line);
  for (const leaked of ['sv', 'abc', 'p%40ss', 'p@ss']) t.notMatch(JSON.parse(out).msg + JSON.parse(out).raw + JSON.parse(out).redis, leaked, `${leaked} is gone`);
  t.notMatch(scrub(JSON.stringify({ url: new URL(config.state.redis.url).href })), 'word', 'the password as a URL object writes it (+ left as is, @ and / encoded)');
  t.match(JSON.parse(out).msg, 'https://example.test/v1/chat/completions?sig=[REDACTED] failed');
});

t.test('completion capture: plain answers and SSE streams of both protocols', async (t) => {
  const plain = new CompletionCapture();
  plain.answer(Buffer.from(JSON.stringify({ choices: [{ message: { content: 'Hi', tool_calls: [{ function: { arguments: '{"a":1}' } }] } }] })));
  t.equal(plain.text(), 'Hi{"a":1}');
  const custom = new CompletionCapture();
  custom.answer(Buffer.from(JSON.stringify({ choices: [{ message: { content: null, tool_calls: [{ type: 'custom', custom: { name: 'apply_patch', input: '*** Begin Patch' } }] } }] })));
  t.equal(custom.text(), '*** Begin Patch', "a custom tool call's input (GPT-5)");
  const anthropic = new CompletionCapture();
  anthropic.answer(JSON.stringify({ content: [{ type: 'text', text: 'Hello' }, { type: 'tool_use', input: { b: 2 } }] }));
  t.equal(anthropic.text(), 'Hello{"b":2}');
  const openaiStream = new CompletionCapture();
  const frames = ['data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n', 'data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n', Buffer.from('data: {"choices":[{"delta":{"content":"lo"}}]}\n\ndata: [DONE]\n\n')];
  for (const f of frames) openaiStream.chunk(f);
  t.equal(openaiStream.text(), 'Hello');
  const anthropicStream = new CompletionCapture();
  anthropicStream.chunk('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Bon"}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,');
  anthropicStream.chunk('"delta":{"type":"text_delta","text":"jour"}}\n\n');
  t.equal(anthropicStream.text(), 'Bonjour', 'events split across writes');
  t.equal(clip('x'.repeat(MAX_LOGGED_CHARS + 5)).length, MAX_LOGGED_CHARS + '…[5 more characters]'.length);
});

t.test('spans: W3C traceparent parsing and exact unix-nanosecond times', async (t) => {
  t.same(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7', sampled: true });
  t.equal(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')?.sampled, false);
  t.equal(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), null, 'all-zero trace id');
  t.equal(parseTraceparent('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), null, 'version ff');
  t.equal(parseTraceparent('garbage'), null);
  const nanos = unixNanos(performance.now());
  t.match(nanos, /^\d{19}$/);
  t.ok(Math.abs(Number(BigInt(nanos) / 1_000_000n) - Date.now()) < 1_000);
});

t.test('cost precedence: config price, then the price table, then the built-in table', async (t) => {
  const { config } = loadConfigText(
    `
providers: [{ name: p, type: openai, api_keys: [k] }]
models:
  - { name: priced, targets: [{ provider: p, model: gpt-4o, price: { input: 1, output: 1 } }] }
  - { name: tabled, targets: [{ provider: p, model: gpt-4o-2024-08-06 }] }
  - { name: builtin, targets: [{ provider: p, model: claude-3-haiku-20240307 }] }
  - { name: unknown, targets: [{ provider: p, model: my-own-llama }] }
`,
    '/t.yaml',
    {},
  );
  const router = new Router(config);
  const table = new PriceTable();
  table.replace(new Map([['gpt-4o', { input: 10, output: 10 }]]), '/prices.yaml');
  const costs = new CostBook(table);
  const usage = { prompt: 1_000_000, completion: 0 };
  const cost = (name: string): number => {
    const model = router.resolve(name)!;
    return costs.costOf(model.targets[0]!, usage);
  };
  t.equal(cost('priced'), 1, 'the target price in the config wins');
  t.equal(cost('tabled'), 10, 'prices.yaml (family prefix) over the built-in table');
  t.equal(cost('builtin'), 0.25, 'the built-in table for a model in neither');
  t.equal(cost('unknown'), 0, 'unpriced: 0');
  t.equal(costs.costOf(null, usage), 0, 'no target: 0');
  const cached = router.resolve('builtin')!;
  t.equal(costs.costOf(cached.targets[0]!, { prompt: 1_000_000, completion: 0, cached: 1_000_000 }), 0.03, 'cached prompt tokens at cached_input');
});
