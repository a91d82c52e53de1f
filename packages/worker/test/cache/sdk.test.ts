/**
 * The response cache through the real gatewayd (2 workers, backend local) and the official SDKs:
 * miss then hit, plain and streamed requests sharing one entry (a stream stored once complete and
 * replayed as SSE in the caller's protocol), tool calls, bypass with cache-control, failures and
 * broken streams never stored, protocols never mixed. Each upstream fake counts what reached it.
 */
import t from 'tap';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import type { AnthropicStreamEvent } from '@gatewayd/shared';
import { AZURE_PROMPT_FILTER_CHUNK, DEFAULT_TOOL_ARGUMENTS, DEFAULT_USAGE, fixtures, startFakeAnthropic, startFakeGemini, startFakeOpenai, startGateway } from '../fakes/index.js';
import { geminiError } from '../fakes/gemini.js';
import { anthropicSequenceViolations } from '../protocol/helpers/anthropic-strict.js';
import { SseParser } from '../../src/protocol/sse/index.js';

type Json = Record<string, any>;
const KEY = 'gw-cache-sdk-key-0000001';
const OA_TEXT = 'Hello from the fake OpenAI upstream.';
const AN_TEXT = 'Hello from the fake Anthropic upstream.';

const oa = await startFakeOpenai();
const an = await startFakeAnthropic();
const az = await startFakeOpenai({ azurePromptFilter: true });
const ge = await startFakeGemini();
t.teardown(() => Promise.all([oa.close(), an.close(), az.close(), ge.close()]));

const gw = await startGateway(
  t,
  `
logging: { level: warn }
auth: { mode: gateway, keys: [{ name: cache, key: "${KEY}" }] }
routing: { retries: 0 }
cache: { enabled: true, ttl: 5m, max_entries: 100 }
providers:
  - { name: oa, type: openai, base_url: "${oa.url}", api_keys: ["sk-oa"] }
  - { name: an, type: anthropic, base_url: "${an.url}", api_keys: ["sk-ant"] }
  - { name: az, type: openai, base_url: "${az.url}", api_keys: ["sk-az"] }
  - { name: ge, type: gemini, base_url: "${ge.url}", api_keys: ["ge-key"] }
  - { name: mock, type: mock, chunks: 3 }
models:
  - { name: az-model, targets: [{ provider: az, model: gpt-4o-mini-2024-07-18 }] }
  - { name: oa-model, aliases: [oa-alias], targets: [{ provider: oa, model: gpt-4o-mini }] }
  - { name: an-model, targets: [{ provider: an, model: claude-sonnet-4-20250514 }] }
  - { name: ge-model, targets: [{ provider: ge, model: gemini-2.5-flash }] }
  - { name: "glob/*", targets: [{ provider: oa, model: "*" }] }
  - { name: mocked, targets: [{ provider: mock, model: demo }] }
`,
);
const openai = new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const anthropic = new Anthropic({ apiKey: KEY, baseURL: gw.url, maxRetries: 0 });

const prompt = (model: string, text: string) => ({ ...fixtures.openai.text(model), messages: [{ role: 'user' as const, content: text }] });
const anthropicPrompt = (model: string, text: string) => ({ ...fixtures.anthropic.text(model), messages: [{ role: 'user' as const, content: text }] });

async function raw(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; xCache: string | null; text: string; data: Array<{ event: string | undefined; data: string }> }> {
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  const parser = new SseParser();
  const data = [...parser.push(Buffer.from(text)), ...parser.end()].map((e) => ({ event: e.event, data: e.data }));
  return { status: res.status, xCache: res.headers.get('x-cache'), text, data };
}

t.test('openai: plain miss, plain hit, streamed hit replayed from the plain answer', async (t) => {
  oa.reset();
  const body = prompt('oa-model', 'plain first');
  const first = await openai.chat.completions.create(body).withResponse();
  t.equal(first.response.headers.get('x-cache'), 'MISS');
  t.equal(first.data.choices[0]?.message.content, OA_TEXT);

  const second = await openai.chat.completions.create(body).withResponse();
  t.equal(second.response.headers.get('x-cache'), 'HIT');
  t.same(second.data, first.data, 'the same answer, byte for byte');

  // The alias resolves to the same model, and stream / stream_options are not part of the key.
  const streamed = await openai.chat.completions.create({ ...body, model: 'oa-alias', stream: true, stream_options: { include_usage: true } }).withResponse();
  t.equal(streamed.response.headers.get('x-cache'), 'HIT');
  t.match(streamed.response.headers.get('content-type'), /^text\/event-stream/);
  let text = '';
  let usage: OpenAI.CompletionUsage | null | undefined;
  let finish: string | null | undefined;
  for await (const chunk of streamed.data) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    if (chunk.usage) usage = chunk.usage;
  }
  t.equal(text, OA_TEXT, 'replayed text');
  t.equal(finish, 'stop');
  t.match(usage, { prompt_tokens: DEFAULT_USAGE.prompt, completion_tokens: DEFAULT_USAGE.completion }, 'usage chunk when include_usage');
  t.equal(oa.requests.length, 1, 'the upstream saw exactly one request');
});

