/** The byte-level watchers of forwarded answers: the Anthropic SSE scanner and the usage tail scan. */
import t from 'tap';
import { AnthropicSseScanner } from '../../src/pipeline/anthropic-scan.js';
import { anthropicUsageOf, lastUsageObject, openaiUsageOf } from '../../src/pipeline/usage-scan.js';
import { classifyTransportError } from '../../src/upstream/errors.js';

const STREAM =
  'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"c","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"cache_creation_input_tokens":1,"cache_read_input_tokens":2,"output_tokens":1}}}\n\n' +
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n' +
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"message_stop \\"usage\\": {} é"}}\n\n' +
  'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n' +
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":null,"output_tokens":12}}\n\n' +
  'event: message_stop\ndata: {"type":"message_stop"}\n\n';

function scan(text: string, pieceSize: number): AnthropicSseScanner {
  const scanner = new AnthropicSseScanner();
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += pieceSize) scanner.push(bytes.subarray(at, at + pieceSize));
  scanner.end();
  return scanner;
}

t.test('Anthropic scanner: usage, completion and errors, however the bytes are split', async (t) => {
  for (const size of [1, 2, 3, 7, 64, 100_000]) {
    const scanner = scan(STREAM, size);
    t.same(scanner.usage(), { prompt: 8, completion: 12, cached: 2, cacheWrite: 1 }, `usage (pieces of ${size})`);
    t.ok(scanner.complete, `message_stop seen (pieces of ${size})`);
    t.notOk(scanner.failed);
  }
  const crlf = scan(STREAM.replace(/\n/g, '\r\n'), 5);
  t.ok(crlf.complete, 'CRLF framing');
  t.same(crlf.usage(), { prompt: 8, completion: 12, cached: 2, cacheWrite: 1 });
  const cut = scan(STREAM.slice(0, STREAM.indexOf('event: message_delta')), 9);
  t.notOk(cut.complete, 'a cut stream is not complete');
  t.same(cut.usage(), { prompt: 8, completion: 1, cached: 2, cacheWrite: 1 }, 'usage so far from message_start');
  const failed = scan(`${STREAM.slice(0, 400)}\n\nevent: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n`, 11);
  t.ok(failed.failed, 'an upstream error event is noticed');
  const bare = scan(`${STREAM.slice(0, 400)}\n\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n`, 7);
  t.ok(bare.failed, 'also without its event: line (a compatible server)');
  t.notOk(scan(STREAM, 5).failed, 'not in a normal stream');
});

/** A scanner that records every event it inspects (its private `inspect`, shadowed on the instance). */
function recording(): { scanner: AnthropicSseScanner; events: string[] } {
  const scanner = new AnthropicSseScanner();
  const events: string[] = [];
  const spied = scanner as unknown as { inspect(event: Buffer): void };
  const inspect = spied.inspect.bind(scanner);
  spied.inspect = (event) => {
    events.push(event.toString('utf8'));
    inspect(event);
  };
  return { scanner, events };
}

/** A read whose indexOf counts the bytes it looks at (up to the match, or to the end without one). */
function counted(bytes: Buffer): { chunk: Buffer; scanned: () => number } {
  let scanned = 0;
  const chunk = Buffer.from(bytes);
  const indexOf = chunk.indexOf.bind(chunk);
  Object.assign(chunk, {
    indexOf: (needle: Buffer, from: number) => {
      const at = indexOf(needle, from);
      scanned += (at === -1 ? chunk.length : at + needle.length) - from;
      return at;
    },
  });
  return { chunk, scanned: () => scanned };
}

/** n message_delta events (output_tokens 1..n); every third one CRLF-framed when `mixed`. */
function manyEvents(n: number, mixed: boolean): string[] {
  return Array.from({ length: n }, (_, i) => {
    const event = `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":${i + 1}}}\n\n`;
    return mixed && i % 3 === 1 ? event.replace(/\n/g, '\r\n') : event;
  });
}

t.test('Anthropic scanner: many events in one read are found in one pass over it', async (t) => {
  for (const mixed of [false, true]) {
    const events = manyEvents(3_000, mixed);
    const { scanner, events: seen } = recording();
    const { chunk, scanned } = counted(Buffer.from(events.join('')));
    scanner.push(chunk);
    scanner.end();
    t.same(seen, events, `every event, in order (${mixed ? 'mixed LF and CRLF' : 'LF'} framing)`);
    t.equal(scanner.usage()?.completion, 3_000, 'the last cumulative count');
    // Searching both blank-line kinds from every event start looked at ~events x read bytes.
    t.ok(scanned() <= 3 * chunk.length, `the read is searched about twice, not per event (${scanned()} bytes for ${chunk.length})`);
  }
});

