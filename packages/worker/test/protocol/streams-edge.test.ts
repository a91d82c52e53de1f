/** Stream transforms outside the happy path, and the SSE encoders. */
import t from 'tap';
import type { AnthropicStreamEvent, ChatCompletionChunk } from '@gatewayd/shared';
import { AnthropicToOpenaiStream, OpenaiToAnthropicStream } from '../../src/providers/anthropic/index.js';
import { GeminiToOpenaiStream } from '../../src/providers/gemini/index.js';
import { UpstreamStreamError } from '../../src/protocol/errors.js';
import {
  encodeAnthropicEvent,
  encodeAnthropicStreamError,
  encodeOpenaiChunk,
  encodeOpenaiStreamError,
  OPENAI_DONE,
  SseParser,
} from '../../src/protocol/sse/index.js';
import { anthropicSequenceViolations } from './helpers/anthropic-strict.js';

const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null): ChatCompletionChunk => ({
  id: 'chatcmpl-e',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

t.test('Anthropic error event mid-stream raises UpstreamStreamError with its type', async (t) => {
  const s = new AnthropicToOpenaiStream();
  s.push({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'c', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } } });
  const error = t.throws(() => s.push({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })) as UpstreamStreamError;
  t.equal(error.upstreamType, 'overloaded_error');
  t.equal(error.message, 'Overloaded');
  t.equal(s.done, false, 'not a normal completion');
  t.strictSame(s.usage?.prompt_tokens, 1, 'usage so far is still known');
});

t.test('OpenAI error payload mid-stream raises UpstreamStreamError', async (t) => {
  const s = new OpenaiToAnthropicStream();
  s.push(chunk({ content: 'hi' }));
  const error = t.throws(() => s.pushData('{"error":{"message":"boom","type":"server_error","code":null}}')) as UpstreamStreamError;
  t.equal(error.upstreamType, 'server_error');
});

t.test('Gemini error payload mid-stream raises UpstreamStreamError', async (t) => {
  const s = new GeminiToOpenaiStream({ model: 'g' });
  t.throws(() => s.pushData('{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}'), UpstreamStreamError);
});

t.test('OpenaiToAnthropicStream: empty upstream still yields a valid message; end() is idempotent', async (t) => {
  const s = new OpenaiToAnthropicStream({ model: 'm', inputTokensEstimate: 5 });
  const events = s.end();
  t.strictSame(anthropicSequenceViolations(events), []);
  t.equal(events.length, 3, 'message_start, message_delta, message_stop');
  t.strictSame(s.end(), []);
  t.strictSame(s.push(chunk({ content: 'late' })), [], 'nothing after the end');
  t.equal(s.done, true);
});

t.test('OpenaiToAnthropicStream: interleaved tool arguments cannot reopen a closed block (dropped and counted)', async (t) => {
  const s = new OpenaiToAnthropicStream();
  const events: AnthropicStreamEvent[] = [
    ...s.push(chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'a', arguments: '{"x":' } }] })),
    ...s.push(chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'b', arguments: '{}' } }] })),
    ...s.push(chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] })),
    ...s.push(chunk({}, 'tool_calls')),
    ...s.pushData('[DONE]'),
  ];
  t.equal(s.droppedToolDeltas, 1);
  // The first tool's arguments were cut by the drop: closed as far as they went, so the stream stays valid.
  t.strictSame(anthropicSequenceViolations(events), []);
  const first = events.flatMap((e) => (e.type === 'content_block_delta' && e.index === 0 && e.delta.type === 'input_json_delta' ? [e.delta.partial_json] : [])).join('');
  t.same(JSON.parse(first), { x: null });
});

t.test('OpenaiToAnthropicStream: a tool call without id gets a generated valid one; refusal text is text', async (t) => {
  const s = new OpenaiToAnthropicStream();
  const events = [...s.push(chunk({ refusal: "I can't help with that." })), ...s.push(chunk({ tool_calls: [{ index: 0, function: { name: 'f', arguments: '{}' } }] })), ...s.push(chunk({}, 'content_filter')), ...s.end()];
  t.strictSame(anthropicSequenceViolations(events), []);
  const start = events.find((e) => e.type === 'content_block_start' && e.content_block.type === 'tool_use');
  t.match(start, { content_block: { id: /^toolu_msg_e_0$/ } });
  const delta = events.find((e) => e.type === 'message_delta');
  t.match(delta, { delta: { stop_reason: 'refusal' } });
});

