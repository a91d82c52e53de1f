import t from 'tap';
import { Agent, request } from 'node:http';
import type { Test } from 'tap';
import { chat, forkWorker, freePort, openStream, send, sseData, testConfig, until, workerStats, type ForkedWorker } from './helpers.js';

const messages = [
  { role: 'system', content: 'be brief' },
  { role: 'user', content: 'hello gateway world' },
];

/** A stream to a client that stops reading parks (the worker buffers only what the sockets hold) and completes once it reads. */
async function backpressure(t: Test, port: number, w: ForkedWorker): Promise<void> {
  const chunks = 100_000; // ~20 MB of frames: far more than the socket buffers hold
  let received = 0;
  let resume: () => void = () => {};
  const finished = new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', 'x-mock-chunks': String(chunks) }, agent: false }, (res) => {
      let tail = '';
      res.pause();
      resume = () => res.resume();
      res.setEncoding('utf8').on('data', (d: string) => {
        received += d.length;
        tail = (tail + d).slice(-64);
      });
      res.on('end', () => resolve(tail));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'demo', messages, stream: true }));
  });
  await until('the stream started', async () => (await workerStats(w)).activeStreams === 1);
  // With no reader, the worker must park the stream instead of buffering all of it and ending.
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 100));
    t.equal((await workerStats(w)).activeStreams, 1, 'the stream waits for the client');
  }
  t.equal(received, 0, 'the client has read nothing');
  resume();
  const tail = await finished;
  t.ok(tail.endsWith('data: [DONE]\n\n'), 'and completes once the client reads');
  t.ok(received > chunks * 100, `every chunk arrived (${received} bytes)`);
  await until('stream released', async () => (await workerStats(w)).activeStreams === 0);
}