t.test('openai: streamed miss is stored once complete; plain and streamed hits follow', async (t) => {
  oa.reset();
  const body = prompt('oa-model', 'stream first');
  const stream = openai.chat.completions.stream({ ...body, stream: true });
  const final = await stream.finalChatCompletion();
  t.equal(final.choices[0]?.message.content, OA_TEXT);

  const plain = await openai.chat.completions.create(body).withResponse();
  t.equal(plain.response.headers.get('x-cache'), 'HIT');
  t.equal(plain.data.object, 'chat.completion');
  t.equal(plain.data.choices[0]?.message.content, OA_TEXT);
  t.equal(plain.data.choices[0]?.finish_reason, 'stop');
  t.match(plain.data.usage, { prompt_tokens: DEFAULT_USAGE.prompt, completion_tokens: DEFAULT_USAGE.completion, total_tokens: DEFAULT_USAGE.prompt + DEFAULT_USAGE.completion });

  const replay = await raw('/v1/chat/completions', { ...body, stream: true });
  t.equal(replay.xCache, 'HIT');
  t.ok(replay.text.endsWith('data: [DONE]\n\n'), 'ends with [DONE]');
  const chunks = replay.data.slice(0, -1).map((d) => JSON.parse(d.data) as Json);
  t.same(chunks[0]?.choices[0]?.delta, { role: 'assistant', content: '' }, 'role chunk first');
  t.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'stop', 'finish chunk last');
  t.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && !('usage' in c)), 'no usage chunk without include_usage');
  t.equal(oa.requests.length, 1, 'the upstream saw exactly one request');
});

t.test('openai: a streamed tool call is replayed as a plain tool call', async (t) => {
  oa.reset();
  oa.script([{ kind: 'tool-call' }]);
  const body = fixtures.openai.tools('oa-model');
  const streamed = await openai.chat.completions.stream({ ...body, stream: true }).finalChatCompletion();
  const call = streamed.choices[0]?.message.tool_calls?.[0];
  t.ok(call, 'the miss got a tool call');
  const plain = await openai.chat.completions.create(body).withResponse();
  t.equal(plain.response.headers.get('x-cache'), 'HIT');
  t.equal(plain.data.choices[0]?.finish_reason, 'tool_calls');
  const cached = plain.data.choices[0]?.message.tool_calls?.[0];
  t.equal(cached?.type === 'function' ? cached.function.name : undefined, 'get_weather');
  t.same(JSON.parse(cached?.type === 'function' ? cached.function.arguments : '{}'), DEFAULT_TOOL_ARGUMENTS);
  t.equal(cached?.id, call?.id);
  t.equal(oa.requests.length, 1);
});

