/**
 * Translation through the hub against the fake upstreams (exact provider wire formats): OpenAI
 * callers on Anthropic and Gemini, Anthropic callers on OpenAI, Gemini and the mock; plain and
 * streamed, text and tool calls; legacy completions, embeddings, count_tokens and /v1/models.
 */
import t from 'tap';
import type { AnthropicStreamEvent } from '@gatewayd/shared';
import { DEFAULT_TOOL_ARGUMENTS, fixtures, startFakeAnthropic, startFakeGemini, startFakeOpenai } from '../fakes/index.js';
import { anthropicSequenceViolations } from '../protocol/helpers/anthropic-strict.js';
import { call, openCall, openaiChunks, sseFrames, startCoreWorker, type RawAnswer } from './helpers.js';

// Test-only: arbitrary JSON answers are navigated freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const KEYS = { openai: 'sk-oa-upstream', anthropic: 'sk-an-upstream', gemini: 'ge-upstream' };
const TEXT = { openai: 'Hello from the fake OpenAI upstream.', anthropic: 'Hello from the fake Anthropic upstream.', gemini: 'Hello from the fake Gemini upstream.' };
const ANTHROPIC_HEADERS = { 'anthropic-version': '2023-06-01' };

const chatBody = (model: string, extra: Json = {}) => ({ model, messages: [{ role: 'system', content: fixtures.SYSTEM_PROMPT }, { role: 'user', content: fixtures.USER_TEXT }], ...extra });
const messagesBody = (model: string, extra: Json = {}) => ({ model, max_tokens: 256, system: fixtures.SYSTEM_PROMPT, messages: [{ role: 'user', content: fixtures.USER_TEXT }], ...extra });

function anthropicEvents(text: string): AnthropicStreamEvent[] {
  const frames = sseFrames(text);
  for (const frame of frames) if (frame.data === '[DONE]') throw new Error('an Anthropic stream has no [DONE]');
  return frames.map((f) => {
    const event = JSON.parse(f.data) as AnthropicStreamEvent;
    if (f.event !== event.type) throw new Error(`event name ${f.event} != type ${event.type}`);
    return event;
  });
}

function anthropicText(events: AnthropicStreamEvent[]): string {
  return events.map((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : '')).join('');
}

function openaiText(chunks: Json[]): string {
  return chunks.map((c) => (c.choices?.[0]?.delta?.content as string | undefined) ?? '').join('');
}

