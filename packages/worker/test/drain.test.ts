import t from 'tap';
import { Agent } from 'node:http';
import { chat, forkWorker, freePort, isConnectionRefused, openStream, send, sseData, testConfig, until, workerStats } from './helpers.js';

const messages = [{ role: 'user', content: 'drain me' }];

t.test('graceful drain: no new connections, keep-alive told to close, in-flight streams finish, exit 0', async (t) => {
  const port = await freePort();
  const w = await forkWorker(t, { config: testConfig(port) });
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  t.teardown(() => agent.destroy());

  // Two idle keep-alive connections, opened before the drain.
  const primed = await Promise.all([0, 1].map(() => chat(port, { model: 'demo', messages }, { 'x-mock-latency-ms': '100' }, agent)));
  t.same(primed.map((r) => r.status), [200, 200]);
  t.equal(Object.values(agent.freeSockets).flat().length, 2, 'two keep-alive connections are open');

  const stream = openStream(port, { model: 'demo', messages, stream: true }, { 'x-mock-chunks': '20', 'x-mock-chunk-delay-ms': '100' });
  await stream.firstBytes;

  w.child.send({ type: 'drain', timeoutMs: 30_000 });
  await until('new connections are refused', () => isConnectionRefused(port));
  t.match(await workerStats(w), { draining: true, inFlight: 1, activeStreams: 1 });

  const ready = await send(port, { path: '/health/ready', agent });
  t.equal(ready.status, 503, 'readiness fails while draining (answered on a kept-alive connection)');
  t.equal(ready.headers.connection, 'close', 'a keep-alive request after drain gets Connection: close');

  const late = await chat(port, { model: 'demo', messages, stream: true }, {}, agent);
  t.equal(late.status, 200, 'a stream requested on the other kept-alive connection is served');
  t.equal(late.headers.connection, 'close', 'and its headers announce Connection: close');
  t.equal(sseData(late.body).at(-1), '[DONE]');

  const body = await stream.done;
  const data = sseData(body);
  t.equal(data.at(-1), '[DONE]', 'the in-flight stream completed');
  t.equal(data.length, 1 + 20 + 1 + 1, 'with every chunk');
  t.equal(w.child.exitCode, null, 'the worker waited for it');

  t.same(await w.exited, { code: 0, signal: null }, 'exit 0 once idle');
  t.match(w.stdout(), /"how":"drained"/);
  t.equal(w.stderr(), '', 'no uWS warnings');
});

t.test('drain deadline: a longer stream gets the shutting-down error event, a pending request a 503, exit 0', async (t) => {
  const port = await freePort();
  const w = await forkWorker(t, { config: testConfig(port) });
  const stream = openStream(port, { model: 'demo', messages, stream: true }, { 'x-mock-chunks': '1000', 'x-mock-chunk-delay-ms': '50' });
  await stream.firstBytes;
  const pending = chat(port, { model: 'demo', messages }, { 'x-mock-latency-ms': '60000' });
  await until('both requests in flight', async () => (await workerStats(w)).inFlight === 2);

  w.child.send({ type: 'drain', timeoutMs: 800 });

  const data = sseData(await stream.done);
  t.notOk(data.includes('[DONE]'), 'the stream did not complete');
  t.ok(data.length > 2 && data.length < 1000, 'it was cut part way');
  t.match(JSON.parse(data.at(-1) ?? '{}'), { error: { message: String, type: 'server_error', code: 'GW_ERR_SHUTTING_DOWN' } }, 'final OpenAI-shaped error event');

  const answer = await pending;
  t.equal(answer.status, 503);
  t.match(answer.json(), { error: { code: 'GW_ERR_SHUTTING_DOWN' } });

  t.same(await w.exited, { code: 0, signal: null }, 'exit 0 at the deadline');
  t.match(w.stdout(), /"how":"deadline"/);
  t.equal(w.stderr(), '', 'no uWS warnings');
});

t.test('an idle worker that served nothing exits at once on drain', async (t) => {
  const port = await freePort();
  const w = await forkWorker(t, { config: testConfig(port) });
  w.child.send({ type: 'drain', timeoutMs: 60_000 });
  t.same(await w.exited, { code: 0, signal: null });
  t.match(w.stdout(), /"how":"drained"/, 'drained, not cut at the 60 s deadline');
});
