/** The PID file lifecycle and refused starts: already running, stale file, port taken, bad config. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import t from 'tap';
import { AlreadyRunningError, PidFile } from '../src/pidfile.js';
import { httpRequest, makeSandbox, readPidOf, runCli, startForeground } from './helpers/gatewayd.js';

/** A PID file naming a pid that has exited, and a fresh lock directory beside it; returns that pid. */
async function deadPidWithFreshLock(pidFile: string): Promise<number> {
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => dead.on('exit', resolve));
  writeFileSync(pidFile, `${dead.pid}\n`);
  mkdirSync(`${pidFile}.lock`);
  return dead.pid!;
}

t.test('a second start with a live owner is refused', async (t) => {
  const sb = await makeSandbox(t);
  const gw = await startForeground(t, sb);
  const second = await runCli(['start', '--config', sb.configFile, '--pid-file', sb.pidFile]);
  t.equal(second.code, 1);
  t.match(second.stderr, `gatewayd is already running (pid ${gw.pid}, pid file ${sb.pidFile})`);
  t.equal(readPidOf(sb.pidFile), gw.pid, 'the PID file is untouched');
  t.equal((await httpRequest(sb.port, '/health')).status, 200, 'the first one still serves');
});

t.test('a stale PID file (dead pid, fresh lock left behind) is taken over with a warning', async (t) => {
  const sb = await makeSandbox(t);
  // What a SIGKILLed supervisor leaves: its pid (gone), the lock directory still looking fresh, the socket.
  const dead = await deadPidWithFreshLock(sb.pidFile);
  writeFileSync(sb.socketPath, '');
  const gw = await startForeground(t, sb);
  t.equal(readPidOf(sb.pidFile), gw.pid, 'the PID file now holds the new supervisor');
  t.match(gw.output(), `stale pid file ${sb.pidFile} (pid ${dead} is not running) taken over`);
  t.equal((await httpRequest(sb.port, '/health')).status, 200);
  const status = await runCli(['status', '--pid-file', sb.pidFile]);
  t.equal(status.code, 0, 'the stale socket file was replaced by a live one');
});

t.test('a held lock whose PID file is about to change (a racing start) is not taken for stale', async (t) => {
  const sb = await makeSandbox(t);
  // Another start has just taken the fresh lock and writes its pid 200 ms later.
  await deadPidWithFreshLock(sb.pidFile);
  const racer = spawn('sleep', ['60']);
  t.teardown(() => racer.kill('SIGKILL'));
  const warnings: string[] = [];
  const acquiring = PidFile.acquire(sb.pidFile, (message) => warnings.push(message), () => undefined);
  setTimeout(() => writeFileSync(sb.pidFile, `${racer.pid}\n`), 200);
  await t.rejects(acquiring, new AlreadyRunningError(racer.pid!, sb.pidFile), 'this start gives way to the one that holds the lock');
  t.ok(existsSync(`${sb.pidFile}.lock`), "the other start's lock is left alone");
  t.same(warnings, [], 'nothing was taken over');
  t.equal(readPidOf(sb.pidFile), racer.pid);
});

t.test('a PID file naming a live pid of another program (a reboot reused it): not signalled, not refused', async (t) => {
  const sb = await makeSandbox(t);
  const stranger = spawn('sleep', ['60']);
  t.teardown(() => stranger.kill('SIGKILL'));
  writeFileSync(sb.pidFile, `${stranger.pid}\n`);

  const stop = await runCli(['stop', '--pid-file', sb.pidFile, '--force', '--timeout', '1']);
  t.equal(stop.code, 0);
  t.match(stop.stdout, `gatewayd is not running (pid ${stranger.pid} from ${sb.pidFile} is gone: another program has that pid now)`);
  t.equal(stranger.exitCode, null, 'stop did not signal it');
  t.equal(stranger.signalCode, null);
  t.equal((await runCli(['status', '--pid-file', sb.pidFile])).code, 3, 'status: not running');

  const gw = await startForeground(t, sb);
  t.equal(readPidOf(sb.pidFile), gw.pid, 'start took the PID file over');
  t.match(gw.output(), `stale pid file ${sb.pidFile} (pid ${stranger.pid} is another program now) taken over`);
  t.equal(stranger.exitCode, null, 'and left the other program alone');
});

t.test('start exits 1 with the reason when the port is already taken', async (t) => {
  const sb = await makeSandbox(t);
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(sb.port, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const result = await runCli(['start', '--config', sb.configFile, '--pid-file', sb.pidFile]);
  t.equal(result.code, 1);
  t.match(result.stderr, `port 127.0.0.1:${sb.port} is already in use`);
  t.notOk(existsSync(sb.pidFile), 'no PID file left behind');
  t.notOk(existsSync(sb.socketPath), 'no socket left behind');
});

t.test('start exits 1 naming the file and key of a bad config', async (t) => {
  const sb = await makeSandbox(t);
  writeFileSync(sb.configFile, 'server: { port: "eighty" }\n');
  const result = await runCli(['start', '--config', sb.configFile, '--pid-file', sb.pidFile]);
  t.equal(result.code, 1);
  t.match(result.stderr, sb.configFile);
  t.match(result.stderr, 'server.port');
  t.notOk(existsSync(sb.pidFile));
});

t.test('a PID file that cannot be created: the start names it and suggests --pid-file', async (t) => {
  const sb = await makeSandbox(t);
  // A directory that cannot be made (a file is in the way): what EACCES in an unwritable cwd is to a non-root start.
  writeFileSync(`${sb.dir}/taken`, '');
  const pidFile = `${sb.dir}/taken/gatewayd.pid`;
  const result = await runCli(['start', '--config', sb.configFile, '--pid-file', pidFile]);
  t.equal(result.code, 1);
  t.match(result.stderr, `cannot create the PID file ${pidFile}: `);
  t.match(result.stderr, 'pass --pid-file with a path in a writable directory');
});

t.test('a PID file holding no pid is said to hold none, not to be missing', async (t) => {
  const sb = await makeSandbox(t);
  writeFileSync(sb.pidFile, 'garbage\n');
  const status = await runCli(['status', '--pid-file', sb.pidFile]);
  t.equal(status.code, 3);
  t.match(status.stdout, `gatewayd is not running (${sb.pidFile} holds no valid pid)`);
  const missing = await runCli(['status', '--pid-file', `${sb.dir}/none.pid`]);
  t.match(missing.stdout, `gatewayd is not running (no pid file at ${sb.dir}/none.pid)`);
});
