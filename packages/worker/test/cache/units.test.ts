/**
 * The cache's pure parts: the canonical key, stream assembly and SSE replay (round trips through
 * the same SSE parser the gateway uses), what counts as storable, and the rate-limit header
 * formats.
 */
import t from 'tap';
import type { AnthropicMessage, AnthropicStreamEvent, ChatCompletionChunk, ChatCompletionResponse } from '@gatewayd/shared';
import { AnswerCapture, MAX_CAPTURE_BYTES, assembleAnthropic, assembleChat, assembleCompletion, bypassRequested, cacheKeyOf, replayAnthropic, replayChat, replayCompletion, stableStringify, storablePlain } from '../../src/cache/index.js';
import { openaiDuration, rateLimitHeaders, retryAfterSeconds, rfc3339After } from '../../src/pipeline/admission-headers.js';
import type { ClientCall } from '../../src/pipeline/types.js';
import { encodeAnthropicEvent, SseParser } from '../../src/protocol/sse/index.js';
import { OpenaiToAnthropicStream } from '../../src/providers/anthropic/index.js';
import { anthropicSequenceViolations } from '../protocol/helpers/anthropic-strict.js';

const sse = (text: string) => {
  const parser = new SseParser();
  return [...parser.push(Buffer.from(text)), ...parser.end()];
};

t.test('the key: sorted keys, client-only fields and the alias do not matter, content does', async (t) => {
  const call = (body: Record<string, unknown>): ClientCall => ({ protocol: 'openai-chat', body: body as never });
  const base = { model: 'alias', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2, max_tokens: 5 };
  const key = cacheKeyOf(call(base), 'canonical');
  t.match(key, /^[0-9a-f]{64}$/);
  t.equal(cacheKeyOf(call({ max_tokens: 5, temperature: 0.2, messages: [{ content: 'hi', role: 'user' }], model: 'other-alias' }), 'canonical'), key, 'key order and alias');
  t.equal(cacheKeyOf(call({ ...base, stream: true, stream_options: { include_usage: true }, user: 'u1', metadata: { a: 'b' }, store: true }), 'canonical'), key, 'delivery and bookkeeping fields');
  for (const change of [{ temperature: 0.3 }, { max_tokens: 6 }, { top_p: 0.5 }, { seed: 1 }, { stop: ['x'] }, { tools: [] }, { tool_choice: 'none' }, { response_format: { type: 'json_object' } }, { messages: [{ role: 'user', content: 'hi!' }] }]) {
    t.not(cacheKeyOf(call({ ...base, ...change }), 'canonical'), key, `changed: ${Object.keys(change)[0]}`);
  }
  t.not(cacheKeyOf(call(base), 'another-model'), key, 'resolved model');
  t.not(cacheKeyOf({ protocol: 'openai-completions', body: base as never }, 'canonical'), key, 'protocol');
  t.equal(stableStringify({ b: [1, { d: 1, c: undefined, a: null }], a: 'x' }), '{"a":"x","b":[1,{"a":null,"d":1}]}');
  // Strings and numbers are written as JSON.stringify writes them (strings needing no escape skip its call).
  for (const value of ['plain', 'quo"te', 'back\\slash', 'ctl\u0001', 'nl\n', 'tab\t', 'emoji \u{1F600}', 'lone \ud800', 'lone \udc00 end', 'del\u007f', 'é', 'line\u2028sep', '', 0, -0, 1.5, -2.25e-7, 123456789, 2 ** 53 - 1, true, false, null]) {
    // The message is escaped: a raw U+2028 would end the TAP line.
    const name = encodeURI(JSON.stringify(value));
    t.equal(stableStringify(value), JSON.stringify(value), name);
    t.equal(stableStringify({ [String(value)]: [value] }), JSON.stringify({ [String(value)]: [value] }), `as a key and in an array: ${name}`);
  }
});