t.test('translation through the hub', async (t) => {
  const openai = await startFakeOpenai({ requireKey: KEYS.openai });
  const anthropic = await startFakeAnthropic({ requireKey: KEYS.anthropic });
  const gemini = await startFakeGemini({ requireKey: KEYS.gemini });
  t.teardown(() => Promise.all([openai.close(), anthropic.close(), gemini.close()]));
  const { port } = await startCoreWorker(
    t,
    `
providers:
  - { name: oa, type: openai, base_url: "${openai.url}", api_keys: ["${KEYS.openai}"] }
  - { name: an, type: anthropic, base_url: "${anthropic.url}", api_keys: ["${KEYS.anthropic}"] }
  - { name: ge, type: gemini, base_url: "${gemini.url}", api_keys: ["${KEYS.gemini}"] }
  - { name: local, type: mock, chunks: 4 }
models:
  - { name: oa-model, targets: [{ provider: oa, model: gpt-4o-mini }] }
  - { name: an-model, aliases: [claude-alias], targets: [{ provider: an, model: claude-sonnet-4-20250514 }] }
  - { name: ge-model, targets: [{ provider: ge, model: gemini-2.0-flash }] }
  - { name: mock-model, targets: [{ provider: local, model: demo }] }
`,
  );

  t.test('OpenAI caller, Anthropic upstream: plain', async (t) => {
    const r = await call(port, '/v1/chat/completions', chatBody('an-model'));
    t.equal(r.status, 200, r.text);
    const body = r.json<Json>();
    t.match(body, { object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: TEXT.anthropic }, finish_reason: 'stop' }] });
    t.match(body.usage, { prompt_tokens: 25, completion_tokens: 9, total_tokens: 34, prompt_tokens_details: { cached_tokens: 8 } }, 'cache reads counted into prompt_tokens');
    const sent = anthropic.requests.at(-1);
    t.equal(sent?.key, KEYS.anthropic);
    t.match(sent?.body, { model: 'claude-sonnet-4-20250514', max_tokens: Number, system: fixtures.SYSTEM_PROMPT, messages: [{ role: 'user' }] });
  });

  t.test('OpenAI caller, Anthropic upstream: streamed, usage only when asked', async (t) => {
    const r = await call(port, '/v1/chat/completions', chatBody('an-model', { stream: true }));
    t.equal(r.status, 200);
    t.equal(r.headers['content-type'], 'text/event-stream');
    t.ok(r.text.endsWith('data: [DONE]\n\n'));
    const chunks = openaiChunks(r.text);
    t.equal(openaiText(chunks), TEXT.anthropic);
    t.equal((chunks.at(-1) as Json | undefined)?.choices[0].finish_reason, 'stop');
    t.notOk(chunks.some((c) => c.usage), 'no usage chunk without include_usage');

    const withUsage = openaiChunks((await call(port, '/v1/chat/completions', chatBody('an-model', { stream: true, stream_options: { include_usage: true } }))).text);
    t.match(withUsage.at(-1), { choices: [], usage: { prompt_tokens: 25, completion_tokens: 9 } }, 'the usage chunk last');
  });

  t.test('OpenAI caller, Anthropic upstream: tool call, plain and streamed', async (t) => {
    anthropic.script([{ kind: 'tool-call' }, { kind: 'tool-call' }]);
    const plain = await call(port, '/v1/chat/completions', chatBody('an-model', { tools: [fixtures.openaiWeatherTool], tool_choice: 'required' }));
    const message = plain.json<Json>().choices[0];
    t.equal(message.finish_reason, 'tool_calls');
    t.match(message.message.tool_calls, [{ type: 'function', function: { name: 'get_weather' } }]);
    t.same(JSON.parse(message.message.tool_calls[0].function.arguments), DEFAULT_TOOL_ARGUMENTS);
    t.match(anthropic.requests.at(-1)?.body, { tool_choice: { type: 'any' }, tools: [{ name: 'get_weather', input_schema: Object }] }, 'required is Anthropic any');

    const streamed = openaiChunks((await call(port, '/v1/chat/completions', chatBody('an-model', { stream: true, tools: [fixtures.openaiWeatherTool] }))).text) as Json[];
    const calls = streamed.flatMap((c) => (c.choices?.[0]?.delta?.tool_calls as Json[] | undefined) ?? []);
    t.equal(calls[0]?.function?.name, 'get_weather');
    t.same(JSON.parse(calls.map((c) => c.function?.arguments ?? '').join('')), DEFAULT_TOOL_ARGUMENTS, 'argument fragments add up');
    t.equal(streamed.at(-1)?.choices[0].finish_reason, 'tool_calls');
  });

  t.test('Anthropic caller, OpenAI upstream: plain', async (t) => {
    const r = await call(port, '/v1/messages', messagesBody('oa-model'), ANTHROPIC_HEADERS);
    t.equal(r.status, 200, r.text);
    t.match(r.json(), { type: 'message', role: 'assistant', content: [{ type: 'text', text: TEXT.openai }], stop_reason: 'end_turn', usage: { input_tokens: 17, cache_read_input_tokens: 8, output_tokens: 9 } });
    const sent = openai.requests.at(-1);
    t.equal(sent?.key, KEYS.openai);
    t.match(sent?.body, { model: 'gpt-4o-mini', messages: [{ role: 'system', content: fixtures.SYSTEM_PROMPT }, { role: 'user', content: fixtures.USER_TEXT }] });
    t.notOk('anthropic-version' in (sent?.headers ?? {}), 'Anthropic headers do not go to OpenAI');
  });

  t.test('Anthropic caller, OpenAI upstream: strict event stream', async (t) => {
    const r = await call(port, '/v1/messages', messagesBody('oa-model', { stream: true }), ANTHROPIC_HEADERS);
    t.equal(r.status, 200);
    const events = anthropicEvents(r.text);
    t.same(anthropicSequenceViolations(events), []);
    t.equal(anthropicText(events), TEXT.openai);
    t.match(events.find((e) => e.type === 'message_delta'), { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 9 } });
    t.match(openai.requests.at(-1)?.body, { stream: true, stream_options: { include_usage: true } });
  });

  t.test('Anthropic caller, OpenAI upstream: tool use, plain and streamed', async (t) => {
    openai.script([{ kind: 'tool-call' }, { kind: 'tool-call' }]);
    const plain = await call(port, '/v1/messages', messagesBody('oa-model', { tools: [fixtures.anthropicWeatherTool], tool_choice: { type: 'any' } }), ANTHROPIC_HEADERS);
    t.match(plain.json(), { stop_reason: 'tool_use', content: [{ type: 'tool_use', name: 'get_weather', input: DEFAULT_TOOL_ARGUMENTS }] });
    t.match(openai.requests.at(-1)?.body, { tool_choice: 'required' });

    const r = await call(port, '/v1/messages', messagesBody('oa-model', { stream: true, tools: [fixtures.anthropicWeatherTool] }), ANTHROPIC_HEADERS);
    const events = anthropicEvents(r.text);
    t.same(anthropicSequenceViolations(events), []);
    const json = events.map((e) => (e.type === 'content_block_delta' && e.delta.type === 'input_json_delta' ? e.delta.partial_json : '')).join('');
    t.same(JSON.parse(json), DEFAULT_TOOL_ARGUMENTS);
    t.match(events.find((e) => e.type === 'message_delta'), { delta: { stop_reason: 'tool_use' } });
  });

  t.test('Gemini upstream: OpenAI and Anthropic callers, plain and streamed', async (t) => {
    const plain = await call(port, '/v1/chat/completions', chatBody('ge-model'));
    t.equal(plain.status, 200, plain.text);
    t.match(plain.json(), { choices: [{ message: { content: TEXT.gemini }, finish_reason: 'stop' }], usage: { prompt_tokens: 25, completion_tokens: 9 } });
    t.equal(gemini.requests.at(-1)?.key, KEYS.gemini);
    t.match(gemini.requests.at(-1)?.path, /\/models\/gemini-2\.0-flash:generateContent$/);

    const streamed = await call(port, '/v1/chat/completions', chatBody('ge-model', { stream: true }));
    t.equal(openaiText(openaiChunks(streamed.text)), TEXT.gemini);
    t.ok(streamed.text.endsWith('data: [DONE]\n\n'));
    t.match(gemini.requests.at(-1)?.path, /:streamGenerateContent\?alt=sse$/);

    gemini.script([{ kind: 'tool-call' }]);
    const tool = await call(port, '/v1/chat/completions', chatBody('ge-model', { tools: [fixtures.openaiWeatherTool] }));
    t.match(tool.json(), { choices: [{ finish_reason: 'tool_calls', message: { tool_calls: [{ function: { name: 'get_weather' } }] } }] });

    const events = anthropicEvents((await call(port, '/v1/messages', messagesBody('ge-model', { stream: true }), ANTHROPIC_HEADERS)).text);
    t.same(anthropicSequenceViolations(events), []);
    t.equal(anthropicText(events), TEXT.gemini);

    const embeddings = await call(port, '/v1/embeddings', { model: 'ge-model', input: ['one', 'two'], encoding_format: 'float' });
    t.equal(embeddings.status, 200, embeddings.text);
    t.match(embeddings.json(), { object: 'list', data: [{ object: 'embedding', index: 0, embedding: Array }, { index: 1 }], model: 'ge-model' });
    t.match(gemini.requests.at(-1)?.path, /:batchEmbedContents$/);
  });

  t.test('mock embeddings: beyond its bounds a 400 that says what to change; at the bound, whole and without holding the worker', async (t) => {
    const texts = (n: number) => Array.from({ length: n }, (_, i) => `a${i}`);
    const refused = async (body: Json, message: RegExp, label: string) => {
      const started = Date.now();
      const r = await call(port, '/v1/embeddings', body);
      t.equal(r.status, 400, `${label}: ${r.text.slice(0, 300)}`);
      t.match(r.json(), { error: { code: 'GW_ERR_BAD_REQUEST', type: 'invalid_request_error', message } }, label);
      t.ok(Date.now() - started < 5000, `${label}: refused at once`);
    };
    await refused({ model: 'mock-model', input: texts(2049) }, /^input has 2049 items; the mock provider takes at most 2048 per request \(as OpenAI does\): split them/, 'one input over OpenAI\'s limit');
    // A reviewer's 619 KB request: it held the worker ~150 s, then killed it (JavaScript heap out of memory).
    await refused({ model: 'mock-model', dimensions: 4096, input: texts(70_000) }, /^input has 70000 items/, '70,000 inputs of 4,096 dimensions');
    await refused(
      { model: 'mock-model', dimensions: 513, input: texts(2048) },
      /the answer would hold 1050624 floats \(2048 inputs × 513 dimensions\); the mock provider answers at most 1048576 \(inputs × dimensions ≤ 2\^20\): send fewer inputs per request or ask for fewer dimensions/,
      'one float over the bound',
    );
    await refused({ model: 'mock-model', dimensions: 4096, input: texts(257) }, /1052672 floats \(257 inputs × 4096 dimensions\)/, 'at the largest dimensions');

    // At the bound (2048 × 512, ~22 MB of JSON): built a slice at a time, so small requests keep
    // being answered before its status line comes, and the slices join into one answer, in order.
    const largest = openCall(port, '/v1/embeddings', { model: 'mock-model', dimensions: 512, encoding_format: 'float', input: texts(2048) });
    let started = false;
    void largest.response.then(() => (started = true));
    let answeredMeanwhile = 0;
    let alone: RawAnswer | undefined;
    while (!started) {
      alone = await call(port, '/v1/embeddings', { model: 'mock-model', dimensions: 512, encoding_format: 'float', input: 'a2047' });
      if (!started) answeredMeanwhile++;
    }
    t.ok(answeredMeanwhile >= 5, `the worker answered other requests while building the large one (${answeredMeanwhile})`);
    const whole = await largest.response;
    const text = await largest.done;
    t.equal(whole.statusCode, 200, text.slice(0, 300));
    const body = JSON.parse(text) as Json;
    t.match(body, { object: 'list', model: 'demo', usage: { prompt_tokens: Number, total_tokens: Number } });
    t.same(
      body.data.map((d: Json) => d.index),
      texts(2048).map((_, i) => i),
      'every input, in order',
    );
    t.ok(body.data.every((d: Json) => d.object === 'embedding' && d.embedding.length === 512), '512 floats each');
    t.same(body.data[2047].embedding, alone?.json<Json>().data[0].embedding, 'the same vector as the text alone');
  });

  t.test('legacy completions, embeddings errors, count_tokens, the mock for Anthropic callers', async (t) => {
    const completion = await call(port, '/v1/completions', { model: 'an-model', prompt: 'Say hello.', max_tokens: 20 });
    t.match(completion.json(), { object: 'text_completion', choices: [{ text: TEXT.anthropic, finish_reason: 'stop' }] });
    const passed = await call(port, '/v1/completions', { model: 'oa-model', prompt: 'Say hello.' });
    t.match(passed.json(), { object: 'text_completion', choices: [{ text: TEXT.openai }] });
    t.match(openai.requests.at(-1)?.path, /\/v1\/completions$/, 'OpenAI serves legacy completions itself');

    const noEmbeddings = await call(port, '/v1/embeddings', { model: 'an-model', input: 'x' });
    t.equal(noEmbeddings.status, 400);
    t.match(noEmbeddings.json(), { error: { code: 'GW_ERR_BAD_REQUEST' } });

    const before = anthropic.requests.length;
    const counted = await call(port, '/v1/messages/count_tokens', { model: 'claude-alias', messages: [{ role: 'user', content: 'hello' }] }, ANTHROPIC_HEADERS);
    t.equal(counted.status, 200, counted.text);
    t.match(counted.json(), { input_tokens: Number });
    t.equal(anthropic.requests.length, before + 1);
    t.match(anthropic.requests.at(-1), { path: '/v1/messages/count_tokens', body: { model: 'claude-sonnet-4-20250514' } }, 'Anthropic counts, under the upstream model name');
    const geminiBefore = gemini.requests.length;
    const estimated = await call(port, '/v1/messages/count_tokens', { model: 'ge-model', messages: [{ role: 'user', content: 'hello there' }] }, ANTHROPIC_HEADERS);
    t.ok(estimated.json<{ input_tokens: number }>().input_tokens > 0, 'others: an estimate');
    t.equal(gemini.requests.length, geminiBefore, 'without an upstream call');

    const mock = await call(port, '/v1/messages', messagesBody('mock-model', { stream: true }), ANTHROPIC_HEADERS);
    const events = anthropicEvents(mock.text);
    t.same(anthropicSequenceViolations(events), []);
    t.equal(anthropicText(events), 'Mock reply to: Say');
    const mockPlain = await call(port, '/v1/messages', messagesBody('mock-model'), ANTHROPIC_HEADERS);
    t.match(mockPlain.json(), { type: 'message', content: [{ type: 'text', text: 'Mock reply to: Say' }], stop_reason: 'end_turn' });
    const mockEmbeddings = await call(port, '/v1/embeddings', { model: 'mock-model', input: 'x', dimensions: 4 });
    t.match(mockEmbeddings.json(), { data: [{ embedding: [Number, Number, Number, Number] }] });
  });

  t.test('a 200 that carries an error or lacks its content: a 502 quoting the error or naming what is missing', async (t) => {
    // A worker of its own without retries: the failures must not open the shared worker's breakers.
    const { port } = await startCoreWorker(
      t,
      `
routing: { retries: 0 }
providers:
  - { name: oa, type: openai, base_url: "${openai.url}", api_keys: ["${KEYS.openai}"] }
  - { name: an, type: anthropic, base_url: "${anthropic.url}", api_keys: ["${KEYS.anthropic}"] }
models:
  - { name: oa-model, targets: [{ provider: oa, model: gpt-4o-mini }] }
  - { name: an-model, targets: [{ provider: an, model: claude-sonnet-4-20250514 }] }
`,
    );
    const answered200 = (body: unknown) => [{ kind: 'status' as const, status: 200, body }];
    openai.script(answered200({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } }));
    const fromOpenai = await call(port, '/v1/messages', messagesBody('oa-model'), ANTHROPIC_HEADERS);
    t.equal(fromOpenai.status, 502, fromOpenai.text);
    t.match(fromOpenai.json(), { type: 'error', error: { type: 'api_error', message: 'provider oa answered 200 with an error: The server had an error while processing your request.' } });
    openai.script(answered200({}));
    t.match((await call(port, '/v1/messages', messagesBody('oa-model'), ANTHROPIC_HEADERS)).json(), { error: { message: 'provider oa sent an answer the gateway cannot read: the answer has no choices' } });

    anthropic.script(answered200({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
    const fromAnthropic = await call(port, '/v1/chat/completions', chatBody('an-model'));
    t.equal(fromAnthropic.status, 502, fromAnthropic.text);
    t.match(fromAnthropic.json(), { error: { code: 'GW_ERR_UPSTREAM_ERROR', message: 'provider an answered 200 with an error: Overloaded' } });
    anthropic.script(answered200({}));
    t.match((await call(port, '/v1/chat/completions', chatBody('an-model'))).json(), { error: { message: 'provider an sent an answer the gateway cannot read: the answer has no content' } });
  });

  t.test('GET /v1/models in both shapes', async (t) => {
    const list = await call(port, '/v1/models', undefined, {}, 'GET');
    t.equal(list.status, 200);
    const ids = list.json<Json>().data.map((m: Json) => m.id);
    t.same(ids, ['oa-model', 'an-model', 'claude-alias', 'ge-model', 'mock-model']);
    t.match(list.json<Json>().data[0], { object: 'model', created: Number, owned_by: 'gatewayd' });
    const anthropicList = await call(port, '/v1/models', undefined, ANTHROPIC_HEADERS, 'GET');
    t.match(anthropicList.json(), { data: [{ type: 'model', id: 'oa-model', display_name: 'oa-model', created_at: String }], has_more: false, first_id: 'oa-model', last_id: 'mock-model' });
  });
});
