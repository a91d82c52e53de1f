/** The HTTP/1.1 response parser: every framing, fed whole and split at every byte. */
import t from 'tap';
import { ResponseParser, MAX_HEAD_BYTES } from '../../src/upstream/h1/response-parser.js';
import { UpstreamClientError } from '../../src/upstream/h1/errors.js';
import type { UpstreamHeaders } from '../../src/upstream/types.js';

interface Parsed {
  heads: Array<{ status: number; headers: UpstreamHeaders }>;
  body: string;
  complete: number;
  reusable: boolean;
  endsAtClose: boolean;
}

/** Feeds `wire` in pieces cut at `cuts` (byte offsets). */
function parse(wire: string | Buffer, cuts: number[] = []): Parsed {
  const out: Parsed = { heads: [], body: '', complete: 0, reusable: false, endsAtClose: false };
  const bodies: Buffer[] = [];
  const parser = new ResponseParser({
    onHead: (status, headers) => out.heads.push({ status, headers }),
    onBody: (chunk) => bodies.push(Buffer.from(chunk)),
    onComplete: () => out.complete++,
  });
  const bytes = Buffer.isBuffer(wire) ? wire : Buffer.from(wire);
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > at) parser.execute(bytes.subarray(at, cut));
    at = Math.max(at, cut);
  }
  out.body = Buffer.concat(bodies).toString();
  out.reusable = parser.reusable;
  out.endsAtClose = parser.endsAtClose;
  return out;
}

/** The same result whole, split at every single byte offset, and byte by byte. */
function everySplit(wire: string, check: (parsed: Parsed, how: string) => void): void {
  check(parse(wire), 'whole');
  const length = Buffer.byteLength(wire);
  for (let cut = 1; cut < length; cut++) check(parse(wire, [cut]), `split at ${cut}`);
  check(parse(wire, Array.from({ length }, (_, i) => i)), 'byte by byte');
}

const HEAD = 'HTTP/1.1 200 OK\r\nServer:nginx\r\nContent-Type:  application/json \t\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n';