t.test("Azure: a stream opening with the prompt-filter chunk is stored under the names of its real chunks", async (t) => {
  az.reset();
  const body = prompt('az-model', 'azure stream first');
  const miss = await raw('/v1/chat/completions', { ...body, stream: true });
  t.equal(miss.xCache, 'MISS');
  const missChunks = miss.data.slice(0, -1).map((d) => JSON.parse(d.data) as Json);
  t.same(missChunks[0], AZURE_PROMPT_FILTER_CHUNK, 'the caller of the miss got the prompt-filter chunk as sent');
  const real = missChunks[1] as Json;
  t.match(real, { id: /^chatcmpl-/, model: 'gpt-4o-mini-2024-07-18', system_fingerprint: 'fp_fake0001' });
  const names = { id: real.id, created: real.created, model: real.model, system_fingerprint: real.system_fingerprint };

  const plain = await openai.chat.completions.create(body).withResponse();
  t.equal(plain.response.headers.get('x-cache'), 'HIT');
  t.match(plain.data, { ...names, object: 'chat.completion' }, 'the plain hit is named as the real chunks were');
  t.equal(plain.data.choices[0]?.message.content, OA_TEXT);
  t.notOk('prompt_filter_results' in plain.data, 'nothing else from the prompt-filter chunk');

  const replay = await raw('/v1/chat/completions', { ...body, stream: true });
  t.equal(replay.xCache, 'HIT');
  const chunks = replay.data.slice(0, -1).map((d) => JSON.parse(d.data) as Json);
  t.ok(chunks.length > 1);
  t.ok(chunks.every((c) => c.id === names.id && c.created === names.created && c.model === names.model && c.system_fingerprint === names.system_fingerprint), 'every replayed chunk carries the real names');

  const legacy = { model: 'az-model', prompt: 'azure legacy stream first', max_tokens: 32 };
  const legacyMiss = await raw('/v1/completions', { ...legacy, stream: true });
  const legacyReal = JSON.parse(legacyMiss.data[1]?.data ?? '{}') as Json;
  t.match(legacyReal, { id: /^cmpl-/, model: 'gpt-4o-mini-2024-07-18' });
  const legacyHit = await openai.completions.create(legacy).withResponse();
  t.equal(legacyHit.response.headers.get('x-cache'), 'HIT');
  t.match(legacyHit.data, { id: legacyReal.id, created: legacyReal.created, model: legacyReal.model, object: 'text_completion' }, 'legacy completions too');

  // An Anthropic caller of the same stream (translated): the message is named after the real chunks.
  const question = anthropicPrompt('az-model', 'azure translated stream first');
  const translated = await anthropic.messages.stream(question).finalMessage();
  t.match(translated, { id: /^msg_/ });
  t.notMatch(translated.id, /^msg_gw[0-9a-f]{24}$/, 'not an id of our own: the upstream had one');
  t.not(translated.model, '', 'a model name');
  const hit = await anthropic.messages.create(question).withResponse();
  t.equal(hit.response.headers.get('x-cache'), 'HIT');
  t.equal(hit.data.id, translated.id);
  t.equal(hit.data.model, translated.model);
  t.equal(az.requests.length, 3, 'the upstream saw each question once');
});

t.test('cache-control: no-cache bypasses the lookup, no-store also the store', async (t) => {
  oa.reset();
  const body = prompt('oa-model', 'bypass');
  t.equal((await openai.chat.completions.create(body).withResponse()).response.headers.get('x-cache'), 'MISS');
  const bypass = await openai.chat.completions.create(body, { headers: { 'cache-control': 'no-cache' } }).withResponse();
  t.equal(bypass.response.headers.get('x-cache'), 'MISS', 'not answered from the cache');
  t.equal(oa.requests.length, 2, 'the bypass went upstream');

  const fresh = prompt('oa-model', 'never stored');
  t.equal((await openai.chat.completions.create(fresh, { headers: { 'cache-control': 'no-store' } }).withResponse()).response.headers.get('x-cache'), 'MISS');
  t.equal((await openai.chat.completions.create(fresh).withResponse()).response.headers.get('x-cache'), 'MISS', 'a bypassed answer is not stored');
  t.equal(oa.requests.length, 4);
});

t.test('failures and broken streams are never stored', async (t) => {
  oa.reset();
  const body = prompt('oa-model', 'fails first');
  oa.script([{ kind: 'status', status: 500 }]);
  const failed = await openai.chat.completions.create(body).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(failed instanceof OpenAI.APIError && failed.status === 502, 'the upstream failure reaches the caller');
  t.equal((await openai.chat.completions.create(body).withResponse()).response.headers.get('x-cache'), 'MISS', 'the failure was not stored');

  // A 200 that carries an error in place of an answer is a failure too, not an empty answer.
  const geBody = prompt('ge-model', 'answered 200 with an error');
  ge.script([{ kind: 'status', status: 200, body: geminiError(500, 'Internal error encountered.') }]);
  const carried = await openai.chat.completions.create(geBody).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(carried instanceof OpenAI.APIError && carried.status === 502 && /Internal error encountered/.test(carried.message), `the upstream's error reaches the caller: ${String(carried)}`);
  t.equal((await openai.chat.completions.create(geBody).withResponse()).response.headers.get('x-cache'), 'MISS', 'the error answer was not stored');

  const streamBody = { ...prompt('oa-model', 'cut mid-stream'), stream: true };
  oa.script([{ kind: 'reset-mid-stream', afterEvents: 2 }]);
  const cut = await raw('/v1/chat/completions', streamBody);
  t.notOk(cut.text.includes('[DONE]'), 'the cut stream ended with an error event');
  const after = await raw('/v1/chat/completions', streamBody);
  t.equal(after.xCache, 'MISS', 'a broken stream is not stored');
  t.ok(after.text.endsWith('data: [DONE]\n\n'));
  t.equal((await raw('/v1/chat/completions', streamBody)).xCache, 'HIT', 'the complete one is');
});

