/**
 * Time to first token: when the first generated content reaches the caller, not the stream's
 * first bytes (an upstream's role chunk, message_start, ping or keep-alive comment come first).
 */
import { createServer } from 'node:http';
import t from 'tap';
import { carriesToken } from '../../src/observe/first-token.js';
import { startGateway } from '../fakes/index.js';
import { http, until } from './helpers.js';

t.test('which written bytes carry a token, per caller protocol', async (t) => {
  const yes = (data: string | Uint8Array, shape: 'openai' | 'anthropic') => t.ok(carriesToken(data, shape), `${shape}: ${String(data)}`);
  const no = (data: string, shape: 'openai' | 'anthropic') => t.notOk(carriesToken(data, shape), `${shape}: ${data}`);
  no('data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n', 'openai');
  no(': OPENROUTER PROCESSING\n\n', 'openai');
  yes('data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n', 'openai');
  yes('data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1"}]}}]}\n\n', 'openai');
  yes('data: {"choices":[{"index":0,"delta":{"reasoning_content":"Let me"}}]}\n\n', 'openai');
  yes('data: {"choices":[{"index":0,"text":"Once","finish_reason":null}]}\n\n', 'openai');
  yes('data: {"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": null}]}\n\n', 'openai');
  no('data: {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}\n\n', 'openai');
  no('data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"","tool_calls":[]}}]}\n\n', 'openai');
  yes('data: {"choices": [{"delta": {"tool_calls": [ {"index": 0}]}}]}\n\n', 'openai');
  yes(new TextEncoder().encode('data: {"choices":[{"delta":{"content":"\\u00e9"}}]}\n\n'), 'openai');
  no('event: message_start\ndata: {"type":"message_start","message":{"content":[]}}\n\nevent: ping\ndata: {"type":"ping"}\n\n', 'anthropic');
  no('event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n', 'anthropic');
  yes('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n', 'anthropic');
});

t.test('a stream whose first token comes late: ttftMs counts to the token, for both caller protocols', async (t) => {
  const upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(': keep-alive\n\n' + chunk({ role: 'assistant', content: '' }));
      setTimeout(() => res.end(chunk({ content: 'Hello' }) + chunk({}, 'stop') + 'data: [DONE]\n\n'), 600);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
  const gw = await startGateway(
    t,
    `
logging: { level: info }
providers:
  - { name: slow, type: openai, base_url: "http://127.0.0.1:${(upstream.address() as { port: number }).port}/v1", api_keys: ["sk-first-token-0001"] }
models:
  - { name: slow, targets: [{ provider: slow, model: m }] }
`,
    { workers: 1 },
  );
  const chat = await http(gw.port, 'POST', '/v1/chat/completions', { model: 'slow', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  t.match(chat.text, 'Hello');
  const messages = await http(gw.port, 'POST', '/v1/messages', { model: 'slow', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] });
  t.match(messages.text, 'Hello');
  const lines = (): Array<{ path: string; ttftMs: number }> =>
    gw
      .logs()
      .split('\n')
      .filter((l) => l.includes('"msg":"access"'))
      .map((l) => JSON.parse(l) as { path: string; ttftMs: number });
  await until('both access lines', () => lines().length >= 2);
  for (const line of lines()) t.ok(line.ttftMs >= 550, `${line.path}: ttftMs ${line.ttftMs} counts to the token, not to the first bytes`);
});
