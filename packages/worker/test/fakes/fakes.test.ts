/**
 * Self-test of the fake upstreams: their bytes parse with the gateway's SSE parser, Anthropic
 * streams pass the strictness checker, the official SDKs accept their answers, and every scripted
 * behaviour does what the contract says.
 */
import t from 'tap';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import type { AnthropicStreamEvent } from '@gatewayd/shared';
import { SseParser, type SseEvent } from '../../src/protocol/sse/index.js';
import { anthropicSequenceViolations } from '../protocol/helpers/anthropic-strict.js';
import { DEFAULT_TOOL_ARGUMENTS, fixtures, startFakeAnthropic, startFakeGemini, startFakeOpenai, type FakeUpstream } from './index.js';
import { embeddingOf } from './server.js';

type Json = Record<string, any>;

async function post(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body), signal });
}

async function readSse(res: Response): Promise<{ raw: string; events: SseEvent[] }> {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  let raw = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    raw += decoder.decode(chunk, { stream: true });
    events.push(...parser.push(chunk));
  }
  events.push(...parser.end());
  return { raw, events };
}

async function fake(start: () => Promise<FakeUpstream>): Promise<FakeUpstream> {
  const f = await start();
  t.teardown(() => f.close());
  return f;
}

const oa = await fake(() => startFakeOpenai());
const an = await fake(() => startFakeAnthropic());
const ge = await fake(() => startFakeGemini());
const OA_KEY = { authorization: 'Bearer sk-test' };
const AN_HEADERS = { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' };

t.test('openai: plain chat answer, headers and usage', async (t) => {
  const res = await post(`${oa.url}/chat/completions`, fixtures.openai.text('gpt-4o-mini'), OA_KEY);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^application\/json/);
  t.match(res.headers.get('x-request-id'), /^req_[a-z0-9]{32}$/);
  t.ok(res.headers.get('x-ratelimit-remaining-requests'));
  const body = (await res.json()) as Json;
  t.match(body, { id: /^chatcmpl-/, object: 'chat.completion', model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the fake OpenAI upstream.' }, finish_reason: 'stop' }] });
  t.same(body.usage, { prompt_tokens: 25, completion_tokens: 9, total_tokens: 34, prompt_tokens_details: { cached_tokens: 8, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } });
  t.equal(oa.requests.at(-1)?.key, 'sk-test');
});

t.test('openai: stream framing, role chunk, [DONE], usage only when asked', async (t) => {
  for (const includeUsage of [false, true]) {
    const req = { ...fixtures.openai.text('gpt-4o-mini'), stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) };
    const res = await post(`${oa.url}/chat/completions`, req, OA_KEY);
    t.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const { raw, events } = await readSse(res);
    t.ok(raw.endsWith('data: [DONE]\n\n'), 'ends with [DONE]');
    t.notOk(raw.includes('\r'), 'LF framing');
    t.equal(events.at(-1)?.data, '[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as Json);
    t.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0]!.id));
    t.same(chunks[0]!.choices[0].delta, { role: 'assistant', content: '', refusal: null });
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    t.equal(text, 'Hello from the fake OpenAI upstream.');
    const usageChunks = chunks.filter((c) => c.usage);
    if (includeUsage) {
      t.equal(usageChunks.length, 1);
      t.same(usageChunks[0]!.choices, []);
      t.equal(usageChunks[0]!.usage.prompt_tokens_details.cached_tokens, 8);
      t.ok(chunks.slice(0, -1).every((c) => c.usage === null), 'other chunks carry usage: null');
    } else {
      t.equal(usageChunks.length, 0);
      t.ok(chunks.every((c) => !('usage' in c)), 'no usage key at all');
    }
    t.equal(chunks.filter((c) => c.choices[0]?.finish_reason === 'stop').length, 1);
  }
});