t.test('bypass directives', async (t) => {
  for (const value of ['no-cache', 'No-Store', 'max-age=0, no-cache', 'no-store,private']) t.ok(bypassRequested(value), value);
  for (const value of ['', 'max-age=60', 'no-transform', 'private']) t.notOk(bypassRequested(value), value || '(none)');
});

const CHAT: ChatCompletionResponse = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  system_fingerprint: 'fp',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'Hello there', refusal: null }, logprobs: null, finish_reason: 'stop' },
    {
      index: 1,
      message: { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }, { id: 'call_2', type: 'function', function: { name: 'g', arguments: '{}' } }] },
      logprobs: null,
      finish_reason: 'tool_calls',
    },
  ],
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
};

t.test('openai chat: a stream whose parallel tool calls omit or repeat `index` assembles into one call each', async (t) => {
  const head = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm' };
  const data = (delta: unknown, finish: string | null = null) => `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  for (const [name, first, second] of [
    ['no index', { id: 't1', function: { name: 'a', arguments: '{"x":1}' } }, { id: 't2', function: { name: 'b', arguments: '{"y":2}' } }],
    ['index 0 twice', { index: 0, id: 't1', function: { name: 'a', arguments: '{"x":1}' } }, { index: 0, id: 't2', function: { name: 'b', arguments: '{"y":2}' } }],
  ] as const) {
    const text = data({ role: 'assistant', tool_calls: [first] }) + data({ tool_calls: [second] }) + data({}, 'tool_calls') + 'data: [DONE]\n\n';
    t.strictSame(
      assembleChat(sse(text), undefined)?.choices[0]?.message.tool_calls,
      [
        { id: 't1', type: 'function', function: { name: 'a', arguments: '{"x":1}' } },
        { id: 't2', type: 'function', function: { name: 'b', arguments: '{"y":2}' } },
      ],
      name,
    );
  }
});

t.test('openai chat: a stream whose choices omit `index` assembles as choice 0; an absurd index is not stored', async (t) => {
  const head = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm' };
  const data = (choice: Record<string, unknown>) => `data: ${JSON.stringify({ ...head, choices: [choice] })}\n\n`;
  const text = data({ delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }) + data({ delta: { content: 'lo' }, finish_reason: null }) + data({ delta: {}, finish_reason: 'stop' }) + 'data: [DONE]\n\n';
  const answer = assembleChat(sse(text), undefined);
  t.equal(answer?.choices.length, 1);
  t.equal(answer?.choices[0]?.message.content, 'Hello');
  t.equal(assembleChat(sse(text.replace('"delta":{"content":"lo"}', '"index":1000000000,"delta":{"content":"lo"}')), undefined), null, 'not a billion-slot array');
});

t.test('openai chat: a custom tool call (GPT-5) streamed in pieces assembles into one custom call, and its replay assembles back', async (t) => {
  const head = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm' };
  const data = (delta: unknown, finish: string | null = null) => `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const text =
    data({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_p', type: 'custom', custom: { name: 'apply_patch', input: '' } }] }) +
    data({ tool_calls: [{ index: 0, custom: { input: '*** Begin ' } }] }) +
    data({ tool_calls: [{ index: 0, custom: { input: 'Patch' } }] }) +
    data({ tool_calls: [{ index: 1, id: 'call_f', type: 'function', function: { name: 'f', arguments: '{}' } }] }) +
    data({}, 'tool_calls') +
    'data: [DONE]\n\n';
  const answer = assembleChat(sse(text), { prompt: 1, completion: 2 });
  t.strictSame(answer?.choices[0]?.message.tool_calls, [
    { id: 'call_p', type: 'custom', custom: { name: 'apply_patch', input: '*** Begin Patch' } },
    { id: 'call_f', type: 'function', function: { name: 'f', arguments: '{}' } },
  ]);
  const replayed = replayChat(answer!, false);
  t.match(replayed, /"type":"custom","custom":\{"name":"apply_patch","input":"\*\*\* Begin Patch"\}/, 'replayed in the shape it came');
  t.same(assembleChat(sse(replayed), { prompt: 1, completion: 2 }), answer);
});

t.test('openai chat: replay then assemble gives the answer back; usage chunk only when asked', async (t) => {
  const withUsage = replayChat(CHAT, true);
  t.same(assembleChat(sse(withUsage), undefined), CHAT);
  const withoutUsage = replayChat(CHAT, false);
  t.notOk(withoutUsage.includes('"usage"'), 'no usage anywhere without include_usage');
  t.same(assembleChat(sse(withoutUsage), { prompt: 3, completion: 4 }), CHAT, 'usage from the gateway count');
  t.ok(withoutUsage.endsWith('data: [DONE]\n\n'));
  t.equal(assembleChat(sse(withUsage.replace('data: [DONE]\n\n', '')), undefined), null, 'no [DONE]: incomplete');
  t.equal(assembleChat(sse(withUsage.replace('"finish_reason":"tool_calls"', '"finish_reason":null')), undefined), null, 'a choice without finish');
  const firstEvent = withUsage.slice(0, withUsage.indexOf('\n\n') + 2);
  t.not(assembleChat(sse(`${firstEvent}${replayChat(CHAT, true).slice(firstEvent.length)}`), undefined), null, 'the control case assembles');
  t.equal(assembleChat(sse(`${firstEvent}data: {"error":{"message":"x"}}\n\n${withUsage.slice(firstEvent.length)}`), undefined), null, 'an error event');
});

t.test('openai legacy completions round trip', async (t) => {
  const answer = { id: 'cmpl-1', object: 'text_completion' as const, created: 1, model: 'm', choices: [{ text: 'abc', index: 0, logprobs: null, finish_reason: 'length' as const }], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } };
  t.same(assembleCompletion(sse(replayCompletion(answer, true)), undefined), answer);
});

const MESSAGE: AnthropicMessage = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude',
  content: [
    { type: 'thinking', thinking: 'hmm', signature: 'sig' },
    { type: 'text', text: 'Hi' },
    { type: 'tool_use', id: 'toolu_1', name: 'f', input: { city: 'Paris' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 5, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 2 },
};

t.test('anthropic: strict replay, assembled back to the same message', async (t) => {
  const text = replayAnthropic(MESSAGE);
  const events = sse(text);
  t.same(anthropicSequenceViolations(events.map((e) => JSON.parse(e.data) as AnthropicStreamEvent)), []);
  t.ok(events.every((e) => e.event === (JSON.parse(e.data) as { type: string }).type));
  t.same(assembleAnthropic(events), MESSAGE);
  t.equal(assembleAnthropic(sse(text.replace(/event: message_stop[\s\S]*$/, ''))), null, 'no message_stop: incomplete');
  t.equal(assembleAnthropic(sse(`${text}event: error\ndata: {"type":"error","error":{"type":"x","message":"y"}}\n\n`)), null, 'anything after message_stop');
});

t.test('storable plain answers', async (t) => {
  const body = (v: unknown) => Buffer.from(JSON.stringify(v));
  t.ok(storablePlain('openai-chat', body(CHAT)));
  t.notOk(storablePlain('openai-chat', body({ ...CHAT, choices: [{ ...CHAT.choices[0], finish_reason: null }] })));
  t.ok(storablePlain('anthropic-messages', body(MESSAGE)));
  t.notOk(storablePlain('anthropic-messages', body({ ...MESSAGE, stop_reason: null })));
  t.ok(storablePlain('openai-embeddings', body({ object: 'list', data: [{ embedding: [1] }] })));
  t.notOk(storablePlain('openai-chat', Buffer.from('not json')));
});

t.test('an OpenAI answer with parts the SSE replay does not carry is not stored, plain or streamed', async (t) => {
  const body = (v: unknown) => Buffer.from(JSON.stringify(v));
  const first = CHAT.choices[0]!;
  const variants: Array<[string, unknown]> = [
    ['logprobs', { ...CHAT, choices: [{ ...first, logprobs: { content: [{ token: 'hi', logprob: -0.1, bytes: [104, 105], top_logprobs: [] }] } }] }],
    ['legacy function_call', { ...CHAT, choices: [{ ...first, message: { role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } }, finish_reason: 'function_call' }] }],
    ['audio', { ...CHAT, choices: [{ ...first, message: { ...first.message, audio: { id: 'a1', data: 'AAAA', expires_at: 1, transcript: 'hi' } } }] }],
    ['annotations', { ...CHAT, choices: [{ ...first, message: { ...first.message, annotations: [{ type: 'url_citation', url_citation: { url: 'https://x', title: 't', start_index: 0, end_index: 1 } }] } }] }],
  ];
  for (const [name, answer] of variants) t.notOk(storablePlain('openai-chat', body(answer)), `plain with ${name}`);
  t.ok(storablePlain('openai-chat', body({ ...CHAT, choices: [{ ...first, message: { ...first.message, content: 'a text about "logprobs":{ in quotes', annotations: [] } }] })), 'the words in the text, or no annotations, do not count');
  const head = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm' };
  const stream = (delta: unknown) => sse([delta, {}].map((d, i) => `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: d, finish_reason: i === 1 ? 'stop' : null }] })}\n\n`).join('') + 'data: [DONE]\n\n');
  t.equal(assembleChat(stream({ function_call: { name: 'f', arguments: '{}' } }), undefined), null, 'streamed legacy function_call');
  t.equal(assembleChat(stream({ audio: { id: 'a1', data: 'AAAA' } }), undefined), null, 'streamed audio');
  t.equal(assembleChat(stream({ content: 'x', annotations: [{ type: 'url_citation' }] }), undefined), null, 'streamed annotations');
  t.not(assembleChat(stream({ content: 'x' }), undefined), null, 'the control case is stored');
});

t.test('answers over MAX_CAPTURE_BYTES are not stored, plain or streamed', async (t) => {
  const embeddings = (values: number) => JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: new Array(values).fill(0.125) }], model: 'm' });
  const plain = (text: string) => {
    const capture = new AnswerCapture('openai-embeddings');
    capture.plain({ status: 200, contentType: 'application/json', body: text, usage: undefined });
    return capture.entry(undefined);
  };
  const small = embeddings(1000);
  t.equal(plain(small)?.toString(), small, 'a small answer is the entry');
  const large = embeddings(Math.ceil(MAX_CAPTURE_BYTES / 6) + 1);
  t.ok(Buffer.byteLength(large) > MAX_CAPTURE_BYTES);
  t.equal(plain(large), null, 'a plain answer over the cap');
  const stream = new AnswerCapture('openai-chat');
  stream.streamData(Buffer.alloc(MAX_CAPTURE_BYTES + 1, 0x20));
  stream.streamEnd(true);
  t.equal(stream.entry(undefined), null, 'a streamed answer over the cap');
});

