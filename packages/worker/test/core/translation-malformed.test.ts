/**
 * A translated answer of the wrong shape (a null message, a stream event that is not an object, a
 * delta for a block never started) is a failed attempt while nothing has reached the caller: it
 * fails over, and the last one is a 502 that names what is wrong with the upstream's answer, never
 * a JavaScript error ("Cannot read properties of null") nor an empty answer. Once the stream has
 * begun, the caller gets a stream error saying the same.
 */
import t from 'tap';
import type { ServerResponse } from 'node:http';
import { unreadableDetail } from '../../src/pipeline/failures.js';
import type { RouteTarget } from '../../src/routing/index.js';
import { call, openaiChunks, sseFrames, startCoreWorker, startScripted, type RawRequest } from './helpers.js';

const ANTHROPIC_HEADERS = { 'anthropic-version': '2023-06-01' };
const event = (type: string, data: unknown): string => `event: ${type}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
const MESSAGE_START = event('message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } } });
const GOOD_OPENAI = '{"id":"chatcmpl-good","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"good"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}';
const GOOD_ANTHROPIC = '{"id":"msg_good","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"good"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}';

/** What each upstream (the first path segment) answers. */
const ANSWERS: Record<string, { sse?: boolean; parts: string[] }> = {
  'null-message': { parts: ['{"id":"x","choices":[{"index":0,"message":null,"finish_reason":"stop"}]}'] },
  'null-choice': { parts: ['{"id":"x","choices":[null]}'] },
  'null-block': { parts: ['{"id":"msg_x","type":"message","content":[null],"stop_reason":"end_turn"}'] },
  'gemini-null': { parts: ['{"candidates":[null]}'] },
  'start-is-7': { sse: true, parts: [event('message_start', '7') + event('message_stop', { type: 'message_stop' })] },
  'delta-unstarted': { sse: true, parts: [MESSAGE_START + event('content_block_delta', { type: 'content_block_delta', index: 5, delta: { type: 'text_delta', text: 'x' } }) + event('message_stop', { type: 'message_stop' })] },
  'later-null-block': { sse: true, parts: [MESSAGE_START, event('content_block_start', { type: 'content_block_start', index: 0, content_block: null }) + event('message_stop', { type: 'message_stop' })] },
};

function answer(req: RawRequest, res: ServerResponse): void {
  const name = req.path.split('/')[1] ?? '';
  const scripted = ANSWERS[name];
  if (scripted === undefined) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(req.path.includes('/messages') ? GOOD_ANTHROPIC : GOOD_OPENAI);
    return;
  }
  res.writeHead(200, { 'content-type': scripted.sse === true ? 'text/event-stream' : 'application/json' });
  const [head, ...rest] = scripted.parts;
  res.write(head);
  // Later parts in later reads: after the first byte reached the caller.
  setTimeout(() => res.end(rest.join('')), 50);
}

t.test('malformed translated answers fail the attempt with a message about the answer', async (t) => {
  const up = await startScripted(t, answer);
  const names = [...Object.keys(ANSWERS), 'good'];
  const providers = names.flatMap((n) => [
    `  - { name: o-${n}, type: openai, base_url: "${up.url}/${n}/v1", api_keys: ["k"] }`,
    `  - { name: a-${n}, type: anthropic, base_url: "${up.url}/${n}", api_keys: ["k"] }`,
    `  - { name: g-${n}, type: gemini, base_url: "${up.url}/${n}/v1beta", api_keys: ["k"] }`,
  ]);
  const models = names.flatMap((n) => [
    `  - { name: o-${n}, targets: [{ provider: o-${n}, model: m }] }`,
    `  - { name: a-${n}, targets: [{ provider: a-${n}, model: m }] }`,
    `  - { name: g-${n}, targets: [{ provider: g-${n}, model: m }] }`,
    `  - { name: o-${n}-then-good, targets: [{ provider: o-${n}, model: m }, { provider: a-good, model: m }] }`,
    `  - { name: a-${n}-then-good, targets: [{ provider: a-${n}, model: m }, { provider: o-good, model: m }] }`,
  ]);
  const { port } = await startCoreWorker(t, `routing: { retries: 1, backoff_initial: 1ms, backoff_max: 2ms, breaker_threshold: 1000 }\nproviders:\n${providers.join('\n')}\nmodels:\n${models.join('\n')}\n`);
  const chat = (model: string, stream = false) => call(port, '/v1/chat/completions', { model, stream, messages: [{ role: 'user', content: 'hi' }] });
  const messages = (model: string) => call(port, '/v1/messages', { model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, ANTHROPIC_HEADERS);
  const noInternals = (t: Tap, text: string): void => void t.notMatch(text, /Cannot read|properties of|is not iterable|undefined/, 'no JavaScript error in the message');
  type Tap = typeof t;

  t.test('an OpenAI answer whose message is null: 502 for an Anthropic caller, not an empty message', async (t) => {
    const failed = await messages('o-null-message');
    t.equal(failed.status, 502, failed.text);
    t.match(failed.json(), { type: 'error', error: { type: 'api_error', message: 'provider o-null-message sent an answer the gateway cannot read: choices[0].message is null, not a message' } });
    const nullChoice = await messages('o-null-choice');
    t.match(nullChoice.json(), { error: { message: /choices\[0\] is null, not a choice/ } });
    noInternals(t, nullChoice.text);
    const saved = await messages('o-null-message-then-good');
    t.equal(saved.status, 200, `failed over: ${saved.text}`);
    t.match(saved.json(), { content: [{ type: 'text', text: 'good' }] });
  });

  t.test('an Anthropic content block that is null; a Gemini candidate that is null', async (t) => {
    const block = await chat('a-null-block');
    t.equal(block.status, 502, block.text);
    t.match(block.json(), { error: { code: 'GW_ERR_UPSTREAM_ERROR', message: /content\[0\] is null, not a content block/ } });
    noInternals(t, block.text);
    const gemini = await chat('g-gemini-null');
    t.equal(gemini.status, 502, gemini.text);
    t.match(gemini.json(), { error: { message: /candidates\[0\] is null, not a candidate/ } });
    noInternals(t, gemini.text);
  });

  t.test('an Anthropic stream unreadable from its start: a failed attempt, not an empty stream ending in [DONE]', async (t) => {
    const seven = await chat('a-start-is-7', true);
    t.equal(seven.status, 502, seven.text);
    t.match(seven.json(), { error: { code: 'GW_ERR_UPSTREAM_ERROR', message: 'provider a-start-is-7 sent an answer the gateway cannot read: an event is a number (7), not a JSON object' } });
    const unstarted = await chat('a-delta-unstarted', true);
    t.equal(unstarted.status, 502, unstarted.text);
    t.match(unstarted.json(), { error: { message: /a content_block_delta came for block 5, which no content_block_start opened/ } });
    const saved = await chat('a-start-is-7-then-good', true);
    t.equal(saved.status, 200, `failed over: ${saved.text}`);
    t.equal(openaiChunks(saved.text).map((c) => (c as { choices: Array<{ delta?: { content?: string } }> }).choices[0]?.delta?.content ?? '').join(''), 'good');
  });

  t.test('one unreadable after the first byte: a stream error that names it', async (t) => {
    const late = await chat('a-later-null-block', true);
    t.equal(late.status, 200, 'the stream had begun');
    const last = sseFrames(late.text).filter((f) => f.data !== '[DONE]').at(-1);
    t.match(JSON.parse(last?.data ?? '{}'), { error: { code: 'GW_ERR_STREAM_INTERRUPTED', message: 'provider a-later-null-block sent a stream the gateway cannot read: content_block_start.content_block is null, not a content block' } });
    t.notOk(late.text.includes('[DONE]'), 'not the end of a whole answer');
  });
});

t.test('a TypeError reading an answer is described, not quoted', async (t) => {
  const target = { provider: { name: 'p', type: 'anthropic' } } as unknown as RouteTarget;
  const detail = unreadableDetail(new TypeError("Cannot read properties of null (reading 'type')"), target, 'stream event');
  t.equal(detail, 'a field of the stream event is missing, null or of another type than in an Anthropic stream event');
  t.match(unreadableDetail(new SyntaxError('Unexpected token'), target, 'answer'), /^the answer is not JSON \(Unexpected token\)$/);
  t.equal(unreadableDetail(new Error('choices[0] is null, not a choice'), target, 'answer'), 'choices[0] is null, not a choice');
});
