/** Crash handling: a SIGKILLed worker is replaced; a crash loop is reported; a SIGKILLed supervisor leaves no worker. */
import { existsSync } from 'node:fs';
import t from 'tap';
import { httpRequest, isProcessAlive, makeSandbox, readPidOf, runCli, startForeground, statusOf, waitFor } from './helpers/gatewayd.js';

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

t.test('a crash loop is logged once and shown by status; its workers still come back', async (t) => {
  const sb = await makeSandbox(t, { workers: 1, supervisor: 'restart_backoff_initial: 50ms, restart_backoff_max: 1s, crash_loop_window: 1m, crash_loop_max_restarts: 1' });
  const gw = await startForeground(t, sb);
  t.equal((await statusOf(sb)).crashLoop, false, 'none at start');
  for (let crash = 1; crash <= 2; crash++) {
    const victim = (await statusOf(sb)).workers[0]!;
    process.kill(victim.pid, 'SIGKILL');
    await waitFor(async () => {
      const status = await statusOf(sb);
      return status.workerRestarts === crash && status.workers.some((w) => w.pid !== victim.pid && w.state === 'ready');
    }, 15_000, `the replacement after crash ${crash}`);
    t.equal((await statusOf(sb)).crashLoop, crash === 2, `after crash ${crash}: ${crash === 2 ? 'a crash loop (2 crashes, 1 allowed per minute)' : 'not yet a crash loop'}`);
  }
  t.match((await runCli(['status', '--pid-file', sb.pidFile])).stdout, /worker restarts: 2 \(crash loop: restarting at the maximum backoff\)/);
  t.equal(gw.output().split('"msg":"crash loop: workers keep exiting').length - 1, 1, 'logged once');
  t.equal((await httpRequest(sb.port, '/health')).status, 200, 'the restarted worker serves');
});