t.test('openai: the official SDK parses plain, streamed and tool answers', async (t) => {
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: oa.url, maxRetries: 0 });
  const plain = await client.chat.completions.create(fixtures.openai.text('gpt-4o-mini'));
  t.equal(plain.choices[0]?.message.content, 'Hello from the fake OpenAI upstream.');
  const stream = client.chat.completions.stream({ ...fixtures.openai.text('gpt-4o-mini'), stream_options: { include_usage: true } });
  const final = await stream.finalChatCompletion();
  t.equal(final.choices[0]?.message.content, 'Hello from the fake OpenAI upstream.');
  t.equal(final.usage?.total_tokens, 34);
  oa.script([{ kind: 'tool-call' }, { kind: 'tool-call' }]);
  const toolPlain = await client.chat.completions.create(fixtures.openai.tools('gpt-4o-mini'));
  const call = toolPlain.choices[0]?.message.tool_calls?.[0];
  t.equal(toolPlain.choices[0]?.finish_reason, 'tool_calls');
  t.ok(call && call.type === 'function' && call.id.startsWith('call_'));
  if (call?.type === 'function') t.same(JSON.parse(call.function.arguments), DEFAULT_TOOL_ARGUMENTS);
  const toolStream = await client.chat.completions.stream(fixtures.openai.tools('gpt-4o-mini')).finalChatCompletion();
  const streamed = toolStream.choices[0]?.message.tool_calls?.[0];
  if (streamed?.type !== 'function') throw new Error('no streamed tool call');
  t.equal(streamed.function.name, 'get_weather');
  t.same(JSON.parse(streamed.function.arguments), DEFAULT_TOOL_ARGUMENTS);
  // The follow-up with the tool result is accepted (tool message after assistant tool_calls).
  const follow = await client.chat.completions.create(fixtures.openai.toolResult('gpt-4o-mini', streamed.id, streamed.function.arguments));
  t.equal(follow.choices[0]?.finish_reason, 'stop');
});

t.test('openai: legacy completions, embeddings (base64 via SDK), models', async (t) => {
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: oa.url, maxRetries: 0 });
  const completion = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hello' });
  t.equal(completion.choices[0]?.text, 'Hello from the fake OpenAI upstream.');
  let streamed = '';
  for await (const chunk of await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hello', stream: true })) streamed += chunk.choices[0]?.text ?? '';
  t.equal(streamed, 'Hello from the fake OpenAI upstream.');
  const emb = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
  t.equal(oa.requests.at(-1)?.body && (oa.requests.at(-1)!.body as Json).encoding_format, 'base64', 'the SDK asks for base64');
  t.same(emb.data[1]?.embedding, embeddingOf(JSON.stringify('b'), 8));
  const models = await client.models.list();
  t.ok(models.data.some((m) => m.id === 'gpt-4o-mini'));
});

