/** Foreground start and the ways it stops: SIGTERM, SIGQUIT, `stop` (with --timeout/--force). */
import { existsSync } from 'node:fs';
import t from 'tap';
import { httpRequest, isProcessAlive, makeSandbox, readPidOf, runCli, startForeground, statusOf, waitFor } from './helpers/gatewayd.js';

t.test('foreground start serves /health and exits cleanly on SIGTERM', async (t) => {
  const sb = await makeSandbox(t);
  const gw = await startForeground(t, sb);
  t.equal(readPidOf(sb.pidFile), gw.pid, 'the PID file holds the supervisor pid');
  t.ok(existsSync(sb.socketPath), 'the control socket sits beside the PID file');

  const health = await httpRequest(sb.port, '/health');
  t.equal(health.status, 200);
  t.ok(health.headers['x-request-id'], 'x-request-id on the response');

  const { workers } = await statusOf(sb);
  t.equal(workers.length, 2);
  gw.child.kill('SIGTERM');
  const exit = await gw.exited;
  t.equal(exit.code, 0, 'exit code 0 after a graceful stop');
  t.notOk(existsSync(sb.pidFile), 'PID file removed');
  t.notOk(existsSync(`${sb.pidFile}.lock`), 'PID file lock released');
  t.notOk(existsSync(sb.socketPath), 'control socket removed');
  await waitFor(() => workers.every((w) => !isProcessAlive(w.pid)), 5_000, 'workers to exit');
  t.match(gw.output(), /"msg":"gatewayd stopped"/);
});

t.test('--workers and --port override the config', async (t) => {
  const sb = await makeSandbox(t);
  const other = await makeSandbox(t); // only for a second free port
  const gw = await startForeground(t, sb, ['--workers', '1', '--port', String(other.port)]);
  const status = await statusOf(sb);
  t.equal(status.workers.length, 1);
  t.equal(status.listen.data, `127.0.0.1:${other.port}`);
  t.equal((await httpRequest(other.port, '/health')).status, 200);
  gw.child.kill('SIGTERM');
  t.equal((await gw.exited).code, 0);
});

t.test('SIGQUIT is a fast exit: workers killed, PID file and socket removed, exit 0', async (t) => {
  const sb = await makeSandbox(t, { drainTimeout: '30s' });
  const gw = await startForeground(t, sb);
  const { workers } = await statusOf(sb);
  gw.child.kill('SIGQUIT');
  t.equal((await gw.exited).code, 0);
  await waitFor(() => workers.every((w) => !isProcessAlive(w.pid)), 5_000, 'workers to exit');
  t.notOk(existsSync(sb.pidFile));
  t.notOk(existsSync(sb.socketPath));
  t.match(gw.output(), /"mode":"fast"/);
});

t.test('stop waits for the drain; a supervisor that does not stop in time is reported, then --force kills it', async (t) => {
  const sb = await makeSandbox(t);
  const gw = await startForeground(t, sb);
  const { workers } = await statusOf(sb);
  // A frozen supervisor cannot act on SIGTERM.
  process.kill(gw.pid, 'SIGSTOP');
  t.teardown(() => {
    if (isProcessAlive(gw.pid)) process.kill(gw.pid, 'SIGCONT');
  });
  const soft = await runCli(['stop', '--pid-file', sb.pidFile, '--timeout', '1']);
  t.equal(soft.code, 1);
  t.match(soft.stderr, `gatewayd (pid ${gw.pid}) did not stop within 1s; use stop --force to kill it`);
  t.ok(isProcessAlive(gw.pid), 'still there');

  const forced = await runCli(['stop', '--pid-file', sb.pidFile, '--timeout', '1', '--force']);
  t.equal(forced.code, 0, forced.stderr);
  t.match(forced.stdout, 'killed it');
  t.notOk(isProcessAlive(gw.pid));
  t.notOk(existsSync(sb.pidFile), 'stop --force removes what the killed supervisor left');
  t.notOk(existsSync(sb.socketPath));
  await waitFor(() => workers.every((w) => !isProcessAlive(w.pid)), 5_000, 'workers to exit');
});

t.test('stop drains a foreground supervisor and waits until it is gone', async (t) => {
  const sb = await makeSandbox(t);
  const gw = await startForeground(t, sb);
  const stopped = await runCli(['stop', '--pid-file', sb.pidFile]);
  t.equal(stopped.code, 0, stopped.stderr);
  t.match(stopped.stdout, `gatewayd stopped (pid ${gw.pid})`);
  t.notOk(isProcessAlive(gw.pid), 'gone when stop returns');
  t.equal((await gw.exited).code, 0);
  t.notOk(existsSync(sb.pidFile));
  t.equal(readPidOf(sb.pidFile), undefined);
});

t.test('--port 0 with two workers: one free port, picked before the fork, shared by every worker, its replacements and a reload', async (t) => {
  const sb = await makeSandbox(t, { workers: 2 });
  const gw = await startForeground(t, sb, ['--port', '0']);
  const status = await statusOf(sb);
  const port = Number(/:(\d+)$/.exec(status.listen.data)![1]);
  t.not(port, 0);
  const listening = () => [...gw.output().matchAll(/"port":(\d+),[^\n]*"msg":"worker listening"/g)].map((m) => Number(m[1]));
  t.same(listening(), [port, port], 'both workers listen on the port status shows');
  t.equal((await httpRequest(port, '/health')).status, 200);
  // A replaced worker and a reloaded generation bind the same port, not a new random one.
  process.kill(status.workers[0]!.pid, 'SIGKILL');
  await waitFor(() => listening().length === 3, 15_000, 'the replacement worker');
  t.equal((await runCli(['reload', '--pid-file', sb.pidFile])).code, 0);
  t.same(listening(), [port, port, port, port, port], 'every worker ever started listened on it');
  t.equal((await statusOf(sb)).listen.data, `127.0.0.1:${port}`);
  gw.child.kill('SIGTERM');
  t.equal((await gw.exited).code, 0);
});
