/**
 * gatewayd's HTTP/1.1 upstream client against real sockets: node:http servers and raw TCP servers
 * that write exactly the bytes a test needs (stalls, early closes, huge bodies), and TLS.
 */
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpCall } from '../../src/upstream/call.js';
import { classifyTransportError } from '../../src/upstream/errors.js';
import { PoolRegistry } from '../../src/upstream/pools.js';
import type { HttpUpstreamRequest, UpstreamHeaders } from '../../src/upstream/types.js';

interface Answer {
  status?: number;
  headers?: UpstreamHeaders;
  body: string;
  error?: Error & { code?: string };
}

interface Options {
  origin: string;
  headers?: string[];
  body?: Buffer | string;
  connections?: number;
  headersTimeout?: number;
  bodyTimeout?: number;
  /** Called for every body chunk; false pauses the upstream. */
  onData?: (chunk: Buffer, call: HttpCall) => boolean;
}

function request(pools: PoolRegistry, options: Options): { call: HttpCall; answer: Promise<Answer> } {
  const chunks: Buffer[] = [];
  const answer: Answer = { body: '' };
  let call!: HttpCall;
  const done = new Promise<Answer>((resolve) => {
    call = new HttpCall({
      onStart: (status, headers) => Object.assign(answer, { status, headers }),
      onData: (chunk) => {
        chunks.push(Buffer.from(chunk));
        return options.onData?.(chunk, call) ?? true;
      },
      onEnd: () => resolve({ ...answer, body: Buffer.concat(chunks).toString() }),
      onError: (error) => resolve({ ...answer, body: Buffer.concat(chunks).toString(), error }),
    });
  });
  const upstream: HttpUpstreamRequest = {
    origin: options.origin,
    path: '/v1/chat/completions?x=1',
    headers: options.headers ?? ['content-type', 'application/json'],
    body: options.body ?? '{"model":"m"}',
    connections: options.connections ?? 8,
    headersTimeout: options.headersTimeout ?? 5_000,
    bodyTimeout: options.bodyTimeout ?? 5_000,
  };
  call.start(pools, upstream);
  return { call, answer: done };
}

async function listen(t: Tap, server: Server | ReturnType<typeof createHttpServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function registry(t: Tap): PoolRegistry {
  const pools = new PoolRegistry();
  t.teardown(() => pools.destroy());
  return pools;
}

/** A raw TCP server: `onRequest` gets each complete request head+body text and the socket. */
function rawServer(onRequest: (socket: Socket, text: string) => void): { server: Server; sockets: Socket[] } {
  const sockets: Socket[] = [];
  const server = createNetServer((socket) => {
    sockets.push(socket);
    let text = '';
    socket.on('data', (data) => {
      text += data.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      const length = Number(/content-length: (\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
      if (text.length < end + 4 + length) return;
      const one = text.slice(0, end + 4 + length);
      text = text.slice(one.length);
      onRequest(socket, one);
    });
    socket.on('error', () => {});
  });
  return { server, sockets };
}

type Tap = { teardown(fn: () => unknown): void };

const until = (predicate: () => boolean, ms = 3_000): Promise<void> =>
  new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (predicate()) resolve(clearInterval(poll));
      else if (Date.now() - started > ms) {
        clearInterval(poll);
        reject(new Error('condition not met in time'));
      }
    }, 5);
  });

