import t from 'tap';
import { extractUsage, isUsageOnlyChunk, OpenaiSseTap } from '../../src/providers/openai/usage-tap.js';
import { awkwardSplits } from './helpers/splits.js';

const chunk = (content: string): string =>
  `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`;
const FINISH = 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}\n\n';
const USAGE_EVENT =
  'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}\n\n';
const DONE = 'data: [DONE]\n\n';
const STREAM = chunk('Hello') + chunk(' wörld 🎉') + FINISH + USAGE_EVENT + DONE;
const USAGE = { prompt_tokens: 19, completion_tokens: 10, total_tokens: 29, prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } };

function run(pieces: Uint8Array[], strip: boolean): { text: string; tap: OpenaiSseTap; out: Uint8Array[] } {
  const tap = new OpenaiSseTap({ stripUsageChunk: strip });
  const out: Uint8Array[] = [];
  for (const piece of pieces) out.push(...tap.push(piece));
  out.push(...tap.end());
  return { text: Buffer.concat(out).toString('utf8'), tap, out };
}

t.test('strip mode removes exactly the usage-only event, in any split', async (t) => {
  const bytes = Buffer.from(STREAM);
  for (const split of awkwardSplits(bytes)) {
    const { text, tap } = run(split.pieces, true);
    t.equal(text, STREAM.replace(USAGE_EVENT, ''), `bytes minus the usage event (${split.name})`);
    t.strictSame(tap.usage, USAGE, `usage read (${split.name})`);
    t.equal(tap.sawDone, true);
    t.equal(tap.sawError, false);
  }
});

t.test('pass mode forwards every read untouched and at once, still reading usage', async (t) => {
  const bytes = Buffer.from(STREAM);
  for (const split of awkwardSplits(bytes)) {
    const tap = new OpenaiSseTap({ stripUsageChunk: false });
    for (const piece of split.pieces) {
      const out = tap.push(piece);
      t.equal(out.length, 1);
      t.equal(out[0], piece, 'the same buffer object is returned');
    }
    t.strictSame(tap.end(), []);
    t.strictSame(tap.usage, USAGE, split.name);
    t.equal(tap.sawDone, true);
  }
});

t.test('JSON.parse runs only for the event that carries a usage object', async (t) => {
  const original = JSON.parse;
  let parses = 0;
  JSON.parse = ((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
    parses++;
    return original(text, reviver);
  }) as typeof JSON.parse;
  try {
    run([Buffer.from(STREAM)], true);
    run(awkwardSplits(Buffer.from(STREAM))[1]?.pieces ?? [], false);
  } finally {
    JSON.parse = original;
  }
  t.equal(parses, 2, 'one parse per stream');
});

t.test('CRLF endings and Python-style spacing (`"usage": {`)', async (t) => {
  const usageEvent = 'data: {"id": "x", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}\r\n\r\n';
  const stream = 'data: {"id": "x", "choices": [{"index": 0, "delta": {"content": "hi"}}], "usage": null}\r\n\r\n' + usageEvent + 'data: [DONE]\r\n\r\n';
  for (const split of awkwardSplits(Buffer.from(stream))) {
    const { text, tap } = run(split.pieces, true);
    t.equal(text, stream.replace(usageEvent, ''), split.name);
    t.strictSame(tap.usage, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
  }
});

t.test('usage riding on a chunk that also has choices is read but never stripped', async (t) => {
  const withChoices =
    'data: {"id":"x","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}\n\n' +
    'data: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n' +
    DONE;
  const { text, tap } = run([Buffer.from(withChoices)], true);
  t.equal(text, withChoices);
  t.strictSame(tap.usage, { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 }, 'the last one wins');
});

t.test('an upstream error payload is noticed; a trailing event without blank line is flushed', async (t) => {
  const errorEvent = 'data: {"error":{"message":"overloaded","type":"server_error","code":null}}';
  const { text, tap } = run([Buffer.from(chunk('a') + errorEvent)], true);
  t.equal(text, chunk('a') + errorEvent);
  t.equal(tap.sawError, true);
  t.equal(tap.sawDone, false);
});

t.test('a held partial event is copied (the read buffer may be reused)', async (t) => {
  const tap = new OpenaiSseTap({ stripUsageChunk: true });
  const first = Buffer.from(chunk('one') + 'data: {"id":"x","choi');
  const out1 = tap.push(first).map((b) => Buffer.from(b));
  first.fill(0x21);
  const out2 = tap.push(Buffer.from('ces":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}\n\n' + DONE));
  t.equal(Buffer.concat([...out1, ...out2]).toString(), chunk('one') + DONE);
  t.equal(tap.usage?.total_tokens, 2);
});

t.test('extractUsage and isUsageOnlyChunk', async (t) => {
  t.strictSame(extractUsage('{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}'), { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
  t.equal(extractUsage('{"choices":[],"usage":null}'), undefined);
  t.equal(extractUsage('{"choices":[{"delta":{"content":"\\"usage\\": {"}}]}'), undefined, 'a usage-looking string inside content is not usage');
  t.equal(extractUsage('[DONE]'), undefined);
  t.equal(isUsageOnlyChunk({ choices: [], usage: USAGE }), true);
  t.equal(isUsageOnlyChunk({ choices: [], usage: null }), false);
  t.equal(isUsageOnlyChunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: USAGE }), false);
});

t.test('an event larger than maxEventBytes throws', async (t) => {
  const tap = new OpenaiSseTap({ stripUsageChunk: true, maxEventBytes: 32 });
  t.throws(() => tap.push(Buffer.from('data: ' + 'x'.repeat(64))));
});
