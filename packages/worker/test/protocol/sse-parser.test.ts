import t from 'tap';
import { SseEventTooLargeError, SseLineTooLongError, SseParser, type SseEvent } from '../../src/protocol/sse/parser.js';
import { awkwardSplits } from './helpers/splits.js';

const encode = (s: string): Uint8Array => new TextEncoder().encode(s);

function parseAll(pieces: Uint8Array[]): SseEvent[] {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for (const piece of pieces) events.push(...parser.push(piece));
  events.push(...parser.end());
  return events;
}

const ev = (data: string, event?: string, id?: string): SseEvent => ({ event, data, id });

t.test('fields, comments, multi-line data, event names and ids (LF)', async (t) => {
  const text = [
    ': a comment line',
    'event: message_start',
    'data: {"a":1}',
    '',
    'data: line one',
    'data:line two',
    'data:  two spaces keep one',
    'id: 42',
    '',
    'event: named',
    'retry: 3000',
    'unknown: field',
    'data',
    '',
    'event: no-data-is-not-dispatched',
    '',
    'data: after',
    '',
    '',
  ].join('\n');
  t.strictSame(parseAll([encode(text)]), [
    ev('{"a":1}', 'message_start'),
    ev('line one\nline two\n two spaces keep one', undefined, '42'),
    ev('', 'named', '42'),
    ev('after', undefined, '42'),
  ]);
});

t.test('CRLF, lone CR and mixed line endings parse the same', async (t) => {
  const lines = ['event: a', 'data: 1', '', 'data: 2', 'data: 3', '', ''];
  const expected = [ev('1', 'a'), ev('2\n3')];
  t.strictSame(parseAll([encode(lines.join('\n'))]), expected, 'LF');
  t.strictSame(parseAll([encode(lines.join('\r\n'))]), expected, 'CRLF');
  t.strictSame(parseAll([encode(lines.join('\r'))]), expected, 'CR');
  t.strictSame(parseAll([encode('event: a\r\ndata: 1\r\r\ndata: 2\ndata: 3\r\n\n')]), expected, 'mixed');
});

t.test('a CR at the end of one read and the LF at the start of the next are one line ending', async (t) => {
  t.strictSame(parseAll([encode('data: a\r'), encode('\ndata: b\r'), encode('\n\r'), encode('\n')]), [ev('a\nb')]);
  // A lone CR followed by a new line's text in the next read is a line ending too.
  t.strictSame(parseAll([encode('data: a\r'), encode('data: b\r\r')]), [ev('a\nb')]);
});

t.test('UTF-8 BOM at the start is skipped, elsewhere kept', async (t) => {
  t.strictSame(parseAll([new Uint8Array([0xef, 0xbb]), new Uint8Array([0xbf]), encode('data: x\n\n')]), [ev('x')]);
  t.strictSame(parseAll([encode('data: \ufeffx\n\n')]), [ev('\ufeffx')]);
});

t.test('split anywhere (every byte, random, inside multi-byte characters): identical events', async (t) => {
  const text =
    'event: content_block_delta\r\ndata: {"text":"héllo 世界 🎉 𝄞"}\r\n\r\n' +
    ': ping\n\ndata: 🎉🎉🎉\ndata: ß\n\n' +
    'event: x\rdata: end — ✓\r\r' +
    `data: ${'long '.repeat(500)}\n\n`;
  const bytes = encode(text);
  const reference = parseAll([bytes]);
  t.equal(reference.length, 4);
  t.equal(reference[0]?.data, '{"text":"héllo 世界 🎉 𝄞"}');
  for (const split of awkwardSplits(bytes)) t.strictSame(parseAll(split.pieces), reference, split.name);
});

t.test('end() delivers a final event that lacks its blank line', async (t) => {
  t.strictSame(parseAll([encode('data: a\n\ndata: [DONE]')]), [ev('a'), ev('[DONE]')]);
  t.strictSame(parseAll([encode('data: a\n\ndata: b\n')]), [ev('a'), ev('b')]);
  t.strictSame(parseAll([encode('data: a\n\n: trailing comment')]), [ev('a')]);
});

t.test('partial lines are copied: the caller may reuse its read buffer', async (t) => {
  const parser = new SseParser();
  const buffer = Buffer.from('data: hel');
  t.strictSame(parser.push(buffer), []);
  buffer.fill(0x7a); // overwrite the read buffer, as a socket reader might
  t.strictSame(parser.push(Buffer.from('lo\n\n')), [ev('hello')]);
});

t.test('a line longer than maxLineBytes throws instead of growing without bound', async (t) => {
  const parser = new SseParser({ maxLineBytes: 64 });
  parser.push(encode('data: ' + 'x'.repeat(40)));
  t.throws(() => parser.push(encode('y'.repeat(40))), SseLineTooLongError);
  const ok = new SseParser({ maxLineBytes: 64 });
  t.strictSame(ok.push(encode('data: ' + 'x'.repeat(50) + '\n\n')), [ev('x'.repeat(50))]);
});

t.test('an event of many data lines without its blank line throws past maxEventChars', async (t) => {
  const parser = new SseParser({ maxEventChars: 100 });
  // 9 lines of "x" * 10 joined by newlines: 98 characters, still one event.
  t.strictSame(parser.push(encode('data: xxxxxxxxxx\n'.repeat(9) + '\n')), [ev(Array(9).fill('x'.repeat(10)).join('\n'))]);
  t.strictSame(parser.push(encode('data: xxxxxxxxxx\n'.repeat(9))), [], 'a new event, not yet ended');
  t.throws(() => parser.push(encode('data: xxxxxxxxxx\n')), SseEventTooLargeError, 'the tenth line passes the limit');
});

t.test('long line arriving in many small reads is assembled once (linear work)', async (t) => {
  const parser = new SseParser();
  const payload = 'z'.repeat(200_000);
  const bytes = encode(`data: ${payload}\n\n`);
  let events: SseEvent[] = [];
  for (let i = 0; i < bytes.length; i += 7) events = events.concat(parser.push(bytes.subarray(i, i + 7)));
  t.equal(events.length, 1);
  t.equal(events[0]?.data.length, payload.length);
});
