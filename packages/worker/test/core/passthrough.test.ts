/**
 * Same protocol on both sides: the caller's body bytes go upstream unchanged (unless the model
 * name or the stream options must change), and the upstream's answer bytes come back unchanged,
 * plain and streamed, with only the usage chunk cut when the caller did not ask for it.
 */
import t from 'tap';
import type { ServerResponse } from 'node:http';
import { call, startCoreWorker, startScripted, type RawRequest } from './helpers.js';

const OPENAI_PLAIN = Buffer.from(
  '{"id":"chatcmpl-fixed",  "object":"chat.completion","created":1,"model":"gpt-x","choices":[{"index":0,"message":{"role":"assistant","content":"h\\u00e9llo ü"},"finish_reason":"stop"}],\n "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}}',
);
const USAGE_EVENT = 'data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}\n\n';
const OPENAI_STREAM =
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n' +
  'data: {"id":"c1",  "object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hé"}}]}\n\n' +
  ': a comment the gateway must not touch\n\n' +
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n' +
  USAGE_EVENT +
  'data: [DONE]\n\n';
const ANTHROPIC_PLAIN = Buffer.from(
  '{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"Hi ✓"}],"stop_reason":"end_turn","stop_sequence":null,  "usage":{"input_tokens":5,"cache_read_input_tokens":2,"output_tokens":3}}',
);
const ANTHROPIC_STREAM =
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"cache_read_input_tokens":2,"output_tokens":1}}}\n\n' +
  'event: ping\ndata: {"type": "ping"}\n\n' +
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n' +
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi ✓"}}\n\n' +
  'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n' +
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":3}}\n\n' +
  'event: message_stop\ndata: {"type":"message_stop"}\n\n';

/** Writes `text` in awkward pieces (mid-event, mid-UTF-8 character) so the taps see real splits. */
function writeSplit(res: ServerResponse, text: string): void {
  const bytes = Buffer.from(text);
  const cuts = [7, 61, 62, 150, 151, 152, bytes.length - 20, bytes.length - 1];
  let at = 0;
  for (const cut of cuts) {
    if (cut <= at || cut >= bytes.length) continue;
    res.write(bytes.subarray(at, cut));
    at = cut;
  }
  res.end(bytes.subarray(at));
}

function answer(req: RawRequest, res: ServerResponse): void {
  const body = JSON.parse(req.body.toString('utf8')) as { stream?: boolean };
  if (req.path === '/v1/chat/completions') {
    if (body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'up-req-1' });
      res.end(OPENAI_PLAIN);
    } else {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'x-request-id': 'up-req-2' });
      writeSplit(res, OPENAI_STREAM);
    }
    return;
  }
  if (req.path === '/v1/messages') {
    if ((body as { model?: string }).model === 'claude-bad') {
      res.writeHead(400, { 'content-type': 'application/json', 'request-id': 'req_bad' });
      res.end('{"type":"error","error":{"type":"invalid_request_error","message":"messages: field required"}}');
    } else if (body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_ant_1' });
      res.end(ANTHROPIC_PLAIN);
    } else {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'request-id': 'req_ant_2' });
      writeSplit(res, ANTHROPIC_STREAM);
    }
    return;
  }
  res.writeHead(404).end();
}