t.test('anthropic: plain miss, then the SDK stream and a strict event replay from the cache', async (t) => {
  an.reset();
  const body = anthropicPrompt('an-model', 'anthropic plain first');
  const first = await anthropic.messages.create(body).withResponse();
  t.equal(first.response.headers.get('x-cache'), 'MISS');

  const stream = anthropic.messages.stream(body);
  let streamed = '';
  stream.on('text', (delta) => (streamed += delta));
  const final = await stream.finalMessage();
  t.equal(streamed, AN_TEXT, 'text events');
  t.same(final.content, first.data.content, 'the same content');
  t.equal(final.stop_reason, 'end_turn');
  t.equal(final.id, first.data.id);
  t.equal(final.usage.output_tokens, first.data.usage.output_tokens);

  const replay = await raw('/v1/messages', { ...body, stream: true }, { 'x-api-key': KEY });
  t.equal(replay.xCache, 'HIT');
  const events = replay.data.map((d) => JSON.parse(d.data) as AnthropicStreamEvent);
  t.ok(replay.data.every((d, i) => d.event === events[i]?.type), 'event names equal data.type');
  t.same(anthropicSequenceViolations(events), [], 'strict event sequence');
  t.equal(an.requests.length, 1, 'the upstream saw exactly one request');
});

t.test('anthropic: a streamed tool use is stored and served plain', async (t) => {
  an.reset();
  an.script([{ kind: 'tool-call' }]);
  const body = { ...fixtures.anthropic.tools('an-model'), tool_choice: { type: 'any' as const } };
  const streamed = await anthropic.messages.stream(body).finalMessage();
  const plain = await anthropic.messages.create(body).withResponse();
  t.equal(plain.response.headers.get('x-cache'), 'HIT');
  t.equal(plain.data.stop_reason, 'tool_use');
  const use = plain.data.content.find((b) => b.type === 'tool_use');
  t.same(use?.type === 'tool_use' ? use.input : undefined, DEFAULT_TOOL_ARGUMENTS);
  t.same(plain.data.content, streamed.content, 'the stored message is the streamed one');
  t.equal(an.requests.length, 1);
});

t.test('entries are per protocol: the same request from the other SDK misses', async (t) => {
  an.reset();
  const text = 'one question, two protocols';
  t.equal((await anthropic.messages.create(anthropicPrompt('an-model', text)).withResponse()).response.headers.get('x-cache'), 'MISS');
  const viaOpenai = await openai.chat.completions.create({ model: 'an-model', max_tokens: 64, temperature: 0.2, messages: [{ role: 'user', content: text }] }).withResponse();
  t.equal(viaOpenai.response.headers.get('x-cache'), 'MISS');
  t.equal(viaOpenai.data.choices[0]?.message.content, AN_TEXT, 'translated answer');
  t.equal((await openai.chat.completions.create({ model: 'an-model', max_tokens: 64, temperature: 0.2, messages: [{ role: 'user', content: text }] }).withResponse()).response.headers.get('x-cache'), 'HIT');
  t.equal(an.requests.length, 2);
});

t.test('headers the upstream gets from the caller (anthropic-beta, openai-organization) are part of the key', async (t) => {
  an.reset();
  oa.reset();
  const body = anthropicPrompt('an-model', 'does the beta change the answer');
  t.equal((await anthropic.messages.create(body).withResponse()).response.headers.get('x-cache'), 'MISS');
  t.equal((await anthropic.messages.create(body).withResponse()).response.headers.get('x-cache'), 'HIT');
  const beta = await anthropic.messages.create(body, { headers: { 'anthropic-beta': 'output-128k-2025-02-19' } }).withResponse();
  t.equal(beta.response.headers.get('x-cache'), 'MISS', 'another beta, another entry');
  t.equal(an.requests.length, 2);
  const question = prompt('oa-model', 'which organization pays');
  const orgA = new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0, organization: 'org-A' });
  const orgB = new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0, organization: 'org-B' });
  t.equal((await orgA.chat.completions.create(question).withResponse()).response.headers.get('x-cache'), 'MISS');
  t.equal((await orgA.chat.completions.create(question).withResponse()).response.headers.get('x-cache'), 'HIT');
  t.equal((await orgB.chat.completions.create(question).withResponse()).response.headers.get('x-cache'), 'MISS', "another organization's answer is not served");
  t.equal(oa.requests.length, 2);
});