t.test('Anthropic scanner: an event stream split in two at every byte position', async (t) => {
  const events = [...manyEvents(4, true), 'event: message_stop\r\ndata: {"type":"message_stop"}\r\n\r\n', 'event: error\ndata: {"type":"error"}\n\n'];
  const bytes = Buffer.from(events.join(''));
  let wrong = 0;
  for (let cut = 0; cut <= bytes.length; cut++) {
    const { scanner, events: seen } = recording();
    scanner.push(bytes.subarray(0, cut));
    scanner.push(bytes.subarray(cut));
    scanner.end();
    const ok = JSON.stringify(seen) === JSON.stringify(events) && scanner.complete && scanner.failed && scanner.usage()?.completion === 4;
    if (!ok) {
      wrong++;
      t.fail(`split at ${cut}: ${JSON.stringify(seen)}`);
    }
  }
  t.equal(wrong, 0, `the same events at all ${bytes.length + 1} split positions`);
});

t.test('usage tail scan of forwarded JSON answers', async (t) => {
  const openai = Buffer.from('{"id":"x","choices":[{"message":{"content":"the \\"usage\\": {\\"prompt_tokens\\": 99} text"}}],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":3}}}');
  t.same(openaiUsageOf(openai), { prompt: 11, completion: 7, cached: 3 }, 'the last usage object, nested objects included (cached prompt tokens: issue 5)');
  t.same(openaiUsageOf(Buffer.from('{"usage" :\n { "prompt_tokens": 1, "completion_tokens": 2, "note": "}{" } }')), { prompt: 1, completion: 2 }, 'whitespace and braces in strings');
  t.same(openaiUsageOf(Buffer.from('{"usage":{"note":"prompt_tokens","prompt_tokens":4,"completion_tokens":0}}')), { prompt: 4, completion: 0 }, 'a key name used as a value is skipped');
  t.same(openaiUsageOf(Buffer.from('{"usage":{"completion_tokens":5}}')), { prompt: 0, completion: 5 }, 'a missing counter is 0');
  for (let i = 0; i < 200; i++) {
    const usage = { prompt_tokens: Math.floor(Math.random() * 1e7), completion_tokens: Math.floor(Math.random() * 1e5), total_tokens: 1, prompt_tokens_details: { cached_tokens: i % 3 === 0 ? 0 : i }, completion_tokens_details: { reasoning_tokens: i } };
    const text = JSON.stringify({ id: `r${i}`, choices: [{ message: { content: `"usage": ${JSON.stringify({ prompt_tokens: -1 })}` } }], usage }, null, i % 2 === 0 ? 0 : 2);
    const expected: Record<string, number> = { prompt: usage.prompt_tokens, completion: usage.completion_tokens };
    if (usage.prompt_tokens_details.cached_tokens > 0) expected.cached = usage.prompt_tokens_details.cached_tokens;
    if (JSON.stringify(openaiUsageOf(Buffer.from(text))) !== JSON.stringify(expected)) t.fail(`in-place read differs from JSON.parse for ${text}`);
  }
  t.equal(openaiUsageOf(Buffer.from('{"usage":null}')), undefined);
  t.equal(openaiUsageOf(Buffer.from('{"choices":[]}')), undefined);
  t.equal(lastUsageObject(Buffer.from('{"usage":{"prompt_tokens":1')), undefined, 'a truncated object');
  t.same(anthropicUsageOf(lastUsageObject(Buffer.from('{"usage":{"input_tokens":5,"cache_read_input_tokens":2,"output_tokens":3}}'))), { prompt: 7, completion: 3, cached: 2 });
});

t.test('transport errors: connect, timeout, reset', async (t) => {
  const err = (code: string, cause?: string) => Object.assign(new Error(code), { code, ...(cause ? { cause: Object.assign(new Error(cause), { code: cause }) } : {}) });
  t.match(classifyTransportError(err('ECONNREFUSED')), { kind: 'connect' });
  t.match(classifyTransportError(err('ENOTFOUND')), { kind: 'connect' });
  t.match(classifyTransportError(err('UND_ERR_CONNECT_TIMEOUT')), { kind: 'connect' });
  t.match(classifyTransportError(err('CERT_HAS_EXPIRED')), { kind: 'connect' });
  t.match(classifyTransportError(err('UND_ERR_HEADERS_TIMEOUT')), { kind: 'timeout', phase: 'headers' });
  t.match(classifyTransportError(err('UND_ERR_BODY_TIMEOUT')), { kind: 'timeout', phase: 'body' });
  t.match(classifyTransportError(err('UND_ERR_SOCKET', 'ECONNRESET')), { kind: 'reset', detail: 'ECONNRESET' });
  t.match(classifyTransportError(err('ECONNRESET')), { kind: 'reset' });
  t.match(classifyTransportError(new Error('odd')), { kind: 'reset', detail: 'odd' });
});