t.test('the request on the wire: one write of head and body, framing owned by the client', async (t) => {
  const seen: string[] = [];
  const { server } = rawServer((socket, text) => {
    seen.push(text);
    socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  const origin = await listen(t, server);
  const pools = registry(t);
  const headers = ['authorization', 'Bearer sk-1', 'Content-Length', '999', 'connection', 'close', 'x-custom', 'v', 'Accept-Encoding', 'gzip'];
  const text = await request(pools, { origin, headers, body: '{"q":"é€"}' }).answer;
  t.equal(text.body, 'ok');
  const buffer = await request(pools, { origin, body: Buffer.from([0x7b, 0x7d]) }).answer;
  t.equal(buffer.status, 200);
  const [head, body] = seen[0]!.split('\r\n\r\n');
  t.same(head!.split('\r\n'), [
    'POST /v1/chat/completions?x=1 HTTP/1.1',
    `host: ${origin.slice('http://'.length)}`,
    'authorization: Bearer sk-1',
    'x-custom: v',
    'accept-encoding: identity',
    `content-length: ${Buffer.byteLength('{"q":"é€"}')}`,
  ], 'host first; content-length, connection and accept-encoding from the caller are dropped (bodies are read as sent); UTF-8 length');
  t.equal(Buffer.from(body!, 'latin1').toString(), '{"q":"é€"}');
  t.match(seen[1], /content-length: 2\r\n\r\n\{\}$/, 'a Buffer body');
});

t.test('keep-alive: at most `connections` sockets, the rest queue in order', async (t) => {
  let connections = 0;
  let active = 0;
  let peak = 0;
  const order: number[] = [];
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    active++;
    peak = Math.max(peak, active);
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () =>
      setTimeout(() => {
        active--;
        order.push(Number(body));
        res.end(`{"n":${body}}`);
      }, 10),
    );
  });
  server.on('connection', () => connections++);
  const origin = await listen(t, server);
  const pools = registry(t);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => request(pools, { origin, connections: 2, body: String(i) }).answer));
  t.same(answers.map((a) => a.body), Array.from({ length: 20 }, (_, i) => `{"n":${i}}`), 'every answer to its own request');
  t.equal(connections, 2, 'two sockets carried 20 requests');
  t.equal(peak, 2);
  t.same(order.slice(0, 2).sort(), [0, 1]);
  t.same(order.slice(2, 4).sort(), [2, 3], 'queued requests go in arrival order');
  const pool = pools.get(origin, 2);
  t.equal(pool.idleConnections, 2, 'both idle again');
});

t.test('providers on one origin keep their own max_connections', async (t) => {
  const pools = registry(t);
  const origin = 'http://127.0.0.1:9';
  const small = pools.get(origin, 2);
  t.equal(pools.get(origin, 200) === small, false, 'another limit: another pool (it used to be this one, capped at 2)');
  t.equal(pools.get(origin, 2), small, 'the same limit shares the pool');
  t.equal(pools.size, 2);
});

t.test("a server's keep-alive timeout is honoured: no reuse of a connection it is about to close", async (t) => {
  let connections = 0;
  const server = createHttpServer((_req, res) => res.end('{}'));
  server.keepAliveTimeout = 1_500; // announced as `keep-alive: timeout=1`
  server.on('connection', () => connections++);
  const origin = await listen(t, server);
  const pools = registry(t);
  t.equal((await request(pools, { origin }).answer).status, 200);
  t.equal((await request(pools, { origin }).answer).status, 200);
  t.equal(connections, 2, 'timeout=1 leaves no safe idle time: a new connection each time');
});

t.test('a connection the server closed while idle is dropped; the next call gets a fresh one', async (t) => {
  const { server, sockets } = rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}'));
  const origin = await listen(t, server);
  const pools = registry(t);
  t.equal((await request(pools, { origin }).answer).status, 200);
  sockets[0]!.end();
  await until(() => pools.get(origin, 8).connections === 0);
  const again = await request(pools, { origin }).answer;
  t.equal(again.status, 200);
  t.notOk(again.error);
  t.equal(sockets.length, 2);
});

t.test('a request assigned to an idle connection whose FIN is arriving goes out on a fresh one', async (t) => {
  const { server, sockets } = rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}'));
  const origin = await listen(t, server);
  const pools = registry(t);
  t.equal((await request(pools, { origin }).answer).status, 200);
  const pool = pools.get(origin, 8);
  const idle = (pool as unknown as { idle: Array<{ socket: Socket }> }).idle[0]!;
  // Runs just before the client handles the FIN: the connection is still idle in the pool.
  let second: Promise<Answer> | undefined;
  idle.socket.prependOnceListener('end', () => (second = request(pools, { origin }).answer));
  sockets[0]!.end();
  await until(() => second !== undefined);
  const answer = await second!;
  t.notOk(answer.error, `no error: ${answer.error?.message}`);
  t.equal(answer.status, 200, 'sent on a new connection');
  t.equal(sockets.length, 2);
});