t.test('openai: request checks and error shapes', async (t) => {
  const bad = await post(`${oa.url}/chat/completions`, '{"model":', OA_KEY);
  t.equal(bad.status, 400);
  t.match(await bad.json(), { error: { type: 'invalid_request_error', param: null, code: null, message: /could not parse the JSON body/ } });
  const orphanTool = await post(`${oa.url}/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'call_1', content: 'r' }] }, OA_KEY);
  t.equal(orphanTool.status, 400);
  t.match(await orphanTool.json(), { error: { message: /must be a response to a preceeding message with 'tool_calls'/ } });
  const unknown = await post(`${oa.url}/nope`, {}, OA_KEY);
  t.equal(unknown.status, 404);
  t.match(await unknown.json(), { error: { message: 'Invalid URL (POST /v1/nope)' } });
});

t.test('anthropic: plain message, headers, usage without cache reads', async (t) => {
  const res = await post(`${an.url}/v1/messages`, fixtures.anthropic.text('claude-sonnet-4-20250514'), AN_HEADERS);
  t.equal(res.status, 200);
  t.match(res.headers.get('request-id'), /^req_011C/);
  t.ok(res.headers.get('anthropic-ratelimit-requests-remaining'));
  const body = (await res.json()) as Json;
  t.match(body, { id: /^msg_01/, type: 'message', role: 'assistant', model: 'claude-sonnet-4-20250514', content: [{ type: 'text', text: 'Hello from the fake Anthropic upstream.' }], stop_reason: 'end_turn', stop_sequence: null });
  t.same(body.usage, { input_tokens: 17, cache_creation_input_tokens: 0, cache_read_input_tokens: 8, output_tokens: 9, service_tier: 'standard' });
  t.equal(an.requests.at(-1)?.key, 'sk-ant-test');
});

t.test('anthropic: streams are strict (text and tool use)', async (t) => {
  for (const behaviour of ['ok', 'tool-call'] as const) {
    an.script([{ kind: behaviour }]);
    const req = behaviour === 'ok' ? fixtures.anthropic.text('claude-sonnet-4-20250514') : fixtures.anthropic.tools('claude-sonnet-4-20250514');
    const res = await post(`${an.url}/v1/messages`, { ...req, stream: true }, AN_HEADERS);
    t.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const { raw, events } = await readSse(res);
    t.notOk(raw.includes('[DONE]'));
    const parsed = events.map((e) => JSON.parse(e.data) as AnthropicStreamEvent);
    t.ok(events.every((e, i) => e.event === parsed[i]!.type), 'event name equals data.type');
    t.same(anthropicSequenceViolations(parsed), [], `${behaviour}: strict sequence`);
    const deltas = parsed.filter((e) => e.type === 'content_block_delta');
    if (behaviour === 'ok') {
      t.equal(deltas.map((e) => (e.delta.type === 'text_delta' ? e.delta.text : '')).join(''), 'Hello from the fake Anthropic upstream.');
    } else {
      const json = deltas.map((e) => (e.delta.type === 'input_json_delta' ? e.delta.partial_json : '')).join('');
      t.same(JSON.parse(json), DEFAULT_TOOL_ARGUMENTS);
    }
    const delta = parsed.find((e) => e.type === 'message_delta');
    t.equal(delta?.type === 'message_delta' && delta.usage.output_tokens, 9);
  }
});

t.test('anthropic: the official SDK parses plain, streamed, tool answers; count_tokens and models', async (t) => {
  const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: an.url, maxRetries: 0 });
  const plain = await client.messages.create(fixtures.anthropic.text('claude-sonnet-4-20250514'));
  t.same(plain.content, [{ type: 'text', text: 'Hello from the fake Anthropic upstream.' }]);
  const final = await client.messages.stream(fixtures.anthropic.text('claude-sonnet-4-20250514')).finalMessage();
  t.match(final.content, [{ type: 'text', text: 'Hello from the fake Anthropic upstream.' }]);
  t.equal(final.usage.output_tokens, 9);
  an.script([{ kind: 'tool-call' }]);
  const tool = await client.messages.stream(fixtures.anthropic.tools('claude-sonnet-4-20250514')).finalMessage();
  const use = tool.content.find((b) => b.type === 'tool_use');
  if (use?.type !== 'tool_use') throw new Error('no tool_use block');
  t.same(use.input, DEFAULT_TOOL_ARGUMENTS);
  t.equal(tool.stop_reason, 'tool_use');
  const follow = await client.messages.create(fixtures.anthropic.toolResult('claude-sonnet-4-20250514', use.id, use.input as Record<string, unknown>));
  t.equal(follow.stop_reason, 'end_turn');
  const image = await client.messages.create(fixtures.anthropic.image('claude-sonnet-4-20250514'));
  t.equal(image.stop_reason, 'end_turn');
  const count = await client.messages.countTokens({ model: 'claude-sonnet-4-20250514', messages: [{ role: 'user', content: 'hi' }] });
  t.ok(count.input_tokens > 0);
  const models = await client.models.list();
  t.ok(models.data.some((m) => m.id === 'claude-sonnet-4-20250514'));
});

t.test('anthropic: the API checks that catch translation bugs', async (t) => {
  const noVersion = await post(`${an.url}/v1/messages`, fixtures.anthropic.text('c'), { 'x-api-key': 'k' });
  t.equal(noVersion.status, 400);
  t.match(await noVersion.json(), { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' } });
  const orphan = await post(`${an.url}/v1/messages`, { ...fixtures.anthropic.toolResult('c', 'toolu_1', {}), messages: [{ role: 'user', content: 'q' }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'r' }] }] }, AN_HEADERS);
  t.equal(orphan.status, 400);
  t.match(await orphan.json(), { error: { message: /unexpected `tool_use_id` found in `tool_result` blocks: toolu_x/ } });
  const emptyText = await post(`${an.url}/v1/messages`, { model: 'c', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }, AN_HEADERS);
  t.match(await emptyText.json(), { error: { message: 'messages: text content blocks must be non-empty' } });
  const systemRole = await post(`${an.url}/v1/messages`, { model: 'c', max_tokens: 5, messages: [{ role: 'system', content: 'x' }] }, AN_HEADERS);
  t.equal(systemRole.status, 400);
  const noMax = await post(`${an.url}/v1/messages`, { model: 'c', messages: [{ role: 'user', content: 'x' }] }, AN_HEADERS);
  t.match(await noMax.json(), { error: { message: 'max_tokens: Field required' } });
});

t.test('gemini: plain, SSE with CRLF framing and usageMetadata, tool call, array stream', async (t) => {
  const req = { contents: [{ role: 'user', parts: [{ text: 'Say hello.' }] }], systemInstruction: { parts: [{ text: 'Be terse.' }] }, generationConfig: { maxOutputTokens: 64 } };
  const headers = { 'x-goog-api-key': 'AIza-test' };
  const plain = await post(`${ge.url}/models/gemini-2.0-flash:generateContent`, req, headers);
  t.equal(plain.headers.get('content-type'), 'application/json; charset=UTF-8');
  const body = (await plain.json()) as Json;
  t.match(body, { candidates: [{ content: { role: 'model', parts: [{ text: 'Hello from the fake Gemini upstream.' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 25, candidatesTokenCount: 9, totalTokenCount: 34, cachedContentTokenCount: 8 }, modelVersion: 'gemini-2.0-flash' });
  t.equal(ge.requests.at(-1)?.key, 'AIza-test');

  const streamed = await post(`${ge.url}/models/gemini-2.0-flash:streamGenerateContent?alt=sse`, req, headers);
  t.equal(streamed.headers.get('content-type'), 'text/event-stream');
  const { raw, events } = await readSse(streamed);
  t.ok(raw.split('\r\n\r\n').slice(0, -1).every((block) => block.startsWith('data: {')), 'every event is data: {...}\\r\\n\\r\\n');
  t.ok(raw.endsWith('\r\n\r\n'));
  const chunks = events.map((e) => JSON.parse(e.data) as Json);
  t.equal(chunks.map((c) => c.candidates[0].content.parts[0].text).join(''), 'Hello from the fake Gemini upstream.');
  t.match(chunks.at(-1), { candidates: [{ finishReason: 'STOP' }], usageMetadata: { candidatesTokenCount: 9, totalTokenCount: 34 } });
  t.ok(chunks.every((c) => c.usageMetadata.promptTokenCount === 25));

  ge.script([{ kind: 'tool-call' }]);
  const tools = [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } } } }] }];
  const tool = await post(`${ge.url}/models/gemini-2.0-flash:streamGenerateContent?alt=sse`, { ...req, tools }, headers);
  const toolChunks = (await readSse(tool)).events.map((e) => JSON.parse(e.data) as Json);
  t.same(toolChunks[0]!.candidates[0].content.parts, [{ functionCall: { name: 'get_weather', args: DEFAULT_TOOL_ARGUMENTS } }]);

  const array = await post(`${ge.url}/models/gemini-2.0-flash:streamGenerateContent`, req, headers);
  t.ok(Array.isArray(await array.json()), 'without alt=sse the stream is one JSON array');

  const unknownField = await post(`${ge.url}/models/gemini-2.0-flash:generateContent`, { ...req, max_tokens: 5 }, headers);
  t.equal(unknownField.status, 400);
  t.same(await unknownField.json(), { error: { code: 400, message: 'Invalid JSON payload received. Unknown name "max_tokens": Cannot find field.', status: 'INVALID_ARGUMENT' } });

  const batch = await post(`${ge.url}/models/text-embedding-004:batchEmbedContents`, { requests: [{ model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] } }] }, headers);
  t.match(await batch.json(), { embeddings: [{ values: embeddingOf(JSON.stringify('a'), 8) }] });
});

t.test('behaviours: status with headers, consumed in order, then ok', async (t) => {
  oa.reset();
  oa.script([{ kind: 'status', status: 429, headers: { 'retry-after': '1' } }, { kind: 'status', status: 500 }]);
  const first = await post(`${oa.url}/chat/completions`, fixtures.openai.text('m'), OA_KEY);
  t.equal(first.status, 429);
  t.equal(first.headers.get('retry-after'), '1');
  t.match(await first.json(), { error: { type: 'requests', code: 'rate_limit_exceeded' } });
  const second = await post(`${oa.url}/chat/completions`, fixtures.openai.text('m'), OA_KEY);
  t.equal(second.status, 500);
  t.match(await second.json(), { error: { type: 'server_error' } });
  const third = await post(`${oa.url}/chat/completions`, fixtures.openai.text('m'), OA_KEY);
  t.equal(third.status, 200);
  await third.arrayBuffer();
  t.same(oa.requests.map((r) => r.behaviour.kind), ['status', 'status', 'ok']);

  an.script([{ kind: 'status', status: 529 }]);
  const overloaded = await post(`${an.url}/v1/messages`, fixtures.anthropic.text('c'), AN_HEADERS);
  t.equal(overloaded.status, 529);
  t.match(await overloaded.json(), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  ge.script([{ kind: 'status', status: 503 }]);
  const unavailable = await post(`${ge.url}/models/g:generateContent`, { contents: [{ parts: [{ text: 'x' }] }] });
  t.same(await unavailable.json(), { error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } });
});

t.test('behaviours: reset before headers and mid-stream', async (t) => {
  oa.script([{ kind: 'reset-before-headers' }]);
  await t.rejects(post(`${oa.url}/chat/completions`, fixtures.openai.text('m'), OA_KEY));
  an.script([{ kind: 'reset-mid-stream', afterEvents: 3 }]);
  const res = await post(`${an.url}/v1/messages`, { ...fixtures.anthropic.text('c'), stream: true }, AN_HEADERS);
  t.equal(res.status, 200);
  const parser = new SseParser();
  const seen: SseEvent[] = [];
  await t.rejects(
    (async () => {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) seen.push(...parser.push(chunk));
    })(),
  );
  t.same(seen.map((e) => e.event), ['message_start', 'content_block_start', 'ping']);
  t.equal(an.requests.at(-1)?.aborted, false, 'a reset by the fake itself is not a caller abort');
});

t.test('behaviours: hang until the caller aborts; slow-stream', async (t) => {
  ge.reset();
  ge.script([{ kind: 'hang' }]);
  const controller = new AbortController();
  const pending = post(`${ge.url}/models/g:generateContent`, { contents: [{ parts: [{ text: 'x' }] }] }, {}, controller.signal);
  await ge.waitFor('the hanging request', (r) => r.length === 1);
  controller.abort();
  await t.rejects(pending);
  await ge.waitFor('the abort to be seen', (r) => r[0]?.aborted === true);

  oa.script([{ kind: 'slow-stream', delayMs: 30 }]);
  const started = Date.now();
  const res = await post(`${oa.url}/chat/completions`, { ...fixtures.openai.text('m'), stream: true }, OA_KEY);
  const { events } = await readSse(res);
  t.ok(events.length >= 5);
  t.ok(Date.now() - started >= 30 * (events.length - 1), 'events were spaced out');
});

t.test('auth: required keys and each provider’s own failure', async (t) => {
  const strictOa = await fake(() => startFakeOpenai({ requireKey: 'sk-right' }));
  const missing = await post(`${strictOa.url}/chat/completions`, fixtures.openai.text('m'));
  t.equal(missing.status, 401);
  t.match(await missing.json(), { error: { type: 'invalid_request_error', code: null, message: /didn't provide an API key/ } });
  const wrong = await post(`${strictOa.url}/chat/completions`, fixtures.openai.text('m'), { authorization: 'Bearer sk-wrong-key' });
  t.match(await wrong.json(), { error: { code: 'invalid_api_key' } });
  t.same(strictOa.requests.map((r) => r.key), [undefined, 'sk-wrong-key']);
  const ok = await post(`${strictOa.url}/chat/completions`, fixtures.openai.text('m'), { authorization: 'Bearer sk-right' });
  t.equal(ok.status, 200);

  const strictAn = await fake(() => startFakeAnthropic({ requireKey: 'sk-ant-right' }));
  const anWrong = await post(`${strictAn.url}/v1/messages`, fixtures.anthropic.text('c'), { ...AN_HEADERS, 'x-api-key': 'nope' });
  t.equal(anWrong.status, 401);
  t.match(await anWrong.json(), { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });

  const strictGe = await fake(() => startFakeGemini({ requireKey: 'AIza-right' }));
  const geMissing = await post(`${strictGe.url}/models/g:generateContent`, { contents: [{ parts: [{ text: 'x' }] }] });
  t.equal(geMissing.status, 403);
  const geWrong = await post(`${strictGe.url}/models/g:generateContent?key=AIza-wrong`, { contents: [{ parts: [{ text: 'x' }] }] });
  t.equal(geWrong.status, 400);
  t.match(await geWrong.json(), { error: { status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] } });
});

t.test('knownModels: unknown models get the provider’s not-found error', async (t) => {
  const strict = await fake(() => startFakeOpenai({ knownModels: ['gpt-4o-mini'] }));
  const res = await post(`${strict.url}/chat/completions`, fixtures.openai.text('gpt-9'), OA_KEY);
  t.equal(res.status, 404);
  t.match(await res.json(), { error: { code: 'model_not_found', message: 'The model `gpt-9` does not exist or you do not have access to it.' } });
});
