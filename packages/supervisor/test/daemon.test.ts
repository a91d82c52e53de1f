/** `start --daemon`: detached supervisor, logs in the log dir, stop, restart, SIGUSR1 log reopening. */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { freePort, httpRequest, isProcessAlive, makeSandbox, readPidOf, runCli, statusOf, waitFor } from './helpers/gatewayd.js';

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

t.test('daemon: start and restart print the config warnings on the terminal, not only in the log', async (t) => {
  // The key comes from a variable this environment lacks: the warning says that gateway mode has no key now.
  const sb = await makeSandbox(t, { extra: 'auth: { mode: hybrid, keys: [{ name: team, key: "${GWD_TEST_UNSET_TEAM_KEY}" }] }' });
  const env = { ...process.env };
  delete env.GWD_TEST_UNSET_TEAM_KEY;
  const args = ['--config', sb.configFile, '--pid-file', sb.pidFile, '--log-dir', sb.logDir];
  const started = await runCli(['start', '--daemon', ...args], { env });
  t.equal(started.code, 0, started.stderr);
  sb.pids.add(readPidOf(sb.pidFile)!);
  t.match(started.stderr, 'gatewayd: warning: environment variable GWD_TEST_UNSET_TEAM_KEY is not set');
  const restarted = await runCli(['restart', '--pid-file', sb.pidFile], { env });
  t.equal(restarted.code, 0, restarted.stderr);
  sb.pids.add(readPidOf(sb.pidFile)!);
  t.match(restarted.stderr, 'warning: environment variable GWD_TEST_UNSET_TEAM_KEY is not set');
  t.match(restarted.stderr, 'reads the environment of this shell');
  t.equal((await runCli(['stop', '--pid-file', sb.pidFile])).code, 0);
});

t.test('daemon: restart onto a port something else holds leaves the running gateway serving', async (t) => {
  const sb = await makeSandbox(t);
  const args = ['--config', sb.configFile, '--pid-file', sb.pidFile, '--log-dir', sb.logDir];
  t.equal((await runCli(['start', '--daemon', ...args])).code, 0);
  const pid = readPidOf(sb.pidFile)!;
  sb.pids.add(pid);
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const taken = (blocker.address() as { port: number }).port;
  const result = await runCli(['restart', '--pid-file', sb.pidFile, '--port', String(taken)]);
  t.equal(result.code, 1);
  t.match(result.stderr, `port 127.0.0.1:${taken} is already in use`);
  t.match(result.stderr, 'not restarted: the running gateway keeps serving');
  t.equal(readPidOf(sb.pidFile), pid, 'the same supervisor');
  t.equal((await httpRequest(sb.port, '/health')).status, 200);
  // Its own addresses are not "taken": a plain restart still works.
  const again = await runCli(['restart', '--pid-file', sb.pidFile]);
  t.equal(again.code, 0, again.stderr);
  sb.pids.add(readPidOf(sb.pidFile)!);
  t.equal((await httpRequest(sb.port, '/health')).status, 200);
  // Nor are its ports under another host name.
  const renamed = join(sb.dir, 'localhost.yaml');
  writeFileSync(renamed, readFileSync(sb.configFile, 'utf8').replace('server: { host: 127.0.0.1', 'server: { host: localhost'));
  const moved = await runCli(['restart', '--pid-file', sb.pidFile, '--config', renamed]);
  t.equal(moved.code, 0, moved.stderr);
  sb.pids.add(readPidOf(sb.pidFile)!);
  t.equal((await httpRequest(sb.port, '/health')).status, 200);
  t.equal((await runCli(['stop', '--pid-file', sb.pidFile])).code, 0);
});

t.test('daemon: reload prints the new config warnings, including a file value that --port given to start still overrides', async (t) => {
  const sb = await makeSandbox(t);
  const port = await freePort();
  t.equal((await runCli(['start', '--daemon', '--config', sb.configFile, '--pid-file', sb.pidFile, '--log-dir', sb.logDir, '--port', String(port)])).code, 0);
  sb.pids.add(readPidOf(sb.pidFile)!);
  const reloaded = await runCli(['reload', '--pid-file', sb.pidFile]);
  t.equal(reloaded.code, 0, reloaded.stderr);
  t.match(reloaded.stderr, `gatewayd: warning: server.port ${sb.port} in the config file is not used: --port ${port}, given to start, still applies`);
  t.equal((await httpRequest(port, '/health')).status, 200, 'still on the --port');
  t.equal((await runCli(['stop', '--pid-file', sb.pidFile])).code, 0);
});