t.test('connection: close and bodies delimited by the end of the connection', async (t) => {
  const { server, sockets } = rawServer((socket, text) => {
    if (text.includes('"close"')) socket.end('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 5\r\n\r\nclose');
    else socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end');
  });
  const origin = await listen(t, server);
  const pools = registry(t);
  t.equal((await request(pools, { origin, body: '"close"' }).answer).body, 'close');
  t.equal((await request(pools, { origin }).answer).body, 'until the end');
  t.equal(sockets.length, 2, 'neither connection was reused');
  await until(() => pools.get(origin, 8).connections === 0);
  t.pass('both closed');
});

t.test('timeouts: headers, then body idle; the upstream connection is closed', async (t) => {
  const { server, sockets } = rawServer((socket, text) => {
    if (text.includes('"stall-body"')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc');
  });
  const origin = await listen(t, server);
  const pools = registry(t);
  const headers = await request(pools, { origin, headersTimeout: 150 }).answer;
  t.equal(headers.error?.code, 'UPSTREAM_HEADERS_TIMEOUT');
  t.match(classifyTransportError(headers.error!), { kind: 'timeout', phase: 'headers' });
  const body = await request(pools, { origin, body: '"stall-body"', bodyTimeout: 150 }).answer;
  t.equal(body.status, 200);
  t.equal(body.body, 'abc');
  t.equal(body.error?.code, 'UPSTREAM_BODY_TIMEOUT');
  t.match(classifyTransportError(body.error!), { kind: 'timeout', phase: 'body' });
  await until(() => sockets.every((socket) => socket.destroyed || socket.readableEnded));
  t.pass('the server saw both connections go away');
});

t.test('a stalled TLS handshake is bounded by the headers timeout, not only by the 10 s connect timeout', async (t) => {
  // A TCP server that accepts and never answers: the TLS client hello goes unanswered.
  const { server } = rawServer(() => {});
  const origin = (await listen(t, server)).replace('http:', 'https:');
  const pools = registry(t);
  const started = performance.now();
  const stalled = await request(pools, { origin, headersTimeout: 300 }).answer;
  const took = performance.now() - started;
  t.equal(stalled.error?.code, 'UPSTREAM_CONNECT_TIMEOUT');
  t.match(classifyTransportError(stalled.error!), { kind: 'connect' }, 'a connect failure: the router fails over');
  t.ok(took >= 250 && took < 3_000, `failed after ${Math.round(took)} ms (headers timeout 300 ms)`);
});

t.test('connect refused, closed mid-answer, malformed answer: classified failures', async (t) => {
  const pools = registry(t);
  const probe = createNetServer();
  const closedOrigin = await listen(t, probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const refused = await request(pools, { origin: closedOrigin }).answer;
  t.equal(refused.error?.code, 'ECONNREFUSED');
  t.match(classifyTransportError(refused.error!), { kind: 'connect' });

  const { server } = rawServer((socket, text) => {
    if (text.includes('"garbage"')) socket.write('SSH-2.0-OpenSSH\r\n\r\n');
    else socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial');
  });
  const origin = await listen(t, server);
  const cut = await request(pools, { origin }).answer;
  t.equal(cut.body, 'partial');
  t.equal(cut.error?.code, 'UPSTREAM_CLOSED');
  t.match(classifyTransportError(cut.error!), { kind: 'reset' });
  const garbage = await request(pools, { origin, body: '"garbage"' }).answer;
  t.equal(garbage.error?.code, 'UPSTREAM_BAD_RESPONSE');
});

t.test("a reused connection closed as the next request went out (the upstream's idle timeout): UPSTREAM_STALE, not the upstream's failure", async (t) => {
  // The first request is answered with keep-alive; the second, on the same connection, is met by
  // a close without a byte (reset in one round, FIN in the other), as when an idle timeout fires.
  for (const ending of ['end', 'reset'] as const) {
    let served = 0;
    const { server } = rawServer((socket) => {
      served += 1;
      if (served === 1) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      else if (ending === 'end') socket.end();
      else socket.resetAndDestroy();
    });
    const origin = await listen(t, server);
    const pools = registry(t);
    t.equal((await request(pools, { origin }).answer).body, 'ok');
    const second = await request(pools, { origin }).answer;
    t.equal(second.error?.code, 'UPSTREAM_STALE', `${ending}: ${second.error?.message}`);
    t.match(classifyTransportError(second.error!), { kind: 'reset', local: true }, `${ending}: retried, not held against the target`);
  }
  // A fresh connection closed without an answer is the upstream's doing.
  const { server } = rawServer((socket) => socket.end());
  const fresh = await request(registry(t), { origin: await listen(t, server) }).answer;
  t.equal(fresh.error?.code, 'UPSTREAM_CLOSED');
});

t.test('a slow caller (paused reads) does not trip the body timeout', async (t) => {
  const { server } = rawServer((socket) => {
    socket.write('HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nabc');
    setTimeout(() => socket.write('def'), 50);
  });
  const origin = await listen(t, server);
  const pools = registry(t);
  let paused: HttpCall | null = null;
  const { answer } = request(pools, {
    origin,
    bodyTimeout: 150,
    onData: (_chunk, call) => {
      if (paused !== null) return true;
      paused = call;
      return false;
    },
  });
  await until(() => paused !== null);
  await new Promise((resolve) => setTimeout(resolve, 400));
  paused!.resume();
  const done = await answer;
  t.notOk(done.error, `paused 400 ms with a 150 ms body timeout: ${done.error?.message}`);
  t.equal(done.body, 'abcdef');
});

t.test('a header value with CR or LF fails the call before anything is sent', async (t) => {
  const { server, sockets } = rawServer(() => {});
  const origin = await listen(t, server);
  const pools = registry(t);
  const answer = await request(pools, { origin, headers: ['x-api-key', 'sk-1\r\nx-injected: 1'] }).answer;
  t.equal(answer.error?.code, 'UPSTREAM_BAD_HEADER');
  t.notMatch(answer.error?.message ?? '', /sk-1/, 'the value (maybe a key) is not in the message');
  t.equal(sockets.length, 0, 'no connection was opened');
});

t.test('queued for a connection: the headers timeout runs from dispatch, and a call that gets none in time fails over', async (t) => {
  const seen: string[] = [];
  const { server } = rawServer((socket, text) => {
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    seen.push(body);
    // "hang": never answered; "slow": answered after 600 ms; anything else: never answered either.
    if (body === '"slow"') setTimeout(() => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'), 600);
  });
  const origin = await listen(t, server);
  const pools = registry(t);

  const hung = request(pools, { origin, connections: 1, body: '"hang"', headersTimeout: 60_000 });
  const queued = request(pools, { origin, connections: 1, body: '"queued"', headersTimeout: 200 });
  const failed = await queued.answer;
  t.equal(failed.error?.code, 'UPSTREAM_POOL_TIMEOUT', 'no connection came free in time');
  t.match(failed.error?.message, /no connection to 127\.0\.0\.1:\d+ came free within 200 ms \(all 1 busy\)/);
  t.match(classifyTransportError(failed.error!), { kind: 'timeout', phase: 'headers', local: true }, 'a headers timeout (the router fails over) of the gateway\'s own making (no breaker counts it)');
  t.same(seen, ['"hang"'], 'the queued call was never sent');
  hung.call.abort();
  await until(() => pools.get(origin, 1).connections === 0);

  // Queued ~600 ms of a 1,000 ms timeout, then sent to a server that stalls: it fails ~1 s after
  // its dispatch, not 1 s after it got the connection.
  const slow = request(pools, { origin, connections: 1, body: '"slow"', headersTimeout: 60_000 });
  const started = performance.now();
  const late = request(pools, { origin, connections: 1, body: '"late"', headersTimeout: 1_000 });
  t.equal((await slow.answer).body, 'ok');
  const answer = await late.answer;
  const elapsed = performance.now() - started;
  t.equal(answer.error?.code, 'UPSTREAM_HEADERS_TIMEOUT');
  t.same(seen.slice(1), ['"slow"', '"late"'], 'sent once the connection was free');
  t.ok(elapsed < 1_450, `failed ${Math.round(elapsed)} ms after its dispatch (the whole timeout again after the wait would be ~1,600)`);
});

t.test('abort: mid-answer the upstream sees the connection close; queued, nothing is sent', async (t) => {
  let requests = 0;
  const { server, sockets } = rawServer((socket) => {
    requests++;
    socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n');
  });
  const origin = await listen(t, server);
  const pools = registry(t);
  let after = 0;
  const streaming = request(pools, {
    origin,
    connections: 1,
    onData: (_chunk, call) => {
      after++;
      call.abort();
      return true;
    },
  });
  const queued = request(pools, { origin, connections: 1 });
  queued.call.abort();
  await until(() => sockets.length === 1 && sockets[0]!.readableEnded);
  t.equal(after, 1, 'nothing after the abort reached the sink');
  t.equal(requests, 1, 'the queued call was never sent');
  const settled = await Promise.race([streaming.answer.then(() => 'settled'), new Promise((resolve) => setTimeout(() => resolve('silent'), 100))]);
  t.equal(settled, 'silent', 'an aborted call hears nothing more');
  await until(() => pools.get(origin, 1).connections === 0);
});

t.test('backpressure: a sink that returns false stops the reads until resume()', async (t) => {
  const total = 32 * 1024 * 1024;
  let serverBlocked = false;
  const { server } = rawServer((socket) => {
    socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${total}\r\n\r\n`);
    const piece = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        sent += piece.length;
        if (!socket.write(piece)) {
          serverBlocked = true;
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  const origin = await listen(t, server);
  const pools = registry(t);
  let received = 0;
  let paused: HttpCall | null = null;
  const { answer } = request(pools, {
    origin,
    onData: (chunk, call) => {
      received += chunk.length;
      if (received > 1024 * 1024 || paused !== null) return true;
      paused = call;
      return false;
    },
  });
  await until(() => paused !== null && serverBlocked);
  const held = received;
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(received, held, 'no reads while paused');
  t.ok(received < total / 2, `the server is blocked with most of the body unsent (${received} bytes read)`);
  paused!.resume();
  const done = await answer;
  t.notOk(done.error);
  t.equal(done.body.length, total, 'every byte after resume');
});

/**
 * One call in a child process that trusts `cert` (the CA store is read at startup: NODE_EXTRA_CA_CERTS);
 * `host`: a host header, also the TLS server name. Not spawnSync: this process's server must keep answering.
 */
async function requestTrusting(t: Test, cert: string, origin: string, host?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const client = fileURLToPath(new URL('./fixtures/h1-request.ts', import.meta.url));
  const args = host === undefined ? [client, origin] : [client, origin, host];
  const child = spawn(process.execPath, [...process.execArgv.filter((arg) => arg.includes('tsx')), ...args], { env: { ...process.env, NODE_EXTRA_CA_CERTS: cert } });
  t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout, stderr };
}

t.test('https: TLS with SNI to a trusted certificate; an untrusted one is a connect failure', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatewayd-h1-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { encoding: 'utf8' });
  t.equal(made.status, 0, made.status === 0 ? 'openssl made a certificate' : made.stderr);
  let servername: string | undefined;
  const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    servername = (req.socket as unknown as { servername?: string }).servername;
    res.end('{"tls":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const origin = `https://localhost:${(server.address() as AddressInfo).port}`;

  const untrusted = await request(registry(t), { origin }).answer;
  t.match(classifyTransportError(untrusted.error!), { kind: 'connect' }, `untrusted: ${untrusted.error?.message}`);

  const { code, stdout, stderr } = await requestTrusting(t, join(dir, 'cert.pem'), origin);
  t.equal(code, 0, stderr);
  t.same(JSON.parse(stdout), { status: 200, body: '{"tls":true}' });
  t.equal(servername, 'localhost', 'SNI sent');
});

t.test('https to a fixed address with a configured host header: TLS names that host (SNI) and checks the certificate against it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatewayd-h1-vhost-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=api.internal', '-addext', 'subjectAltName=DNS:api.internal'], { encoding: 'utf8' });
  t.equal(made.status, 0, made.status === 0 ? 'openssl made a certificate' : made.stderr);
  const seen: Array<{ servername: string | undefined; host: string | undefined }> = [];
  const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    seen.push({ servername: (req.socket as unknown as { servername?: string }).servername, host: req.headers.host });
    res.end('{"vhost":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const named = await requestTrusting(t, join(dir, 'cert.pem'), origin, 'api.internal');
  t.equal(named.code, 0, named.stderr);
  t.same(JSON.parse(named.stdout || 'null'), { status: 200, body: '{"vhost":true}' });
  t.same(seen, [{ servername: 'api.internal', host: 'api.internal' }], 'SNI and Host name the virtual host');
  const bare = await requestTrusting(t, join(dir, 'cert.pem'), origin);
  t.equal(bare.code, 1, 'without the name, the certificate is not for the address');
  t.match(bare.stderr, /api\.internal|altname|IP/i);
});