t.test('pass-through: bytes unchanged both ways', async (t) => {
  const up = await startScripted(t, answer);
  const { port } = await startCoreWorker(
    t,
    `
providers:
  - { name: up, type: openai, base_url: "${up.url}/v1", api_keys: ["sk-config-key"] }
  - { name: ant, type: anthropic, base_url: "${up.url}", api_keys: ["ak-config-key"] }
models:
  - { name: gpt-x, targets: [{ provider: up, model: gpt-x }] }
  - { name: alias-x, targets: [{ provider: up, model: gpt-x }] }
  - { name: claude-x, targets: [{ provider: ant, model: claude-x }] }
  - { name: claude-bad, targets: [{ provider: ant, model: claude-bad }] }
`,
  );
  const last = (): RawRequest => up.requests[up.requests.length - 1] as RawRequest;

  t.test('OpenAI chat, plain', async (t) => {
    const sent = Buffer.from('{ "model" : "gpt-x", "messages": [{"role":"user","content":"hé"}], "temperature": 0.5 }');
    const r = await call(port, '/v1/chat/completions', sent, { 'x-request-id': 'pt-1', 'openai-organization': 'org-7' });
    t.equal(r.status, 200);
    t.ok(r.body.equals(OPENAI_PLAIN), 'the answer bytes are the upstream bytes');
    t.equal(r.headers['x-request-id'], 'pt-1');
    t.equal(r.headers['x-upstream-request-id'], 'up-req-1');
    t.equal(r.headers['content-type'], 'application/json');
    t.ok(last().body.equals(sent), 'the request bytes went upstream unchanged');
    t.equal(last().headers.authorization, 'Bearer sk-config-key', 'the provider key from the config');
    t.equal(last().headers['openai-organization'], 'org-7', 'openai-organization forwarded');
  });

  t.test('a UTF-8 byte order mark is left behind, not forwarded (strict parsers refuse it)', async (t) => {
    const json = '{"model":"gpt-x","messages":[{"role":"user","content":"hi"}]}';
    const r = await call(port, '/v1/chat/completions', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]));
    t.equal(r.status, 200);
    t.equal(last().body.toString('latin1'), json, 'the bytes after the BOM, unchanged');
  });

  t.test('a body that is not valid UTF-8 is a 400 in the caller\'s shape, never forwarded', async (t) => {
    const before = up.requests.length;
    const bad = Buffer.concat([Buffer.from('{"model":"gpt-x","messages":[{"role":"user","content":"h'), Buffer.from([0xff, 0xfe]), Buffer.from('i"}]}')]);
    const openai = await call(port, '/v1/chat/completions', bad);
    t.equal(openai.status, 400);
    t.match(JSON.parse(openai.body.toString()), { error: { code: 'GW_ERR_BAD_JSON', message: /not valid UTF-8/ } });
    const anthropic = await call(port, '/v1/messages', Buffer.from(bad.toString('latin1').replace('"gpt-x"', '"claude-x","max_tokens":5'), 'latin1'), { 'anthropic-version': '2023-06-01' });
    t.equal(anthropic.status, 400);
    t.match(JSON.parse(anthropic.body.toString()), { type: 'error', error: { type: 'invalid_request_error', message: /not valid UTF-8/ } });
    t.equal(up.requests.length, before, 'nothing reached the upstream');
  });

  t.test('OpenAI chat, plain, through an alias: only the model changes', async (t) => {
    const r = await call(port, '/v1/chat/completions', { model: 'alias-x', messages: [{ role: 'user', content: 'x' }] });
    t.ok(r.body.equals(OPENAI_PLAIN));
    t.same(JSON.parse(last().body.toString('utf8')), { model: 'gpt-x', messages: [{ role: 'user', content: 'x' }] });
  });

  t.test('OpenAI chat, streamed, caller asked for usage: every byte as sent', async (t) => {
    const sent = Buffer.from(JSON.stringify({ model: 'gpt-x', messages: [{ role: 'user', content: 'x' }], stream: true, stream_options: { include_usage: true } }));
    const r = await call(port, '/v1/chat/completions', sent);
    t.equal(r.status, 200);
    t.equal(r.text, OPENAI_STREAM);
    t.equal(r.headers['content-type'], 'text/event-stream; charset=utf-8');
    t.equal(r.headers['x-upstream-request-id'], 'up-req-2');
    t.ok(last().body.equals(sent), 'nothing to change in the request');
  });

  t.test('OpenAI chat, streamed, no include_usage: usage asked upstream, its chunk cut', async (t) => {
    const r = await call(port, '/v1/chat/completions', { model: 'gpt-x', messages: [{ role: 'user', content: 'x' }], stream: true });
    t.equal(r.text, OPENAI_STREAM.replace(USAGE_EVENT, ''), 'the same bytes without the usage chunk');
    t.match(JSON.parse(last().body.toString('utf8')), { stream: true, stream_options: { include_usage: true } });
  });

  t.test('Anthropic messages, plain and streamed', async (t) => {
    const sent = Buffer.from('{"model":"claude-x","max_tokens":64,  "messages":[{"role":"user","content":"hi"}]}');
    const r = await call(port, '/v1/messages', sent, { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'tools-2024-05-16' });
    t.equal(r.status, 200);
    t.ok(r.body.equals(ANTHROPIC_PLAIN));
    t.equal(r.headers['request-id'], 'req_ant_1');
    t.ok(last().body.equals(sent));
    t.equal(last().headers['anthropic-version'], '2023-06-01');
    t.equal(last().headers['anthropic-beta'], 'tools-2024-05-16');
    t.equal(last().headers['x-api-key'], 'ak-config-key', 'the provider key from the config');
    t.equal(last().headers.authorization, undefined, 'no Authorization header towards Anthropic');

    const s = await call(port, '/v1/messages', { model: 'claude-x', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    t.equal(s.status, 200);
    t.equal(s.text, ANTHROPIC_STREAM, 'the event stream unchanged');
    t.equal(last().headers['anthropic-version'], '2023-06-01', 'the default version when the caller sent none');
  });

  t.test('an upstream 4xx in the caller\'s protocol passes through', async (t) => {
    const r = await call(port, '/v1/messages', { model: 'claude-bad', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] });
    t.equal(r.status, 400);
    t.equal(r.text, '{"type":"error","error":{"type":"invalid_request_error","message":"messages: field required"}}');
    t.equal(r.headers['request-id'], 'req_bad');
    t.ok(r.headers['x-request-id']);
  });
});
