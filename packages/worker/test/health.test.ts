import t from 'tap';
import { Agent } from 'node:http';
import { forkWorker, freePort, send, testConfig, until } from './helpers.js';

t.test('ready handshake, health endpoints, request ids, 404/405, access log', async (t) => {
  const port = await freePort();
  const w = await forkWorker(t, { config: testConfig(port, { level: 'debug' }) });
  t.same(w.first, { type: 'ready', pid: w.child.pid, engine: 'native', host: '127.0.0.1', port }, 'ready reports pid, native engine and address');

  for (const path of ['/health', '/health/live', '/live', '/health/ready', '/ready']) {
    const r = await send(port, { path });
    t.equal(r.status, 200, `${path} answers 200`);
    t.match(r.headers['content-type'], /application\/json/, `${path} is JSON`);
    t.match(r.json(), { status: /^(ok|ready)$/ }, `${path} body`);
    t.match(r.headers['x-request-id'], /^[0-9a-z]{11,}$/, `${path} carries a generated x-request-id`);
  }

  const a = await send(port, { path: '/health' });
  const b = await send(port, { path: '/health' });
  t.not(a.headers['x-request-id'], b.headers['x-request-id'], 'generated ids differ');

  const echoed = await send(port, { path: '/health', headers: { 'x-request-id': 'trace-abc.123:x' } });
  t.equal(echoed.headers['x-request-id'], 'trace-abc.123:x', 'a sane incoming x-request-id is echoed');

  const insane = await send(port, { path: '/health', headers: { 'x-request-id': 'has spaces "and" quotes' } });
  t.not(insane.headers['x-request-id'], 'has spaces "and" quotes', 'an unsafe incoming id is replaced');
  t.match(insane.headers['x-request-id'], /^[0-9a-z]+$/);
  const long = await send(port, { path: '/health', headers: { 'x-request-id': 'x'.repeat(500) } });
  t.not(long.headers['x-request-id'], 'x'.repeat(500), 'an over-long incoming id is replaced');

  const missing = await send(port, { path: '/nope?x=1', headers: { 'x-request-id': 'nf-1' } });
  t.equal(missing.status, 404);
  t.equal(missing.headers['x-request-id'], 'nf-1', 'errors carry x-request-id too');
  t.same(missing.json(), { error: { message: 'no route for GET /nope', type: 'invalid_request_error', param: null, code: 'GW_ERR_NOT_FOUND' } }, 'OpenAI-shaped 404');

  const wrongMethod = await send(port, { method: 'GET', path: '/v1/chat/completions' });
  t.equal(wrongMethod.status, 405);
  t.match(wrongMethod.json(), { error: { code: 'GW_ERR_METHOD_NOT_ALLOWED', type: 'invalid_request_error' } });

  // HEAD answers carry no body, so a keep-alive connection stays in sync for the next request.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const head = await send(port, { method: 'HEAD', path: '/health/ready', agent });
  t.equal(head.status, 200, 'HEAD /health/ready');
  t.equal(head.body, '');
  const headMissing = await send(port, { method: 'HEAD', path: '/missing', agent });
  t.equal(headMissing.status, 404, 'HEAD on an unknown path: 404');
  const after = await send(port, { path: '/health', agent });
  t.same([after.status, after.json()], [200, { status: 'ok' }], 'the next request on the same connection parses');

  await until('the access line of the echoed request', () => w.stdout().includes('"reqId":"nf-1"'));
  const line = w
    .stdout()
    .split('\n')
    .find((l) => l.includes('"reqId":"nf-1"'));
  t.match(JSON.parse(line ?? '{}'), { level: 20, worker: 7, generation: 3, pid: w.child.pid, reqId: 'nf-1', method: 'GET', path: '/nope', status: 404, durationMs: Number, msg: 'request' }, 'one debug access line per request');
});

t.test('an access line is not written at level info', async (t) => {
  const port = await freePort();
  const w = await forkWorker(t, { config: testConfig(port, { level: 'info' }) });
  await send(port, { path: '/health', headers: { 'x-request-id': 'quiet-1' } });
  // Drain and wait for the exit, so every line the worker would write is in.
  w.child.send({ type: 'drain', timeoutMs: 100 });
  t.same(await w.exited, { code: 0, signal: null });
  t.match(w.stdout(), /"msg":"worker listening"/, 'startup line logged at info');
  t.match(w.stdout(), /"msg":"drain complete, exiting"/, 'the output is complete');
  t.notMatch(w.stdout(), /quiet-1/, 'no access line at info');
});