t.test('names matching one glob are different models: never one entry', async (t) => {
  oa.reset();
  const first = await raw('/v1/chat/completions', prompt('glob/gpt-4o', 'glob'));
  const again = await raw('/v1/chat/completions', prompt('glob/gpt-4o', 'glob'));
  const other = await raw('/v1/chat/completions', prompt('glob/gpt-4o-mini', 'glob'));
  t.same([first.xCache, again.xCache, other.xCache], ['MISS', 'HIT', 'MISS']);
  t.same(
    oa.requests.map((r) => (r.body as Json).model),
    ['gpt-4o', 'gpt-4o-mini'],
    'each upstream model answered its own request',
  );
});

t.test("the mock provider's x-mock-chunks (the answer's length) is part of the key", async (t) => {
  const body = prompt('mocked', 'mock');
  const short = await raw('/v1/chat/completions', body, { 'x-mock-chunks': '3' });
  const long = await raw('/v1/chat/completions', body, { 'x-mock-chunks': '40' });
  const longAgain = await raw('/v1/chat/completions', body, { 'x-mock-chunks': '40', 'x-mock-latency': '1' });
  t.same([short.xCache, long.xCache, longAgain.xCache], ['MISS', 'MISS', 'HIT']);
  t.not(long.text, short.text);
});

t.test('an integer beyond 2^53 (a provider-specific field passed through) is not cached: JSON.parse cannot tell two of them apart', async (t) => {
  oa.reset();
  const send = (seed: string) => fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: `{"model":"oa-model","messages":[{"role":"user","content":"seeded"}],"extra_seed":${seed}}` });
  const first = await send('9007199254740993');
  const second = await send('9007199254740992');
  t.same([first.status, second.status], [200, 200]);
  t.same([first.headers.get('x-cache'), second.headers.get('x-cache')], [null, null], 'neither looked up nor stored');
  t.equal(oa.requests.length, 2, 'both reached the upstream');
});

t.test('embeddings are cached too; a changed sampling field is another entry', async (t) => {
  oa.reset();
  const first = await openai.embeddings.create({ model: 'oa-model', input: ['cache me'], encoding_format: 'float' }).withResponse();
  const second = await openai.embeddings.create({ model: 'oa-model', input: ['cache me'], encoding_format: 'float' }).withResponse();
  t.equal(first.response.headers.get('x-cache'), 'MISS');
  t.equal(second.response.headers.get('x-cache'), 'HIT');
  t.same(second.data.data, first.data.data);
  const warmer = await openai.chat.completions.create({ ...prompt('oa-model', 'plain first'), temperature: 0.9 }).withResponse();
  t.equal(warmer.response.headers.get('x-cache'), 'MISS', 'temperature is part of the key');
  t.equal(oa.requests.length, 2);
});

t.test('callers with their own provider keys never share entries', async (t) => {
  const strict = await startFakeOpenai({ requireKey: 'sk-the-paying-key' });
  t.teardown(() => strict.close());
  const clientGw = await startGateway(
    t,
    `
logging: { level: warn }
auth: { mode: client }
routing: { retries: 0 }
cache: { enabled: true }
providers: [{ name: oa, type: openai, base_url: "${strict.url}" }]
models: [{ name: oa-model, targets: [{ provider: oa, model: gpt-4o-mini }] }]
`,
    { workers: 1 },
  );
  const as = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${clientGw.url}/v1`, maxRetries: 0 });
  const body = prompt('oa-model', 'who pays for this answer');
  const paid = await as('sk-the-paying-key').chat.completions.create(body).withResponse();
  t.equal(paid.response.headers.get('x-cache'), 'MISS');
  t.equal((await as('sk-the-paying-key').chat.completions.create(body).withResponse()).response.headers.get('x-cache'), 'HIT', 'the same key hits');
  const other = await as('sk-some-other-key').chat.completions.create(body).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(other instanceof OpenAI.AuthenticationError, 'another key goes upstream and is refused there, not served from the cache');
  t.equal(strict.requests.length, 2);
});
