/**
 * Signals while the supervisor is still starting:
 * - a stop signal (control socket open, workers not yet ready): it exits 0 and leaves nothing
 *   behind: no worker on the port, no PID file, no socket;
 * - SIGHUP while it reads its config (before its handlers are installed): the reload it asked for
 *   still happens, once the workers serve.
 */
import { execFileSync, spawn } from 'node:child_process';
import { constants, existsSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { CLI, configYaml, httpRequest, isProcessAlive, makeSandbox, waitFor } from './helpers/gatewayd.js';

function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

t.test('SIGTERM as soon as the control socket exists: exit 0, nothing left behind', async (t) => {
  const sb = await makeSandbox(t, { workers: 2 });
  const child = spawn(process.execPath, [CLI, 'start', '--config', sb.configFile, '--pid-file', sb.pidFile], { cwd: sb.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  sb.pids.add(child.pid!);
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await waitFor(() => existsSync(sb.socketPath), 30_000, 'the control socket');
  child.kill('SIGTERM');
  t.same(await exited, { code: 0, signal: null }, output);
  t.notOk(output.includes('"msg":"gatewayd ready"'), 'it never reported ready');
  t.notOk(existsSync(sb.pidFile), 'no PID file');
  t.notOk(existsSync(sb.socketPath), 'no control socket');
  t.ok(await portRefuses(sb.port), 'no worker listens on the data port');
  t.ok(await portRefuses(sb.adminPort), 'nothing on the admin port');
  const forked = [...output.matchAll(/"workerPid":(\d+)/g)].map((m) => Number(m[1]));
  await waitFor(() => forked.every((pid) => !isProcessAlive(pid)), 5_000, 'any forked worker to exit');
  t.pass(`every worker it forked exited (${forked.length})`);
});

/** Whether `signal`'s bit is set in the pending masks of /proc/<pid>/status (Linux). */
function signalPending(pid: number, signal: number): boolean {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const bit = 1n << BigInt(signal - 1);
  return ['SigPnd', 'ShdPnd'].some((field) => (BigInt(`0x${new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0'}`) & bit) !== 0n);
}

/**
 * The config file is a FIFO, so the supervisor's read blocks until the test writes it: the SIGHUP
 * lands exactly between "config read" and "signal handlers installed", the window a SIGHUP used to
 * be swallowed in. The reload then reads the FIFO again, which the test answers with a new model.
 */
t.test('SIGHUP while the config is being read: reloaded once the workers serve', { skip: process.platform !== 'linux' && 'needs /proc and mkfifo' }, async (t) => {
  const sb = await makeSandbox(t, { workers: 1 });
  const first = readFileSync(sb.configFile, 'utf8');
  const second = configYaml(sb.port, sb.adminPort, { workers: 1, extra: '  - { name: added-by-reload, targets: [{ provider: local, model: demo }] }' });
  const fifo = join(sb.dir, 'gatewayd-fifo.yaml');
  execFileSync('mkfifo', [fifo]);
  const child = spawn(process.execPath, [CLI, 'start', '--config', fifo, '--pid-file', sb.pidFile], { cwd: sb.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  sb.pids.add(child.pid!);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  // Opening the FIFO for writing completes once the supervisor opened it to read its config.
  const writer = await open(fifo, 'w');
  child.kill('SIGHUP');
  await waitFor(() => !signalPending(child.pid!, 1), 5_000, 'the SIGHUP to be delivered');
  await writer.writeFile(first);
  await writer.close();
  await waitFor(() => output.includes('"msg":"gatewayd ready"') || child.exitCode !== null, 30_000, 'gatewayd ready');
  if (!t.ok(output.includes('"msg":"gatewayd ready"'), 'it started')) t.comment(output);

  // The reload reads the config again: a reader arrives on the FIFO, or the SIGHUP was lost.
  const reread = open(fifo, 'w');
  let lost = false;
  const deadline = setTimeout(() => {
    // Unblocks the pending open (it waits for a reader) so that the test can fail, not hang.
    lost = true;
    void open(fifo, constants.O_RDONLY | constants.O_NONBLOCK).then((reader) => setTimeout(() => void reader.close(), 100));
  }, 10_000);
  const rewriter = await reread;
  clearTimeout(deadline);
  await rewriter.writeFile(second).catch(() => undefined);
  await rewriter.close();
  if (lost) {
    t.fail(`no reload read the config within 10 s of "ready": the SIGHUP was lost\n${output}`);
    return;
  }
  await waitFor(() => output.includes('"msg":"reload complete: new generation serving"') || output.includes('reload failed'), 30_000, 'the reload to end');
  if (!t.ok(output.includes('"msg":"reload complete: new generation serving"'), 'the early SIGHUP reloaded')) t.comment(output);
  const models = await httpRequest(sb.port, '/v1/models');
  t.match(models.body, /added-by-reload/, 'the reloaded config serves');
  child.kill('SIGTERM');
  t.same(await new Promise((resolve) => child.on('exit', (code) => resolve(code))), 0, 'SIGTERM stops it with 0');
});
