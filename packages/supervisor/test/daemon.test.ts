/** `start --daemon`: detached supervisor, logs in the log dir, stop, restart, SIGUSR1 log reopening. */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { httpRequest, isProcessAlive, makeSandbox, readPidOf, runCli, statusOf, waitFor } from './helpers/gatewayd.js';

t.test('daemon: start returns once workers serve, logs land in the log dir, stop stops it', async (t) => {
  const sb = await makeSandbox(t);
  const started = await runCli(['start', '--daemon', '--config', sb.configFile, '--pid-file', sb.pidFile, '--log-dir', sb.logDir], { cwd: sb.dir });
  t.equal(started.code, 0, started.stderr);
  const pid = readPidOf(sb.pidFile);
  t.ok(pid, 'PID file written');
  sb.pids.add(pid!);
  t.match(started.stdout, `gatewayd started (pid ${pid})`);
  // No waiting: start returned, so every worker serves now.
  t.equal((await httpRequest(sb.port, '/health')).status, 200);
  const status = await statusOf(sb);
  t.equal(status.pid, pid);
  t.ok(status.workers.every((w) => w.state === 'ready'));

  const out = readFileSync(join(sb.logDir, 'gatewayd.out.log'), 'utf8');
  t.match(out, /"msg":"gatewayd ready"/, 'supervisor logs in gatewayd.out.log');
  t.match(out, /"msg":"worker listening"/, 'worker logs in gatewayd.out.log');
  t.ok(existsSync(join(sb.logDir, 'gatewayd.err.log')), 'gatewayd.err.log created');

  const stopped = await runCli(['stop', '--pid-file', sb.pidFile]);
  t.equal(stopped.code, 0, stopped.stderr);
  t.match(stopped.stdout, `gatewayd stopped (pid ${pid})`);
  t.notOk(isProcessAlive(pid!), 'supervisor gone');
  t.notOk(existsSync(sb.pidFile), 'PID file removed');
  await waitFor(() => status.workers.every((w) => !isProcessAlive(w.pid)), 5_000, 'workers to exit');
  const again = await runCli(['stop', '--pid-file', sb.pidFile]);
  t.equal(again.code, 0, 'stop when not running is 0');
});

t.test('daemon: start exits 1 with the reason when it cannot start', async (t) => {
  const sb = await makeSandbox(t);
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(sb.port, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const result = await runCli(['start', '--daemon', '--config', sb.configFile, '--pid-file', sb.pidFile, '--log-dir', sb.logDir]);
  t.equal(result.code, 1);
  t.match(result.stderr, `port 127.0.0.1:${sb.port} is already in use`);
  t.notOk(existsSync(sb.pidFile));
});

t.test('daemon: restart stops it and starts a new one with the same options; SIGUSR1 reopens the logs', async (t) => {
  const sb = await makeSandbox(t);
  const args = ['--config', sb.configFile, '--pid-file', sb.pidFile, '--log-dir', sb.logDir];
  const started = await runCli(['start', '--daemon', ...args]);
  t.equal(started.code, 0, started.stderr);
  const first = readPidOf(sb.pidFile)!;
  sb.pids.add(first);

  const restarted = await runCli(['restart', '--daemon', ...args]);
  t.equal(restarted.code, 0, restarted.stderr);
  t.match(restarted.stdout, `gatewayd stopped (pid ${first})`);
  const second = readPidOf(sb.pidFile)!;
  sb.pids.add(second);
  t.not(second, first, 'a new supervisor');
  t.notOk(isProcessAlive(first));
  t.match(restarted.stdout, `gatewayd started (pid ${second})`);
  t.equal((await httpRequest(sb.port, '/health')).status, 200);
  const { workers } = await statusOf(sb);

  // logrotate: move the file away, then SIGUSR1; supervisor and workers write to a new file.
  const outLog = join(sb.logDir, 'gatewayd.out.log');
  renameSync(outLog, `${outLog}.1`);
  process.kill(second, 'SIGUSR1');
  await waitFor(() => existsSync(outLog) && readFileSync(outLog, 'utf8').includes('"msg":"SIGUSR1: log files reopened"'), 10_000, 'the supervisor to reopen its log');
  await waitFor(() => (readFileSync(outLog, 'utf8').match(/"msg":"log file reopened"/g) ?? []).length === workers.length, 10_000, 'every worker to reopen its log');
  t.pass('supervisor and workers log to the new file');

  t.equal((await runCli(['stop', '--pid-file', sb.pidFile])).code, 0);
});

t.test('daemon: node flags given to the CLI reach the detached supervisor and, through it, the workers', async (t) => {
  const sb = await makeSandbox(t);
  // A harmless flag whose value no default carries.
  const flag = '--max-old-space-size=321';
  const started = await runCli(['start', '--daemon', '--config', sb.configFile, '--pid-file', sb.pidFile, '--log-dir', sb.logDir], { nodeArgs: [flag] });
  t.equal(started.code, 0, started.stderr);
  const pid = readPidOf(sb.pidFile)!;
  sb.pids.add(pid);
  const { workers } = await statusOf(sb);
  for (const w of workers) sb.pids.add(w.pid);
  const commandLine = (of: number) => execFileSync('ps', ['-o', 'args=', '-p', String(of)], { encoding: 'utf8' });
  t.match(commandLine(pid), flag, 'the supervisor runs with it');
  t.ok(workers.length > 0 && workers.every((w) => commandLine(w.pid).includes(flag)), 'every worker runs with it');
  t.equal((await runCli(['stop', '--pid-file', sb.pidFile])).code, 0);
});
