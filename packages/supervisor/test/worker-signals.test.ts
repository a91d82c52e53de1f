/**
 * Signals that reach the workers directly: a signal to the whole process group (a hung-up
 * terminal), `systemctl kill -s HUP|USR1` (every process of the unit's cgroup by default).
 */
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import { httpRequest, isProcessAlive, makeSandbox, startForeground, statusOf } from './helpers/gatewayd.js';

t.test('SIGHUP and SIGUSR1 sent to a worker neither kill it nor open the Node inspector', async (t) => {
  const sb = await makeSandbox(t, { workers: 1 });
  const gw = await startForeground(t, sb);
  const worker = (await statusOf(sb)).workers[0]!;
  process.kill(worker.pid, 'SIGUSR1');
  // Node's default for SIGUSR1 starts the inspector ("Debugger listening on ws://127.0.0.1:9229/..."):
  // anyone local could then run code in the process that holds the provider keys.
  for (let i = 0; i < 20 && !gw.errors().includes('Debugger listening'); i++) await delay(50);
  t.notMatch(gw.errors(), 'Debugger listening', 'no inspector');
  process.kill(worker.pid, 'SIGHUP');
  t.equal((await httpRequest(sb.port, '/health')).status, 200);
  t.ok(isProcessAlive(worker.pid), 'the worker lives');
  const status = await statusOf(sb);
  t.equal(status.workerRestarts, 0);
  t.equal(status.workers[0]?.pid, worker.pid);
});

t.test('SIGUSR2, used by nobody: the supervisor logs that and goes on, a worker ignores it', async (t) => {
  const sb = await makeSandbox(t, { workers: 1 });
  const gw = await startForeground(t, sb);
  const worker = (await statusOf(sb)).workers[0]!;
  // Node's default action for SIGUSR2 terminates the process.
  process.kill(gw.pid, 'SIGUSR2');
  process.kill(worker.pid, 'SIGUSR2');
  for (let i = 0; i < 40 && !gw.output().includes('SIGUSR2: not used'); i++) await delay(50);
  t.match(gw.output(), '"msg":"SIGUSR2: not used by gatewayd, ignored (SIGHUP reloads, SIGUSR1 reopens the log files)"');
  t.ok(isProcessAlive(gw.pid), 'the supervisor lives');
  t.ok(existsSync(sb.pidFile) && existsSync(sb.socketPath), 'its PID file and socket are in place');
  t.equal((await httpRequest(sb.port, '/health')).status, 200);
  const status = await statusOf(sb);
  t.equal(status.workerRestarts, 0, 'no worker was lost');
  t.equal(status.workers[0]?.pid, worker.pid);
});
