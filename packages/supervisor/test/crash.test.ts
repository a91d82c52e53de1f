/** Crash handling: a SIGKILLed worker is replaced; a SIGKILLed supervisor leaves no worker. */
import { existsSync } from 'node:fs';
import t from 'tap';
import { httpRequest, isProcessAlive, makeSandbox, readPidOf, startForeground, statusOf, waitFor } from './helpers/gatewayd.js';

t.test('a SIGKILLed worker is replaced by a new serving worker', async (t) => {
  const sb = await makeSandbox(t);
  await startForeground(t, sb);
  const before = await statusOf(sb);
  const victim = before.workers[0]!;
  process.kill(victim.pid, 'SIGKILL');

  let replacement: number | undefined;
  await waitFor(async () => {
    const status = await statusOf(sb);
    const slot = status.workers.find((w) => w.id === victim.id && w.pid !== victim.pid && w.state === 'ready');
    replacement = slot?.pid;
    return slot !== undefined && status.workerRestarts === 1;
  }, 15_000, 'a ready replacement worker');
  t.ok(replacement, `replacement pid ${replacement}`);
  t.notOk(isProcessAlive(victim.pid));
  const status = await statusOf(sb);
  t.equal(status.workers.length, 2);
  t.equal(status.workers.find((w) => w.pid === replacement)?.restarts, 1, 'the slot counts its restart');
  t.equal(status.workers.find((w) => w.id !== victim.id)?.pid, before.workers[1]!.pid, 'the other worker was left alone');
  t.equal(status.generation, 1);
  // Both workers serve: enough fresh connections land on each of them.
  for (let i = 0; i < 6; i++) t.equal((await httpRequest(sb.port, '/health')).status, 200);
});

t.test('a SIGKILLed supervisor leaves no worker behind, and its PID file is taken over', async (t) => {
  const sb = await makeSandbox(t);
  const gw = await startForeground(t, sb);
  const { workers } = await statusOf(sb);
  t.equal(workers.length, 2);
  process.kill(gw.pid, 'SIGKILL');
  await gw.exited;
  await waitFor(() => workers.every((w) => !isProcessAlive(w.pid)), 10_000, 'the workers to exit');
  t.pass('every worker exited');
  t.ok(existsSync(sb.pidFile), 'the killed supervisor could not remove its PID file');

  // The lock it left still looks fresh to proper-lockfile; the dead pid decides.
  const next = await startForeground(t, sb);
  t.equal(readPidOf(sb.pidFile), next.pid);
  t.match(next.output(), 'taken over');
  t.equal((await httpRequest(sb.port, '/health')).status, 200);
});
