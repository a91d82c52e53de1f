/** Rolling reload that succeeds: CLI `reload` and SIGHUP, with a stream in flight. */
import t from 'tap';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { httpRequest, isProcessAlive, makeSandbox, runCli, startForeground, statusOf, streamChat, waitFor } from './helpers/gatewayd.js';

t.test('reload starts a new generation with new worker pids; the old workers exit', async (t) => {
  const sb = await makeSandbox(t);
  await startForeground(t, sb);
  const before = await statusOf(sb);
  const oldPids = before.workers.map((w) => w.pid);

  const result = await runCli(['reload', '--pid-file', sb.pidFile]);
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, 'generation 2 serving');
  // reload is synchronous: the new generation serves as soon as it returns.
  t.equal((await httpRequest(sb.port, '/health')).status, 200);

  const after = await statusOf(sb);
  t.equal(after.generation, 2);
  t.equal(after.lastReload?.result, 'success');
  const serving = after.workers.filter((w) => w.generation === 2);
  t.equal(serving.length, 2, 'two workers of generation 2');
  t.ok(serving.every((w) => w.state === 'ready'));
  t.ok(serving.every((w) => !oldPids.includes(w.pid)), 'all new pids');
  await waitFor(() => oldPids.every((pid) => !isProcessAlive(pid)), 10_000, 'old workers to drain and exit');
  const settled = await statusOf(sb);
  t.same(settled.workers.map((w) => w.pid).sort(), serving.map((w) => w.pid).sort(), 'only the new generation is left');
});

t.test('SIGHUP reloads, and a stream in flight finishes across the reload', async (t) => {
  const sb = await makeSandbox(t, { drainTimeout: '10s' });
  const gw = await startForeground(t, sb);
  const before = await statusOf(sb);
  const stream = streamChat(sb.port, 10, 100, () => gw.child.kill('SIGHUP'));
  await waitFor(async () => (await statusOf(sb)).generation === 2, 15_000, 'generation 2');
  const result = await stream;
  t.equal(result.status, 200);
  t.equal(result.contentChunks, 10, 'every chunk arrived');
  t.ok(result.done, 'the stream ended with [DONE]');
  t.notOk(result.error);
  const after = await statusOf(sb);
  t.ok(after.workers.filter((w) => w.generation === 2).every((w) => !before.workers.some((o) => o.pid === w.pid)));
});

t.test('a reload that changes only server.host on the same port succeeds (our own workers hold the port)', async (t) => {
  const sb = await makeSandbox(t);
  await startForeground(t, sb);
  writeFileSync(sb.configFile, readFileSync(sb.configFile, 'utf8').replace(/server: \{ host: 127\.0\.0\.1,/, 'server: { host: 0.0.0.0,'));
  t.match(readFileSync(sb.configFile, 'utf8'), 'host: 0.0.0.0', 'the host changed');
  const result = await runCli(['reload', '--pid-file', sb.pidFile]);
  t.equal(result.code, 0, result.stderr);
  const after = await statusOf(sb);
  t.equal(after.generation, 2);
  t.equal((await httpRequest(sb.port, '/health')).status, 200);
});

t.test('readiness stays 200 on a kept-alive connection to a worker a reload replaces (with Connection: close)', async (t) => {
  const sb = await makeSandbox(t);
  await startForeground(t, sb);
  const socket = connect(sb.port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  let received = '';
  socket.setEncoding('latin1').on('data', (d: string) => (received += d));
  const probe = async (): Promise<string> => {
    const from = received.length;
    socket.write(`GET /health/ready HTTP/1.1\r\nHost: 127.0.0.1:${sb.port}\r\n\r\n`);
    await waitFor(() => /\r\n\r\n\{[^}]*\}/.test(received.slice(from)), 5_000, 'the readiness answer');
    return received.slice(from);
  };
  t.match(await probe(), /^HTTP\/1\.1 200 /);
  const result = await runCli(['reload', '--pid-file', sb.pidFile]);
  t.equal(result.code, 0, result.stderr);
  const during = await probe();
  t.match(during, /^HTTP\/1\.1 200 /, 'the gateway is ready: a new generation serves');
  t.match(during, /\r\nconnection: close\r\n/i, 'and the probe is told to reconnect (to a new worker)');
});