t.test('GeminiToOpenaiStream: prompt blocked before any candidate', async (t) => {
  const s = new GeminiToOpenaiStream({ model: 'g', includeUsage: true });
  const out = [...s.push({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 } }), ...s.end()];
  t.equal(out.length, 2);
  t.match(out[0], { choices: [{ delta: { role: 'assistant' }, finish_reason: 'content_filter' }] });
  t.match(out[1], { choices: [], usage: { prompt_tokens: 4 } });
  t.strictSame(s.end(), [], 'idempotent');
});

t.test('GeminiToOpenaiStream: EOF without finishReason still finishes the OpenAI stream', async (t) => {
  const s = new GeminiToOpenaiStream({ model: 'g' });
  const out = [...s.push({ candidates: [{ content: { role: 'model', parts: [{ text: 'partial' }] } }] }), ...s.end()];
  t.match(out.at(-1), { choices: [{ finish_reason: 'stop' }] });
});

t.test('encoders produce SSE that parses back to the same objects', async (t) => {
  const c = chunk({ content: 'é\n"quoted"' });
  const event: AnthropicStreamEvent = { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'line1\nline2' } };
  t.equal(OPENAI_DONE, 'data: [DONE]\n\n');
  t.match(encodeAnthropicEvent(event), /^event: content_block_delta\ndata: \{.*\}\n\n$/);
  t.match(encodeOpenaiChunk(c), /^data: \{.*\}\n\n$/);
  const text = encodeOpenaiChunk(c) + encodeAnthropicEvent(event) + encodeOpenaiStreamError('GW_ERR_STREAM_INTERRUPTED', 'upstream reset') + encodeAnthropicStreamError('GW_ERR_UPSTREAM_TIMEOUT', 'idle') + OPENAI_DONE;
  const parser = new SseParser();
  const events = [...parser.push(new TextEncoder().encode(text)), ...parser.end()];
  t.strictSame(JSON.parse(events[0]?.data ?? ''), c);
  t.strictSame(events[1]?.event, 'content_block_delta');
  t.strictSame(JSON.parse(events[1]?.data ?? ''), event);
  t.strictSame(JSON.parse(events[2]?.data ?? ''), { error: { message: 'upstream reset', type: 'server_error', param: null, code: 'GW_ERR_STREAM_INTERRUPTED' } });
  t.equal(events[3]?.event, 'error');
  t.strictSame(JSON.parse(events[3]?.data ?? ''), { type: 'error', error: { type: 'api_error', message: 'idle' } });
  t.equal(events[4]?.data, '[DONE]');
});

