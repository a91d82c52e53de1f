/**
 * A stop signal while the supervisor is still starting (control socket open, workers not yet
 * ready): it exits 0 and leaves nothing behind: no worker on the port, no PID file, no socket.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import t from 'tap';
import { CLI, isProcessAlive, makeSandbox, waitFor } from './helpers/gatewayd.js';

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
