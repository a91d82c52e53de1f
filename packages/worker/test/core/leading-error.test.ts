/**
 * A 200 stream whose very first event is a retryable error (Anthropic's overloaded_error after
 * its headers, an OpenAI-compatible or Gemini `{"error": ...}`): nothing reached the caller, so
 * the next target is tried. A non-retryable first error is the caller's error status (as if the
 * upstream had answered it so); an error after other events still reaches the caller as the
 * stream's error event.
 */
import t from 'tap';
import { leadingStreamError } from '../../src/pipeline/leading-error.js';
import { call, sseFrames, startCoreWorker, startScripted } from './helpers.js';

const OVERLOADED = 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';

/** An upstream answering 200 with `firstEvent`, then the model's second target: the mock. */
async function behindFirstEvent(t: { teardown(fn: () => unknown): void }, type: 'anthropic' | 'openai', firstEvent: string) {
  const upstream = await startScripted(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(firstEvent);
  });
  const { port } = await startCoreWorker(
    t,
    `
routing: { retries: 1, backoff_initial: 10ms, backoff_max: 20ms }
providers:
  - { name: first, type: ${type}, base_url: "${upstream.url}", api_keys: [sk-first] }
  - { name: local, type: mock, chunks: 3, chunk_delay: 0ms }
models:
  - { name: m, strategy: fallback, targets: [{ provider: first, model: m-x }, { provider: local, model: demo }] }
`,
  );
  return { upstream, port };
}

t.test('leadingStreamError: which first events fail over', async (t) => {
  t.match(leadingStreamError(Buffer.from(OVERLOADED)), { status: 529 });
  t.match(leadingStreamError(Buffer.from(OVERLOADED.replace(/\n/g, '\r\n'))), { status: 529 }, 'CRLF');
  t.match(leadingStreamError(Buffer.from('data: {"error":{"message":"boom","type":"server_error","code":null}}\n\n')), { status: 500 }, 'OpenAI-compatible');
  t.match(leadingStreamError(Buffer.from('data: {"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}\n\n')), { status: 503 }, 'Gemini');
  t.match(leadingStreamError(Buffer.from('event: error\ndata: {"type":"error","error":{"type":"invalid_request_error","message":"no"}}\n\n')), { status: 400 }, 'the request is at fault');
  t.match(leadingStreamError(Buffer.from('data: {"error":{"object":"error","message":"too long","type":"BadRequestError","param":null,"code":400}}\n\n')), { status: 400 }, 'vLLM');
  t.equal(leadingStreamError(Buffer.from('data: {"error":{"message":"?","type":"something_new"}}\n\n')), null, 'an unknown type: committed as before');
  t.match(leadingStreamError(Buffer.from('data: {"error":{"message":"Rate limit reached","type":"tokens","param":null,"code":"rate_limit_exceeded"}}\n\n')), { status: 429 }, "OpenAI's rate limit: the code says it, not the type");
  t.equal(leadingStreamError(Buffer.from('event: message_start\ndata: {"type":"message_start","message":{}}\n\n')), null, 'a normal first event');
  t.equal(leadingStreamError(Buffer.from('event: error\ndata: {"type":"error"')), null, 'an unfinished first event: committed as before');
});

t.test('an Anthropic caller: overloaded as the first event fails over to the next target', async (t) => {
  const { upstream: overloaded, port } = await behindFirstEvent(t, 'anthropic', OVERLOADED);
  const answer = await call(port, '/v1/messages', { model: 'm', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' });
  t.equal(answer.status, 200, answer.text);
  const types = sseFrames(answer.text).map((frame) => frame.event);
  t.equal(types[0], 'message_start', 'the mock target answered');
  t.notOk(types.includes('error'), 'no error reached the caller');
  t.equal(types.at(-1), 'message_stop');
  t.equal(overloaded.requests.length, 1, 'the busy target was tried first');
});

t.test('a non-retryable first error is the caller\'s 400, in its protocol, and no other target is tried', async (t) => {
  const context = 'data: {"error":{"message":"context too long","type":"invalid_request_error","code":"context_length_exceeded"}}\n\n';
  const { upstream: refusing, port } = await behindFirstEvent(t, 'openai', context);
  const anthropic = await call(port, '/v1/messages', { model: 'm', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' });
  t.equal(anthropic.status, 400, anthropic.text);
  t.match(anthropic.headers['content-type'], /application\/json/);
  t.match(JSON.parse(anthropic.text), { type: 'error', error: { type: 'invalid_request_error', message: /context too long/ } }, 'the Anthropic caller gets its error shape');
  const openai = await call(port, '/v1/chat/completions', { model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  t.equal(openai.status, 400, openai.text);
  t.match(JSON.parse(openai.text), { error: { message: 'context too long', type: 'invalid_request_error', code: 'context_length_exceeded' } }, 'the OpenAI caller gets the upstream\'s error as it is');
  t.equal(refusing.requests.length, 2, 'one upstream request per call: the request was at fault, no retry');
});
