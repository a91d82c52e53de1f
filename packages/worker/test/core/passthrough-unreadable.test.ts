/**
 * A same-protocol (forwarded) 2xx answer that is not one JSON object: an HTML page, a body cut
 * short, a 204, an event stream to a plain request, ndjson to a streamed one. The gateway cannot
 * read it, so, as on a translated route, the attempt fails: the next target answers, and when none
 * does the caller gets 502 GW_ERR_UPSTREAM_ERROR saying what came instead. Media types are read
 * case-insensitively (RFC 9110 8.3.1).
 */
import t from 'tap';
import type { ServerResponse } from 'node:http';
import { call, sseFrames, startCoreWorker, startScripted, type RawRequest } from './helpers.js';
import { isEventStreamType, isJsonType } from '../../src/pipeline/media-type.js';
import { requireJsonObject } from '../../src/pipeline/json-answer.js';

const OPENAI_ANSWER = '{"id":"chatcmpl-good","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"good"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}';
const ANTHROPIC_ANSWER = '{"id":"msg_good","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"good"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}';
const OPENAI_STREAM = 'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"streamed"},"finish_reason":null}]}\n\ndata: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';

/** The first path segment names what the upstream sends: /<behaviour>/v1/... */
function answer(req: RawRequest, res: ServerResponse): void {
  const behaviour = req.path.split('/')[1];
  const anthropic = req.path.includes('/messages');
  switch (behaviour) {
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Sign in to continue</body></html>');
      return;
    case 'cut':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices": [ {"index": 0, "mess');
      return;
    case 'empty':
      res.writeHead(204).end();
      return;
    case 'sse':
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(OPENAI_STREAM);
      return;
    case 'ndjson':
      res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end('{"model":"m","message":{"role":"assistant","content":"a"},"done":false}\n{"model":"m","message":{"role":"assistant","content":""},"done":true}\n');
      return;
    case 'joined': // ndjson under another name: its first and last bytes pass for an object's
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"done":false}\n{"done":true}');
      return;
    case 'upper-sse':
      res.writeHead(200, { 'content-type': 'Text/Event-Stream ; Charset=UTF-8' }).end(OPENAI_STREAM);
      return;
    case 'bom': // a byte order mark before the object: parsers skip it, so it passes through
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(anthropic ? ANTHROPIC_ANSWER : OPENAI_ANSWER)]));
      return;
    case 'unlabelled-sse': // FastAPI's StreamingResponse without a media_type: a stream, no content-type
      res.writeHead(200, {}).end(OPENAI_STREAM);
      return;
    case 'plain-sse':
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(OPENAI_STREAM);
      return;
    case 'upper-json':
      res.writeHead(200, { 'content-type': 'Application/JSON' }).end(OPENAI_ANSWER);
      return;
    default:
      res.writeHead(200, { 'content-type': 'application/json' }).end(anthropic ? ANTHROPIC_ANSWER : OPENAI_ANSWER);
  }
}

const BAD = ['html', 'cut', 'empty', 'sse', 'ndjson', 'joined'] as const;

