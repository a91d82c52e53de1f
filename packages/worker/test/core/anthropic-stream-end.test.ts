/**
 * How a forwarded Anthropic stream ends when its connection breaks: an error event never lands
 * inside a half-sent event, a stream that reached message_stop ends normally whatever breaks
 * after, and the tokens a stream reported before a client's abort are counted.
 */
import t from 'tap';
import type { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import Anthropic from '@anthropic-ai/sdk';
import { startGateway } from '../fakes/index.js';
import { call, openCall, startCoreWorker, startScripted } from './helpers.js';

const START = (usage: string) => `event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":${usage}}}\n\n`;
const BLOCK = 'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n';
const DELTA = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n';
const END =
  'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n' +
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":3}}\n\n' +
  'event: message_stop\ndata: {"type":"message_stop"}\n\n';
const HEADERS = { 'anthropic-version': '2023-06-01' };
const body = (model: string, extra: Record<string, unknown> = {}) => ({ model, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }], ...extra });

t.test('Anthropic pass-through streams that break', async (t) => {
  const up = await startScripted(t, (req, res, socket: Socket) => {
    const { model, stream } = JSON.parse(req.body.toString()) as { model: string; stream?: boolean };
    if (stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"msg_2","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (model === 'half') {
      // Half an event, then the connection resets.
      res.write(START('{"input_tokens":5,"output_tokens":1}') + BLOCK + DELTA.slice(0, 90));
      setTimeout(() => socket.destroy(), 100);
    } else if (model === 'whole') {
      // The whole answer, then a reset instead of the end of the response.
      res.write(START('{"input_tokens":5,"output_tokens":1}') + BLOCK + DELTA + END);
      setTimeout(() => socket.destroy(), 100);
    } else {
      // Usage first, then deltas until the caller leaves.
      res.write(START('{"input_tokens":5,"cache_read_input_tokens":50000,"output_tokens":1}') + BLOCK);
      const timer = setInterval(() => res.write(DELTA), 20);
      res.on('close', () => clearInterval(timer));
    }
  });
  const { port } = await startCoreWorker(
    t,
    `
providers:
  - { name: ant, type: anthropic, base_url: "${up.url}", api_keys: ["sk-ant-config"] }
models:
  - { name: half, targets: [{ provider: ant, model: half }] }
  - { name: whole, targets: [{ provider: ant, model: whole }] }
`,
  );
  const client = new Anthropic({ baseURL: `http://127.0.0.1:${port}`, apiKey: 'x', maxRetries: 0 });

  t.test('a reset inside an event: the error event follows the last whole event, and the SDK reads it', async (t) => {
    const raw = await call(port, '/v1/messages', body('half'), HEADERS);
    const text = raw.body.toString();
    t.notMatch(text, '"type":"text_de', 'the half event is not sent');
    t.match(text, /message_start[\s\S]*content_block_start[^\n]*\n\n(event: error\n)?data: \{"type":"error"/, 'a standalone error event after the whole ones');
    const error = await client.messages.stream(body('half') as never).finalMessage().then(
      () => null,
      (err: unknown) => err,
    );
    t.ok(error instanceof Anthropic.APIError, `an APIError, not a parse failure: ${String(error)}`);
  });

  t.test('a reset after message_stop: the answer ends normally', async (t) => {
    const raw = await call(port, '/v1/messages', body('whole'), HEADERS);
    const text = raw.body.toString();
    t.ok(text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'), 'message_stop is the last event');
    t.notMatch(text, '"type":"error"');
    const message = await client.messages.stream(body('whole') as never).finalMessage();
    t.equal(message.stop_reason, 'end_turn');
  });

  t.test('translated for an OpenAI caller, a reset after message_stop ends the stream normally too', async (t) => {
    const raw = await call(port, '/v1/chat/completions', { model: 'whole', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const text = raw.body.toString();
    t.ok(text.endsWith('data: [DONE]\n\n'), `[DONE] is the last event: ${text.slice(-120)}`);
    t.notMatch(text, '"error"');
    t.match(text, '"finish_reason":"stop"');
  });

  t.test("a client's abort counts the prompt tokens the stream reported, and its output at the reservation", async (t) => {
    // Limits need the supervisor's store: a whole gateway, one worker.
    const gw = await startGateway(
      t,
      `
logging: { level: warn }
providers:
  - { name: ant, type: anthropic, base_url: "${up.url}", api_keys: ["sk-ant-config"] }
models:
  - { name: long, limits: { tpm: 1000000 }, targets: [{ provider: ant, model: long }] }
`,
      { workers: 1 },
    );
    const port = gw.port;
    const stream = openCall(port, '/v1/messages', body('long', { max_tokens: 32000 }), HEADERS);
    await stream.received('content_block_delta');
    stream.abort();
    await delay(300);
    const next = await call(port, '/v1/messages', { model: 'long', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }, HEADERS);
    const remaining = Number(next.headers['anthropic-ratelimit-tokens-remaining']);
    // Reported: 50,005 prompt tokens (cache reads included) and, in message_start, 1 output token:
    // a count so far, not the answer's. The output was reserved at max_tokens (32,000), and the
    // upstream may well have generated it all after the cut: that is what stays counted.
    t.ok(remaining <= 1_000_000 - 50_005 - 32_000, `the aborted stream counts 50,005 prompt tokens and 32,000 output tokens (remaining ${remaining})`);
    t.ok(remaining > 1_000_000 - 50_005 - 32_000 - 100, `and no more (remaining ${remaining})`);
  });
});