t.test('the strictness checker rejects each kind of malformed Anthropic sequence', async (t) => {
  const start: AnthropicStreamEvent = { type: 'message_start', message: { id: 'm', type: 'message', role: 'assistant', model: 'c', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } } };
  const textStart = (index: number): AnthropicStreamEvent => ({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
  const stop = (index: number): AnthropicStreamEvent => ({ type: 'content_block_stop', index });
  const delta: AnthropicStreamEvent = { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } };
  const end: AnthropicStreamEvent = { type: 'message_stop' };
  t.strictSame(anthropicSequenceViolations([start, textStart(0), stop(0), delta, end]), [], 'valid baseline');
  const bad: Array<[string, AnthropicStreamEvent[], RegExp]> = [
    ['missing message_start', [textStart(0), stop(0), delta, end], /first event must be message_start/],
    ['index gap', [start, textStart(1), stop(1), delta, end], /index 1, expected 0/],
    ['overlapping blocks', [start, textStart(0), textStart(1), stop(1), stop(0), delta, end], /starts while 0 is open/],
    ['start without stop', [start, textStart(0), delta, end], /while block 0 is open/],
    ['delta of the wrong kind', [start, textStart(0), { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{}' } }, stop(0), delta, end], /input_json_delta in a text block/],
    ['message_stop before message_delta', [start, end], /message_stop before message_delta/],
    ['event after message_stop', [start, delta, end, { type: 'ping' }], /event after message_stop/],
    ['no message_stop', [start, delta], /does not end with message_stop/],
    ['invalid tool JSON', [start, { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 't', name: 'f', input: {} } }, { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"a":' } }, stop(0), delta, end], /not valid JSON/],
  ];
  for (const [name, events, pattern] of bad) t.match(anthropicSequenceViolations(events).join('\n'), pattern, name);
});

t.test('OpenaiToAnthropicStream: parallel tool calls without an index, or with a repeated one, stay apart', async (t) => {
  // Gemini's OpenAI-compatible endpoint omits `index`; Ollama behind some proxies repeats 0.
  const shapes: Array<[string, Array<Record<string, unknown>>]> = [
    ['no index', [{ id: 't1', function: { name: 'a', arguments: '{"x":1}' } }, { id: 't2', function: { name: 'b', arguments: '{"y":2}' } }]],
    ['index 0 twice', [{ index: 0, id: 't1', function: { name: 'a', arguments: '{"x":1}' } }, { index: 0, id: 't2', function: { name: 'b', arguments: '{"y":2}' } }]],
  ];
  for (const [name, calls] of shapes) {
    const s = new OpenaiToAnthropicStream({ model: 'm' });
    const events = [
      ...s.push(chunk({ role: 'assistant', tool_calls: [calls[0]] } as never)),
      ...s.push(chunk({ tool_calls: [calls[1]] } as never)),
      ...s.push(chunk({}, 'tool_calls')),
      ...s.end(),
    ];
    t.strictSame(anthropicSequenceViolations(events), [], `${name}: a strict Anthropic stream`);
    const blocks = new Map<number, { id: string; name: string; json: string }>();
    for (const event of events) {
      if (event.type === 'content_block_start' && event.content_block.type === 'tool_use') blocks.set(event.index, { id: event.content_block.id, name: event.content_block.name, json: '' });
      if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta') blocks.get(event.index)!.json += event.delta.partial_json;
    }
    t.strictSame([...blocks.values()], [
      { id: 't1', name: 'a', json: '{"x":1}' },
      { id: 't2', name: 'b', json: '{"y":2}' },
    ], `${name}: two tool_use blocks`);
  }
  // The usual shape still works: arguments split over chunks that carry only the index.
  const s = new OpenaiToAnthropicStream({ model: 'm' });
  const events = [
    ...s.push(chunk({ tool_calls: [{ index: 0, id: 't1', function: { name: 'a', arguments: '{"x"' } }] })),
    ...s.push(chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] })),
    ...s.end(),
  ];
  const json = events.flatMap((e) => (e.type === 'content_block_delta' && e.delta.type === 'input_json_delta' ? [e.delta.partial_json] : [])).join('');
  t.equal(json, '{"x":1}');
});

t.test('AnthropicToOpenaiStream: a tool without parameters gets arguments "{}"; an input given whole at the start is kept', async (t) => {
  const start = (input: Record<string, unknown>): AnthropicStreamEvent => ({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'now', input } });
  const run = (events: AnthropicStreamEvent[]) => {
    const s = new AnthropicToOpenaiStream({ includeUsage: false });
    const chunks = [
      ...s.push({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 0 } } } as AnthropicStreamEvent),
      ...events.flatMap((event) => s.push(event)),
    ];
    return chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []).map((call) => call.function?.arguments ?? '').join('');
  };
  t.equal(run([start({}), { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } }, { type: 'content_block_stop', index: 0 }]), '{}', 'no parameters');
  t.equal(run([start({}), { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"a":1}' } }, { type: 'content_block_stop', index: 0 }]), '{"a":1}', 'streamed JSON as it came');
  t.equal(run([start({ a: 1 }), { type: 'content_block_stop', index: 0 }]), '{"a":1}', 'the whole input at the start');
});

t.test('OpenaiToAnthropicStream: choices without an index are the one choice, not dropped', async (t) => {
  const s = new OpenaiToAnthropicStream({ model: 'm' });
  const bare = (delta: Record<string, unknown>, finish: string | null = null) => ({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ delta, finish_reason: finish }] }) as unknown as ChatCompletionChunk;
  const events = [...s.push(bare({ role: 'assistant', content: 'Hel' })), ...s.push(bare({ content: 'lo' })), ...s.push(bare({}, 'stop')), ...s.end()];
  t.strictSame(anthropicSequenceViolations(events), []);
  const text = events.flatMap((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? [e.delta.text] : [])).join('');
  t.equal(text, 'Hello');
  const other = new OpenaiToAnthropicStream({ model: 'm' });
  const second = { ...bare({ content: 'not mine' }), choices: [{ index: 1, delta: { content: 'not mine' }, finish_reason: null }] } as unknown as ChatCompletionChunk;
  t.notOk(other.push(second).some((e) => e.type === 'content_block_delta'), 'choice 1 of an n > 1 stream is still not choice 0');
});