t.test('a forwarded 2xx that is not one JSON object fails the attempt', async (t) => {
  const up = await startScripted(t, answer);
  const GOOD_ODD = ['upper-sse', 'upper-json', 'bom', 'unlabelled-sse', 'plain-sse'];
  const providers = [...BAD, 'good', ...GOOD_ODD].flatMap((b) => [
    `  - { name: o-${b}, type: openai, base_url: "${up.url}/${b}/v1", api_keys: ["sk-o"] }`,
    `  - { name: a-${b}, type: anthropic, base_url: "${up.url}/${b}", api_keys: ["sk-a"] }`,
  ]);
  const models = [...BAD, ...GOOD_ODD].flatMap((b) => [
    `  - { name: o-${b}, targets: [{ provider: o-${b}, model: m }] }`,
    `  - { name: a-${b}, targets: [{ provider: a-${b}, model: m }] }`,
    `  - { name: o-${b}-then-good, targets: [{ provider: o-${b}, model: m }, { provider: o-good, model: m }] }`,
    `  - { name: a-${b}-then-good, targets: [{ provider: a-${b}, model: m }, { provider: a-good, model: m }] }`,
  ]);
  const { port } = await startCoreWorker(t, `routing: { retries: 1, backoff_initial: 1ms, backoff_max: 2ms, breaker_threshold: 1000 }\nproviders:\n${providers.join('\n')}\nmodels:\n${models.join('\n')}\n`);
  const chat = (model: string, stream: boolean) => call(port, '/v1/chat/completions', { model, stream, messages: [{ role: 'user', content: 'hi' }] });
  const messages = (model: string, stream: boolean) => call(port, '/v1/messages', { model, stream, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' });
  const upstreamCalls = (prefix: string): number => up.requests.filter((r) => r.path.startsWith(prefix)).length;

  // The ways each one is wrong: the caller's 502 says so.
  const why: Record<(typeof BAD)[number], RegExp> = {
    html: /not a JSON object \(text\/html\): "<html><body>Sign in/,
    cut: /not one whole JSON object \(application\/json, 32 bytes ending ".*mess"\)/,
    empty: /the answer \(204, no content-type\) is empty/,
    sse: /not a JSON object \(text\/event-stream\): "data: /,
    ndjson: /the answer is a sequence of JSON values \(application\/x-ndjson\), not one JSON object/,
    joined: /a stream was asked for and the answer \(application\/json\) is neither an event stream nor one JSON answer/,
  };
  for (const bad of BAD) {
    // An event stream is what a streamed request wants; a plain one that takes the bytes as they
    // come is only checked for looking like one object (joined).
    for (const stream of bad === 'sse' ? [false] : bad === 'joined' ? [true] : [false, true]) {
      t.test(`${bad}, stream ${stream}`, async (t) => {
        const before = upstreamCalls(`/${bad}/`);
        const failed = await chat(`o-${bad}`, stream);
        t.equal(failed.status, 502, `OpenAI caller: ${failed.text}`);
        t.match(failed.json(), { error: { code: 'GW_ERR_UPSTREAM_ERROR', message: new RegExp(`^provider o-${bad} sent an answer the gateway cannot read: `) } });
        t.match(failed.json<{ error: { message: string } }>().error.message, why[bad]);
        t.equal(upstreamCalls(`/${bad}/`) - before, 2, 'a failed attempt: retried (retries: 1)');

        const anthropic = await messages(`a-${bad}`, stream);
        t.equal(anthropic.status, 502, `Anthropic caller: ${anthropic.text}`);
        t.match(anthropic.json(), { type: 'error', error: { type: 'api_error', message: new RegExp(`provider a-${bad} sent an answer the gateway cannot read`) } });

        const saved = await chat(`o-${bad}-then-good`, stream);
        t.equal(saved.status, 200, `failed over: ${saved.text}`);
        t.match(saved.text, /"good"/, "the next target answered");
        const savedAnthropic = await messages(`a-${bad}-then-good`, stream);
        t.equal(savedAnthropic.status, 200, `failed over: ${savedAnthropic.text}`);
        t.match(savedAnthropic.text, /good/);
      });
    }
  }

  t.test('count_tokens and embeddings answered with nothing', async (t) => {
    const counted = await call(port, '/v1/messages/count_tokens', { model: 'a-empty', messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' });
    t.equal(counted.status, 502, counted.text);
    t.match(counted.json(), { error: { message: /is empty/ } });
    const embedded = await call(port, '/v1/embeddings', { model: 'o-empty', input: 'hi' });
    t.equal(embedded.status, 502, embedded.text);
    t.match(embedded.json(), { error: { code: 'GW_ERR_UPSTREAM_ERROR', message: /is empty/ } });
  });

  t.test('media types are case-insensitive: Text/Event-Stream streams, Application/JSON replays', async (t) => {
    const streamed = await chat('o-upper-sse', true);
    t.equal(streamed.status, 200, streamed.text);
    t.equal(streamed.text, OPENAI_STREAM, 'the upstream stream, byte for byte');
    const whole = await chat('o-upper-json', true);
    t.equal(whole.status, 200, whole.text);
    t.match(whole.headers['content-type'], /^text\/event-stream/, 'a stream replayed from the whole answer');
    t.equal(sseFrames(whole.text).at(-1)?.data, '[DONE]');
    const plain = await chat('o-upper-json', false);
    t.equal(plain.text, OPENAI_ANSWER, 'a good answer passes byte for byte');
  });

  t.test('a byte order mark before the object passes through', async (t) => {
    const plain = await chat('o-bom', false);
    t.equal(plain.status, 200, plain.text);
    t.match(plain.text, /"chatcmpl-good"/);
    const anthropic = await messages('a-bom', false);
    t.equal(anthropic.status, 200, anthropic.text);
    t.match(anthropic.text, /"msg_good"/);
  });

  t.test('a stream under no content-type, or text/plain, is streamed as one', async (t) => {
    for (const model of ['o-unlabelled-sse', 'o-plain-sse']) {
      const streamed = await chat(model, true);
      t.equal(streamed.status, 200, `${model}: ${streamed.text}`);
      t.match(streamed.headers['content-type'], /^text\/event-stream/, 'the caller is told it is a stream');
      t.equal(streamed.text, OPENAI_STREAM, 'the upstream stream, byte for byte');
    }
  });
});

t.test('media types and the one-object check, alone', async (t) => {
  for (const yes of ['text/event-stream', 'Text/Event-Stream', ' text/event-stream ; charset=utf-8', 'TEXT/EVENT-STREAM;charset=UTF-8']) t.ok(isEventStreamType(yes), yes);
  for (const no of [undefined, '', 'text/event-streams', 'text/plain', 'application/json']) t.notOk(isEventStreamType(no), String(no));
  t.ok(isJsonType('Application/Json; charset=utf-8'));
  t.notOk(isJsonType('application/jsonl'));
  const ok = (text: string, type = 'application/json') => () => requireJsonObject(Buffer.from(text), 200, type);
  t.doesNotThrow(ok(' \n{"a":1}\r\n'), 'whitespace around one object');
  t.throws(ok(''), /is empty/);
  t.throws(ok('  \n '), /is empty/);
  t.throws(ok('{'), /not one whole JSON object/);
  t.throws(ok('[{"a":1}]'), /not a JSON object \(application\/json\): "\[\{/);
  t.throws(ok('{"a":1}\n{"b":2}\n', 'application/x-ndjson; charset=utf-8'), /a sequence of JSON values/);
});
