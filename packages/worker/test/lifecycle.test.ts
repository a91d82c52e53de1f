import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forkWorker, freePort, send, testConfig, until } from './helpers.js';

t.test('UWS_USE_FALLBACK=1 yields engine fallback, with a warning, and still serves', async (t) => {
  const port = await freePort();
  const w = await forkWorker(t, { config: testConfig(port), env: { UWS_USE_FALLBACK: '1' } });
  t.match(w.first, { type: 'ready', engine: 'fallback', port });
  await until('the fallback warning', () => /"level":40.*fallback engine/.test(w.stdout()));
  const r = await send(port, { path: '/health?probe=1', headers: { 'x-request-id': 'fb-1' } });
  t.equal(r.status, 200);
  t.equal(r.headers['x-request-id'], 'fb-1');
});

t.test('listen failure: start-failed with the reason, exit 1', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0, exclusive: true }, resolve));
  t.teardown(() => blocker.close());
  const address = blocker.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const w = await forkWorker(t, { config: testConfig(port) });
  t.match(w.first, { type: 'start-failed', code: 'EADDRINUSE', reason: new RegExp(`127\\.0\\.0\\.1:${port}.*already in use`) });
  t.same(await w.exited, { code: 1, signal: null });
});

t.test('the worker exits when its IPC channel is disconnected', async (t) => {
  const port = await freePort();
  const w = await forkWorker(t, { config: testConfig(port) });
  t.equal((await send(port, { path: '/health' })).status, 200);
  w.child.disconnect();
  t.same(await w.exited, { code: 0, signal: null }, 'exited on its own');
});

t.test('SIGINT is ignored (the supervisor handles Ctrl-C); SIGTERM drains and exits 0', async (t) => {
  const port = await freePort();
  const w = await forkWorker(t, { config: testConfig(port, { drainTimeout: '2s' }) });
  w.child.kill('SIGINT');
  // Observe it after the signal was delivered: a stats round trip is handled after it.
  w.child.send({ type: 'stats-request', id: 1 });
  await w.nextMessage((m) => m.type === 'stats' && m.id === 1);
  t.equal(w.child.exitCode, null, 'still running after SIGINT');
  t.equal((await send(port, { path: '/health' })).status, 200, 'still serving after SIGINT');
  w.child.kill('SIGTERM');
  t.same(await w.exited, { code: 0, signal: null }, 'SIGTERM: drained, exit 0');
  t.match(w.stdout(), /"reason":"SIGTERM".*"msg":"draining"/);
});

t.test('a worker started without IPC refuses to run', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { WORKER_MAIN } = await import('./helpers.js');
  const r = spawnSync(process.execPath, [WORKER_MAIN], { encoding: 'utf8', timeout: 10_000 });
  t.equal(r.status, 1);
  t.match(r.stderr, /started by the gatewayd supervisor/);
});

t.test('daemon log file: JSON lines with base fields, reopened on reopen-logs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatewayd-worker-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const logFile = join(dir, 'logs', 'worker.log');
  const port = await freePort();
  const w = await forkWorker(t, { config: testConfig(port, { level: 'debug' }), logFile });
  await send(port, { path: '/health', headers: { 'x-request-id': 'file-1' } });
  await until('the access line in the log file', () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('file-1'));
  const first = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.match(first[0], { worker: 7, generation: 3, pid: w.child.pid, msg: 'worker listening' }, 'base fields on every line');
  t.equal(w.stdout().includes('worker listening'), false, 'nothing goes to stdout in daemon mode');

  renameSync(logFile, `${logFile}.1`);
  w.child.send({ type: 'reopen-logs' });
  await until('a new log file after reopen-logs', () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('log file reopened'));
  await send(port, { path: '/health', headers: { 'x-request-id': 'file-2' } });
  await until('new lines go to the new file', () => readFileSync(logFile, 'utf8').includes('file-2'));
  t.notOk(readFileSync(`${logFile}.1`, 'utf8').includes('file-2'), 'the rotated file gets nothing more');
});