t.test('OpenaiToAnthropicStream: broken tool arguments stream as far as they are JSON, then close into the object the plain answer gets', async (t) => {
  const { openaiToAnthropicResponse } = await import('../../src/providers/anthropic/index.js');
  for (const pieces of [
    ['{"city": Par', 'is}'],
    ['{"city": "Paris", ', '"days": 3', ''],
    ['{"a":1}', '}'],
    ['[1,', '2]'],
    ['{"ok": true}'],
  ]) {
    const s = new OpenaiToAnthropicStream({ model: 'm' });
    const events = [
      ...s.push(chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 't1', type: 'function', function: { name: 'get_weather', arguments: '' } }] })),
      ...pieces.flatMap((arguments_) => s.push(chunk({ tool_calls: [{ index: 0, function: { arguments: arguments_ } }] }))),
      ...s.push(chunk({}, 'tool_calls')),
      ...s.end(),
    ];
    t.strictSame(anthropicSequenceViolations(events), [], `${pieces.join('')}: strict`);
    const json = events.flatMap((e) => (e.type === 'content_block_delta' && e.delta.type === 'input_json_delta' ? [e.delta.partial_json] : [])).join('');
    let streamed: unknown;
    t.doesNotThrow(() => (streamed = JSON.parse(json)), `${pieces.join('')}: the streamed input is JSON (${json})`);
    const plain = openaiToAnthropicResponse({
      id: 'c',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'get_weather', arguments: pieces.join('') } }] }, finish_reason: 'tool_calls', logprobs: null }],
    } as never);
    t.same(streamed, (plain.content[0] as { input: unknown }).input, `${pieces.join('')}: the same input as the plain answer`);
  }
});

t.test('tool calls with a missing or empty id get made-up unique ids, the same plain and streamed', async (t) => {
  const { openaiToAnthropicResponse } = await import('../../src/providers/anthropic/index.js');
  const s = new OpenaiToAnthropicStream({ model: 'm' });
  const events = [
    ...s.push(chunk({ role: 'assistant', tool_calls: [{ index: 0, id: '', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] })),
    ...s.push(chunk({ tool_calls: [{ index: 1, type: 'function', function: { name: 'get_time', arguments: '{}' } }] })),
    ...s.push(chunk({}, 'tool_calls')),
    ...s.end(),
  ];
  t.strictSame(anthropicSequenceViolations(events), []);
  const streamed = events.flatMap((e) => (e.type === 'content_block_start' && e.content_block.type === 'tool_use' ? [e.content_block.id] : []));
  t.strictSame(streamed, ['toolu_msg_e_0', 'toolu_msg_e_1']);
  const plain = openaiToAnthropicResponse({
    id: 'chatcmpl-e',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: null, tool_calls: [{ id: '', type: 'function', function: { name: 'get_weather', arguments: '{}' } }, { type: 'function', function: { name: 'get_time', arguments: '{}' } }] },
        finish_reason: 'tool_calls',
        logprobs: null,
      },
    ],
  } as never);
  t.strictSame(plain.content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : [])), streamed, 'the plain answer gets the same ids');
});