t.test('content-length: head, body, reusable', async (t) => {
  const wire = `${HEAD}Content-Length: 11\r\n\r\n{"ok":true}`;
  let failures = 0;
  everySplit(wire, (p, how) => {
    const ok = p.heads.length === 1 && p.heads[0]!.status === 200 && p.body === '{"ok":true}' && p.complete === 1 && p.reusable;
    if (!ok) failures++, t.fail(how, p);
  });
  t.equal(failures, 0, 'every split parses the same');
  const p = parse(wire);
  t.same(p.heads[0]!.headers, { server: 'nginx', 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'], 'content-length': '11' }, 'lower-case names, repeated ones as a list');
});

t.test('content-encoding identity is a body as sent', async (t) => {
  const p = parse(`${HEAD}Content-Encoding: identity\r\nContent-Length: 2\r\n\r\nok`);
  t.equal(p.body, 'ok');
  t.equal(parse('HTTP/1.1 304 Not Modified\r\ncontent-encoding: gzip\r\n\r\n').heads[0]?.status, 304, 'no body, nothing to decode');
});

t.test('chunked: extensions, several chunks, trailers dropped', async (t) => {
  const wire = `${HEAD}Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nx-trailer: t\r\n\r\n`;
  let failures = 0;
  everySplit(wire, (p, how) => {
    if (!(p.body === 'hello 0123456789' && p.complete === 1 && p.reusable)) failures++, t.fail(how, p);
  });
  t.equal(failures, 0, 'every split parses the same');
});

t.test('a body of multi-byte UTF-8 is passed on as bytes, split anywhere', async (t) => {
  const text = 'é€😀 data: {"x":"ü"}\n\n';
  const wire = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;
  let failures = 0;
  everySplit(wire, (p, how) => {
    if (p.body !== text) failures++, t.fail(how, p);
  });
  t.equal(failures, 0);
});

t.test('no body: 204, 304, content-length 0', async (t) => {
  for (const wire of ['HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n', 'HTTP/1.1 304 Not Modified\r\n\r\n', 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n']) {
    const p = parse(wire);
    t.equal(p.complete, 1, wire.split('\r\n')[0]!);
    t.equal(p.body, '');
    t.ok(p.reusable);
  }
});

t.test('1xx interim answers are skipped', async (t) => {
  const wire = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok';
  everySplit(wire, (p, how) => {
    if (!(p.heads.length === 1 && p.heads[0]!.status === 201 && p.body === 'ok')) t.fail(how, p);
  });
  t.pass('only the final head is reported');
});

t.test('connection: close, HTTP/1.0, and a body that runs to the end of the connection', async (t) => {
  t.notOk(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx').reusable, 'connection: close');
  t.notOk(parse('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx').reusable, 'HTTP/1.0 without keep-alive');
  t.ok(parse('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx').reusable, 'HTTP/1.0 with keep-alive');
  const open = parse('HTTP/1.1 200 OK\r\n\r\nsome bytes');
  t.equal(open.body, 'some bytes');
  t.equal(open.complete, 0, 'not complete until the connection ends');
  t.ok(open.endsAtClose);
  t.equal(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 2\r\n\r\nzz').body, 'zz', 'identity is no coding');
  t.equal(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked \r\n\r\n2\r\nzz\r\n0\r\n\r\n').body, 'zz', 'the coding name in any case, with spaces');
});

t.test('both framings, or chunked from HTTP/1.0: the connection closes after the response', async (t) => {
  t.notOk(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n1\r\nx\r\n0\r\n\r\n').reusable);
  t.notOk(parse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n').reusable);
  t.equal(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\n').complete, 1, 'a bare LF ends the trailers too');
  t.equal(parse('HTTP/1.1 200 OK\r\n__proto__: x\r\nContent-Length: 0\r\n\r\n').heads[0]!.headers['__proto__'], 'x', 'a __proto__ header is a header');
});

t.test('bytes after a complete response: the connection is not reused', async (t) => {
  const p = parse('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n');
  t.equal(p.body, 'x');
  t.equal(p.complete, 1);
  t.notOk(p.reusable);
});

t.test('empty lines before the status line are ignored (RFC 9112 2.2), split anywhere', async (t) => {
  everySplit('\r\n\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', (p, how) => {
    t.equal(p.body, 'ok', how);
    t.equal(p.complete, 1, how);
  });
});

t.test('a head in bare LFs is refused at its status line, not waited on until the headers timeout', async (t) => {
  for (const cuts of [[], [5], [16], [17]]) t.throws(() => parse('HTTP/1.1 200 OK\nContent-Length: 2\n\nok', cuts), { code: 'UPSTREAM_BAD_RESPONSE' }, `cut at ${cuts.join(',')}`);
});

t.test('malformed responses are errors with a stable code', async (t) => {
  const bad: Array<[string, string | Buffer]> = [
    ['not HTTP', 'SSH-2.0-OpenSSH_9.2\r\n\r\n'],
    ['bad status', 'HTTP/1.1 2x0 OK\r\n\r\n'],
    ['header without colon', 'HTTP/1.1 200 OK\r\nbroken\r\n\r\n'],
    ['bad content-length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    ['conflicting content-lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx'],
    ['bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['no CRLF after chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy'],
    ['switching protocols', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
    ['a coding it cannot decode (its bytes would reach the caller as the body)', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz'],
    ['gzip under chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nzz\r\n0\r\n\r\n'],
    ['a compressed body (its bytes would reach the caller as the answer)', 'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nzz'],
    ['a compressed error body', 'HTTP/1.1 500 Oops\r\ncontent-encoding: br\r\nContent-Length: 2\r\n\r\nzz'],
    ['a name that only ends in chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n2\r\nzz\r\n0\r\n\r\n'],
    ['status with a fourth digit', 'HTTP/1.1 2001 OK\r\n\r\n'],
    ['status in exponent form', 'HTTP/1.1 1e2 OK\r\n\r\n'],
    ['space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n'],
    ['bare LF inside a value', 'HTTP/1.1 200 OK\r\nx-request-id: a\nSet-Cookie: s=1\r\n\r\n'],
    ['NUL inside a value', 'HTTP/1.1 200 OK\r\nx-request-id: a\u0000b\r\n\r\n'],
    ['head too large', Buffer.from(`HTTP/1.1 200 OK\r\nx: ${'a'.repeat(MAX_HEAD_BYTES)}`)],
  ];
  for (const [name, wire] of bad) {
    let thrown: unknown;
    try {
      parse(wire);
    } catch (err) {
      thrown = err;
    }
    t.ok(thrown instanceof UpstreamClientError && thrown.code === 'UPSTREAM_BAD_RESPONSE', `${name}: ${String(thrown)}`);
  }
});