t.test('mock provider over real sockets', async (t) => {
  const port = await freePort();
  const w = await forkWorker(t, { config: testConfig(port, { chunks: 5, bodyLimit: '4kb' }) });

  t.test('plain chat.completion', async (t) => {
    const r = await chat(port, { model: 'demo', messages }, { 'x-request-id': 'plain-1' });
    t.equal(r.status, 200);
    t.equal(r.headers['x-request-id'], 'plain-1');
    t.match(r.headers['content-type'], /^application\/json/);
    const body = r.json<{ choices: Array<{ message: { content: string } }>; usage: Record<string, number> }>();
    t.match(body, {
      id: 'chatcmpl-plain-1',
      object: 'chat.completion',
      created: Number,
      model: 'demo',
      choices: [{ index: 0, message: { role: 'assistant', content: String }, finish_reason: 'stop' }],
      usage: { prompt_tokens: Number, completion_tokens: 5, total_tokens: Number },
    });
    t.equal(body.choices.length, 1);
    t.equal(body.choices[0]?.message.content, 'Mock reply to: hello gateway', 'text derived from the last user message, one word per chunk');
    t.equal(body.usage.total_tokens, (body.usage.prompt_tokens ?? 0) + 5);
    t.ok((body.usage.prompt_tokens ?? 0) > 0);

    const again = await chat(port, { model: 'mock', messages });
    t.equal(again.json<typeof body>().choices[0]?.message.content, body.choices[0]?.message.content, 'deterministic, and the alias resolves');
  });

  t.test('SSE stream framing', async (t) => {
    const r = await chat(port, { model: 'demo', messages, stream: true }, { 'x-request-id': 'sse-1' });
    t.equal(r.status, 200);
    t.equal(r.headers['content-type'], 'text/event-stream');
    t.equal(r.headers['cache-control'], 'no-cache');
    t.equal(r.headers['x-request-id'], 'sse-1');
    const data = sseData(r.body);
    t.equal(data.at(-1), '[DONE]', 'ends with [DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { id: string; object: string; choices: Array<{ delta: { role?: string; content?: string }; finish_reason: string | null }>; usage?: unknown });
    t.equal(chunks.length, 1 + 5 + 1, 'role chunk, 5 content chunks, finish chunk');
    for (const c of chunks) {
      t.equal(c.object, 'chat.completion.chunk');
      t.equal(c.id, 'chatcmpl-sse-1');
      t.notOk('usage' in c, 'no usage field without include_usage');
    }
    t.same(chunks[0]?.choices[0]?.delta, { role: 'assistant', content: '' }, 'role first');
    const content = chunks.slice(1, -1).map((c) => c.choices[0]?.delta.content);
    t.equal(content.length, 5);
    t.equal(content.join(''), 'Mock reply to: hello gateway', 'content pieces add up to the plain answer');
    t.same(chunks.at(-1)?.choices[0], { index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }, 'final chunk has finish_reason stop');
  });

  t.test('SSE with include_usage and per-request overrides', async (t) => {
    const r = await chat(port, { model: 'demo', messages, stream: true, stream_options: { include_usage: true } }, { 'x-mock-chunks': '12', 'x-mock-chunk-delay-ms': '1' });
    const data = sseData(r.body);
    t.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { choices: unknown[]; usage: Record<string, number> | null });
    t.equal(chunks.length, 1 + 12 + 1 + 1, 'x-mock-chunks overrides the chunk count; usage chunk added');
    for (const c of chunks.slice(0, -1)) t.equal(c.usage, null, 'usage: null on every chunk but the last');
    const usage = chunks.at(-1);
    t.same(usage?.choices, [], 'usage chunk has no choices');
    t.match(usage?.usage, { prompt_tokens: Number, completion_tokens: 12, total_tokens: Number });

    const capped = await chat(port, { model: 'demo', messages }, { 'x-mock-chunks': '999999999' });
    t.equal(capped.status, 200, 'an absurd override is bounded, not an error');
    t.equal(capped.json<{ usage: { completion_tokens: number } }>().usage.completion_tokens, 100_000);
  });

  t.test('errors in OpenAI shape', async (t) => {
    const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
      send(port, { method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', 'x-request-id': 'err-1', ...headers }, body });
    const cases: Array<[string, string, number, string]> = [
      ['bad JSON', '{"model":', 400, 'GW_ERR_BAD_JSON'],
      ['empty body', '', 400, 'GW_ERR_BAD_JSON'],
      ['not an object', '[1,2]', 400, 'GW_ERR_BAD_REQUEST'],
      ['missing model', JSON.stringify({ messages }), 400, 'GW_ERR_BAD_REQUEST'],
      ['model not a string', JSON.stringify({ model: 42, messages }), 400, 'GW_ERR_BAD_REQUEST'],
      ['missing messages', JSON.stringify({ model: 'demo' }), 400, 'GW_ERR_BAD_REQUEST'],
      ['messages not an array', JSON.stringify({ model: 'demo', messages: 'hi' }), 400, 'GW_ERR_BAD_REQUEST'],
      ['message without role', JSON.stringify({ model: 'demo', messages: [{ content: 'x' }] }), 400, 'GW_ERR_BAD_REQUEST'],
      ['stream not a boolean', JSON.stringify({ model: 'demo', messages, stream: 'yes' }), 400, 'GW_ERR_BAD_REQUEST'],
      ['unknown model', JSON.stringify({ model: 'no-such-model', messages }), 404, 'GW_ERR_UNKNOWN_MODEL'],
      ['unreachable upstream', JSON.stringify({ model: 'gpt-4o-mini', messages }), 502, 'GW_ERR_UPSTREAM_ERROR'],
    ];
    for (const [name, body, status, code] of cases) {
      const r = await post(body);
      t.equal(r.status, status, `${name}: status`);
      t.equal(r.headers['x-request-id'], 'err-1', `${name}: x-request-id`);
      t.match(r.json(), { error: { message: String, type: String, code } }, `${name}: ${code}`);
    }
    const upstream = await post(JSON.stringify({ model: 'gpt-4o-mini', messages }));
    // No network here: api.openai.com cannot be resolved, every attempt fails to connect.
    t.match(upstream.json(), { error: { message: /^could not connect to provider openai/, type: 'server_error' } });

    // A keep-alive client, so the server's own Connection: close is visible (uWS does not echo
    // it to a client that already sent Connection: close).
    const agent = new Agent({ keepAlive: true });
    t.teardown(() => agent.destroy());
    const declared = await send(port, { method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(5000), agent });
    t.equal(declared.status, 413, 'a declared Content-Length over body_limit: 413');
    t.match(declared.json(), { error: { code: 'GW_ERR_BODY_TOO_LARGE', type: 'invalid_request_error' } });
    t.equal(declared.headers.connection, 'close', 'and the connection is closed');

    const chunked = await send(port, { method: 'POST', path: '/v1/chat/completions', headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' }, body: 'y'.repeat(5000) });
    t.equal(chunked.status, 413, 'a chunked body that grows over body_limit: 413');

    const health = await send(port, { path: '/health' });
    t.equal(health.status, 200, 'the worker survives all of it');
  });

  t.test('a client abort mid-stream stops the stream and frees its slot', async (t) => {
    const s = openStream(port, { model: 'demo', messages, stream: true }, { 'x-mock-chunks': '1000', 'x-mock-chunk-delay-ms': '50' });
    await s.firstBytes;
    t.match(await workerStats(w), { inFlight: 1, activeStreams: 1 });
    s.abort();
    await until('in-flight back to 0', async () => {
      const stats = await workerStats(w);
      return stats.inFlight === 0 && stats.activeStreams === 0;
    });
    t.pass('abort released the request');
    t.equal((await send(port, { path: '/health' })).status, 200);
  });

  t.test('a stream honours backpressure from a client that stops reading', (t) => backpressure(t, port, w));

  t.test('latency before the first byte, and an abort while waiting', async (t) => {
    const r = await chat(port, { model: 'demo', messages }, { 'x-mock-latency-ms': '50' });
    t.equal(r.status, 200);
    const s = openStream(port, { model: 'demo', messages, stream: true }, { 'x-mock-latency-ms': '60000' });
    await until('the request is in flight', async () => (await workerStats(w)).inFlight === 1);
    s.abort();
    await until('in-flight back to 0', async () => (await workerStats(w)).inFlight === 0);
    t.pass('aborted while waiting for the first byte');
  });

  t.test('stats-request is answered with the same id', async (t) => {
    w.child.send({ type: 'stats-request', id: 4242 });
    const m = await w.nextMessage((msg) => msg.type === 'stats' && msg.id === 4242);
    t.match(m, { type: 'stats', id: 4242, inFlight: 0, activeStreams: 0, requestsTotal: Number, draining: false });
    t.ok(m.type === 'stats' && m.requestsTotal > 10, 'requestsTotal counts the requests served');
  });

  t.test('nothing on stderr (uWS warns there, e.g. about uncorked writes)', async (t) => {
    t.equal(w.stderr(), '');
  });
});

t.test('the fallback engine honours backpressure too (node:http drain instead of onWritable)', async (t) => {
  const port = await freePort();
  const w = await forkWorker(t, { config: testConfig(port, { chunks: 5 }), env: { UWS_USE_FALLBACK: '1' } });
  t.match(w.first, { type: 'ready', engine: 'fallback' });
  await backpressure(t, port, w);
});
