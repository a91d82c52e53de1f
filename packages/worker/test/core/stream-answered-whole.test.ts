/**
 * An OpenAI-compatible server that ignores `stream: true` and answers one complete JSON body: the
 * caller asked for a stream and gets one, in its protocol, replayed from that answer.
 */
import t from 'tap';
import type { AnthropicStreamEvent } from '@gatewayd/shared';
import { anthropicSequenceViolations } from '../protocol/helpers/anthropic-strict.js';
import { call, openaiChunks, sseFrames, startCoreWorker, startScripted } from './helpers.js';

const ANSWER = {
  id: 'chatcmpl-whole',
  object: 'chat.completion',
  created: 1,
  model: 'llama',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }, finish_reason: 'tool_calls' }],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
};

t.test('a stream answered whole reaches an OpenAI and an Anthropic caller as their stream', async (t) => {
  const upstream = await startScripted(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req-whole' });
    res.end(JSON.stringify(ANSWER));
  });
  const { port } = await startCoreWorker(
    t,
    `
providers:
  - { name: ollama, type: openai, base_url: "${upstream.url}", api_keys: [sk-x] }
models:
  - { name: llama, targets: [{ provider: ollama, model: llama }] }
`,
  );
  const openai = await call(port, '/v1/chat/completions', { model: 'llama', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
  t.equal(openai.status, 200, openai.text);
  t.match(openai.headers['content-type'], /text\/event-stream/);
  t.ok(openai.text.endsWith('data: [DONE]\n\n'), 'ends with [DONE]');
  const chunks = openaiChunks(openai.text) as Array<{ choices: Array<{ delta: { content?: string; tool_calls?: unknown[] }; finish_reason: string | null }>; usage?: unknown }>;
  t.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Hello there');
  t.match(chunks.find((c) => c.choices[0]?.delta.tool_calls)?.choices[0]?.delta.tool_calls, [{ id: 'call_1', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
  t.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason, 'tool_calls');
  t.match(chunks.at(-1)?.usage, { prompt_tokens: 12, completion_tokens: 7 }, 'the usage chunk the caller asked for');

  const anthropic = await call(port, '/v1/messages', { model: 'llama', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' });
  t.equal(anthropic.status, 200, anthropic.text);
  t.match(anthropic.headers['content-type'], /text\/event-stream/);
  const events = sseFrames(anthropic.text).map((frame) => JSON.parse(frame.data) as AnthropicStreamEvent);
  t.strictSame(anthropicSequenceViolations(events), [], 'a strict Anthropic stream');
  const text = events.flatMap((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? [e.delta.text] : [])).join('');
  const json = events.flatMap((e) => (e.type === 'content_block_delta' && e.delta.type === 'input_json_delta' ? [e.delta.partial_json] : [])).join('');
  t.equal(text, 'Hello there');
  t.same(JSON.parse(json), { city: 'Paris' });
  t.match(events.find((e) => e.type === 'message_delta'), { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 7 } });

  const plain = await call(port, '/v1/chat/completions', { model: 'llama', messages: [{ role: 'user', content: 'hi' }] });
  t.match(plain.headers['content-type'], /application\/json/, 'a plain request still gets JSON');
  t.equal(plain.json<{ id: string }>().id, 'chatcmpl-whole');
});

t.test('a stream ends for the caller at the upstream\'s last event, not at its EOF (an upstream or proxy may hold the response open)', async (t) => {
  let upstreamEnded = false;
  const events = [
    ['message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 0 } } }],
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
    ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } }],
    ['message_stop', { type: 'message_stop' }],
  ] as const;
  const lingering = await startScripted(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join(''));
    const timer = setTimeout(() => {
      upstreamEnded = true;
      res.end();
    }, 3_000);
    res.on('close', () => clearTimeout(timer));
  });
  const { port } = await startCoreWorker(
    t,
    `
providers:
  - { name: claude, type: anthropic, base_url: "${lingering.url}", api_keys: [sk-ant-x] }
models:
  - { name: claude, targets: [{ provider: claude, model: claude-x }] }
`,
  );
  const openai = await call(port, '/v1/chat/completions', { model: 'claude', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  t.notOk(upstreamEnded, 'the OpenAI caller (translated) got its whole stream before the upstream ended its response');
  t.ok(openai.text.endsWith('data: [DONE]\n\n'), openai.text);
  const anthropic = await call(port, '/v1/messages', { model: 'claude', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' });
  t.notOk(upstreamEnded, 'so did the Anthropic caller (bytes passed through)');
  t.match(anthropic.text, /event: message_stop\ndata: \{"type":"message_stop"\}\n\n$/);
});