t.test('a plain answer is stored whatever the case of its media type (RFC 9110 8.3.1)', async (t) => {
  const body = JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.5] }], model: 'm' });
  for (const contentType of ['application/json', 'Application/JSON; charset=UTF-8', ' application/json ']) {
    const capture = new AnswerCapture('openai-embeddings');
    capture.plain({ status: 200, contentType, body, usage: undefined });
    t.equal(capture.entry(undefined)?.toString(), body, contentType);
  }
  const html = new AnswerCapture('openai-embeddings');
  html.plain({ status: 200, contentType: 'text/html', body, usage: undefined });
  t.equal(html.entry(undefined), null, 'not another media type');
});

t.test('rate-limit header formats', async (t) => {
  t.equal(openaiDuration(0), '0ms');
  t.equal(openaiDuration(17.2), '18ms');
  t.equal(openaiDuration(1000), '1s');
  t.equal(openaiDuration(1500), '1.5s');
  t.equal(openaiDuration(59_999), '59.999s');
  t.equal(openaiDuration(60_000), '1m0s');
  t.equal(openaiDuration(360_000), '6m0s');
  t.equal(openaiDuration(3_600_000), '1h0m0s');
  t.equal(rfc3339After(Date.UTC(2025, 0, 1, 0, 0, 0, 100), 1_000), '2025-01-01T00:00:02Z', 'rounded up to the second');
  t.equal(retryAfterSeconds(1), '1');
  t.equal(retryAfterSeconds(1001), '2');
  t.equal(retryAfterSeconds(0), '1');
  const admission = { ok: true, ticket: null, retryAfterMs: 0, violated: null, degraded: false, requests: { limit: 10, remaining: 4, resetMs: 60_000 }, tokens: null };
  const openai: Array<[string, string]> = [];
  rateLimitHeaders(openai, 'openai', admission, 0);
  t.same(openai, [['x-ratelimit-limit-requests', '10'], ['x-ratelimit-remaining-requests', '4'], ['x-ratelimit-reset-requests', '1m0s']]);
  const anthropic: Array<[string, string]> = [];
  rateLimitHeaders(anthropic, 'anthropic', admission, 0);
  t.same(anthropic, [['anthropic-ratelimit-requests-limit', '10'], ['anthropic-ratelimit-requests-remaining', '4'], ['anthropic-ratelimit-requests-reset', '1970-01-01T00:01:00Z']]);
});

