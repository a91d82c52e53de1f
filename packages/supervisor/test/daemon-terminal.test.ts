/**
 * `start --daemon` / `restart` / `reload` on the terminal: the config's warnings printed (not only
 * logged), and a restart onto a port something else holds refused before anything stops. Apart
 * from daemon.test.ts so that each file stays well inside tap's per-file timeout on a busy machine.
 */
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { freePort, httpRequest, makeSandbox, readPidOf, runCli } from './helpers/gatewayd.js';

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

t.test('an admin API beyond loopback without admin.token: warned by test, start and reload on the terminal', async (t) => {
  const sb = await makeSandbox(t);
  writeFileSync(sb.configFile, readFileSync(sb.configFile, 'utf8').replace('admin: { host: 127.0.0.1', 'admin: { host: 0.0.0.0'));
  const warning = `warning: admin.host 0.0.0.0 is not loopback and admin.token is not set: anyone who can reach its port ${sb.adminPort} can read stats`;
  const tested = await runCli(['test', '--config', sb.configFile]);
  t.equal(tested.code, 0, tested.stderr);
  t.match(tested.stdout, warning);
  const started = await runCli(['start', '--daemon', '--config', sb.configFile, '--pid-file', sb.pidFile, '--log-dir', sb.logDir]);
  t.equal(started.code, 0, started.stderr);
  sb.pids.add(readPidOf(sb.pidFile)!);
  t.match(started.stderr, `gatewayd: ${warning}`);
  const reloaded = await runCli(['reload', '--pid-file', sb.pidFile]);
  t.equal(reloaded.code, 0, reloaded.stderr);
  t.match(reloaded.stderr, `gatewayd: ${warning}`);
  const log = readFileSync(join(sb.logDir, 'gatewayd.out.log'), 'utf8');
  t.equal(log.split('\n').filter((line) => line.includes('admin.host 0.0.0.0 is not loopback')).length, 2, 'logged once at start and once at the reload');
  // With a token: quiet.
  writeFileSync(sb.configFile, readFileSync(sb.configFile, 'utf8').replace('admin: { host: 0.0.0.0', 'admin: { token: adm-0123456789, host: 0.0.0.0'));
  t.notMatch((await runCli(['test', '--config', sb.configFile])).stdout, 'admin.host');
  t.equal((await runCli(['stop', '--pid-file', sb.pidFile])).code, 0);
});
