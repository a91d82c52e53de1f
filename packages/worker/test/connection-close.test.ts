import t from 'tap';
import { connect } from 'node:net';
import { forkWorker, freePort, testConfig } from './helpers.js';

/** Sends one raw HTTP/1.1 request and collects everything until the server closes the socket. */
function rawExchange(port: number, request: string): Promise<{ text: string; fin: boolean; error: string | null }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let fin = false;
    let error: string | null = null;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('end', () => (fin = true));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => resolve({ text, fin, error }));
    socket.write(request);
  });
}

t.test('a client that sends Connection: close is told so, then gets a clean FIN', async (t) => {
  const port = await freePort();
  await forkWorker(t, { config: testConfig(port) });
  const body = JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] });
  const streamBody = JSON.stringify({ model: 'demo', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const cases = [
    { name: 'health', request: 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' },
    { name: 'chat', request: `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}` },
    { name: 'error', request: 'GET /nope HTTP/1.1\r\nHost: x\r\nconnection: Keep-Alive, Close\r\n\r\n' },
    { name: 'stream', request: `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(streamBody)}\r\n\r\n${streamBody}` },
  ];
  for (const c of cases) {
    const started = performance.now();
    const answer = await rawExchange(port, c.request);
    // uWS closes a connection idle for 10 s by itself: a FIN after that says nothing.
    t.ok(performance.now() - started < 5_000, `${c.name}: closed right after the answer, not by the idle timeout`);
    const head = answer.text.split('\r\n\r\n')[0] ?? '';
    t.match(head, /^HTTP\/1\.1 \d{3} /, `${c.name}: an answer`);
    t.equal(head.match(/^connection: close$/gim)?.length, 1, `${c.name}: exactly one Connection: close header`);
    t.ok(answer.fin, `${c.name}: the server closed with FIN`);
    t.equal(answer.error, null, `${c.name}: no reset`);
  }
  const keepAlive = await rawExchange(port, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.ok(keepAlive.fin);
});

t.test('a transfer coding other than chunked is refused with a 400 and the connection closed; chunked is served', async (t) => {
  const port = await freePort();
  await forkWorker(t, { config: testConfig(port) });
  const body = JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] });
  const chunk = `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  for (const coding of ['gzip, chunked', 'chunked, identity', 'identity', 'chunked\r\nTransfer-Encoding: gzip']) {
    const answer = await rawExchange(port, `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${coding}\r\n\r\n${chunk}`);
    t.match(answer.text, /^HTTP\/1\.1 400 /, `${coding}: 400`);
    t.match(answer.text, /^connection: close$/im);
    t.match(answer.text, /"code":"GW_ERR_BAD_REQUEST"/);
    t.match(answer.text, `Transfer-Encoding \\"${coding.replace('\r\nTransfer-Encoding: ', ', ')}\\" is not supported`, 'two field lines are one list');
    t.ok(answer.fin, `${coding}: closed`);
  }
  // An empty first line hid the second from getHeader (the request was taken as bodiless).
  const hidden = await rawExchange(port, `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \r\nTransfer-Encoding: gzip\r\n\r\n`);
  t.match(hidden.text, /^HTTP\/1\.1 400 /, 'an empty first line does not hide the second');
  t.match(hidden.text, 'Transfer-Encoding \\", gzip\\" is not supported');
  t.ok(hidden.fin, 'closed');
  const served = await rawExchange(port, `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n${chunk}`);
  t.match(served.text, /^HTTP\/1\.1 200 /, 'chunked (in any case) is served');
});

t.test('the fallback engine serves chunked bodies and refuses other transfer codings', async (t) => {
  const port = await freePort();
  const worker = await forkWorker(t, { config: testConfig(port), env: { UWS_USE_FALLBACK: '1' } });
  t.match(worker.first, { type: 'ready', engine: 'fallback' });
  const body = JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] });
  const chunk = `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  const served = await rawExchange(port, `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk}`);
  t.match(served.text, /^HTTP\/1\.1 200 /, 'chunked is served');
  const refused = await rawExchange(port, `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${chunk}`);
  t.match(refused.text, /^HTTP\/1\.1 400 /, 'gzip, chunked is refused');
});