t.test('reasoning: an OpenAI stream with reasoning_content (or vLLM reasoning) is cached and replayed with it', async (t) => {
  const stream = [
    { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { reasoning_content: 'Let me ' }, finish_reason: null }] },
    { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { reasoning_content: 'think.' }, finish_reason: null }] },
    { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'Four.' }, finish_reason: null }] },
    { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
  ];
  const text = `${stream.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('')}data: [DONE]\n\n`;
  const answer = assembleChat(sse(text), { prompt: 1, completion: 2 });
  t.same(answer?.choices[0]?.message, { role: 'assistant', content: 'Four.', refusal: null, reasoning_content: 'Let me think.' });
  if (!answer) return;
  const replayed = replayChat(answer, false);
  t.match(replayed, /"delta":\{"reasoning_content":"Let me think\."\}[\s\S]*"delta":\{"content":"Four\."\}/, 'reasoning replayed before the content');
  t.same(assembleChat(sse(replayed), { prompt: 1, completion: 2 }), answer);
  const vllm = assembleChat(sse(text.replaceAll('reasoning_content', 'reasoning')), undefined);
  t.same(vllm?.choices[0]?.message, { role: 'assistant', content: 'Four.', refusal: null, reasoning: 'Let me think.' }, 'the field name the caller saw is kept');
  if (vllm) t.match(replayChat(vllm, false), /"delta":\{"reasoning":"Let me think\."\}/);
});

t.test('reasoning: a translated Anthropic stream with a thinking block (empty signature) assembles and replays strictly', async (t) => {
  const hub = new OpenaiToAnthropicStream({ model: 'm', inputTokensEstimate: 3 });
  const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null): ChatCompletionChunk => ({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });
  const events = [
    ...hub.push(chunk({ role: 'assistant', reasoning_content: 'Hmm.' })),
    ...hub.push(chunk({ content: 'Yes.' })),
    ...hub.push(chunk({}, 'stop')),
    ...hub.end(),
  ];
  const text = events.map((e) => encodeAnthropicEvent(e)).join('');
  const message = assembleAnthropic(sse(text));
  t.same(message?.content, [{ type: 'thinking', thinking: 'Hmm.', signature: '' }, { type: 'text', text: 'Yes.' }]);
  if (!message) return;
  const replayed = sse(replayAnthropic(message));
  t.same(anthropicSequenceViolations(replayed.map((e) => JSON.parse(e.data) as AnthropicStreamEvent)), []);
  t.same(assembleAnthropic(replayed), message);
});
