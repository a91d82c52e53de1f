/**
 * Backend local end to end: the real Supervisor forks real cluster workers (a worker-like fixture
 * with the real worker-side client), which talk to the supervisor's store over real IPC.
 */
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runFixture, tempDir } from './helpers.js';

const PRIMARY = fileURLToPath(new URL('./fixtures/primary.ts', import.meta.url));

interface BurstReport {
  pid: number;
  admitted: number;
  degraded: number;
  onCredit: number;
  batches: number;
}

t.test('a burst across 3 workers admits exactly rpm, in batches, and the count survives a reload', async (t) => {
  const run = await runFixture(t, PRIMARY, ['burst', tempDir(t, 'gwd-state-')]);
  t.equal(run.code, 0, `fixture exit (stderr: ${run.stderr.slice(-2000)})`);
  const [burst, afterReload] = run.lines.map((l) => l.result) as [
    { reports: BurstReport[] },
    { reload: boolean; generation: number; reports: BurstReport[] },
  ];
  t.equal(burst.reports.length, 3);
  const admitted = burst.reports.reduce((n, r) => n + r.admitted, 0);
  t.equal(admitted, 250, '1080 concurrent attempts against rpm 250');
  t.ok(burst.reports.every((r) => r.degraded === 0), 'the supervisor answered every batch');
  t.ok(burst.reports.every((r) => r.batches === 3), 'one IPC batch per wave of 120 admits');
  const onCredit = burst.reports.reduce((n, r) => n + r.onCredit, 0);
  t.ok(onCredit > 0 && onCredit < admitted, `credits admitted ${onCredit} of them, the store the rest, and the total is still exact`);
  t.ok(afterReload.reload, 'the rolling reload succeeded');
  t.equal(afterReload.generation, 2);
  const pids = new Set(burst.reports.map((r) => r.pid));
  t.ok(afterReload.reports.every((r) => !pids.has(r.pid)), 'every worker was replaced');
  t.equal(afterReload.reports.reduce((n, r) => n + r.admitted, 0), 0, 'the new generation finds the window full');
});

t.test("a SIGKILLed worker's concurrency slots are released by the supervisor", async (t) => {
  const run = await runFixture(t, PRIMARY, ['kill', tempDir(t, 'gwd-state-')]);
  t.equal(run.code, 0, `fixture exit (stderr: ${run.stderr.slice(-2000)})`);
  const result = run.lines[0]?.result as { held: number; before: { ok: boolean; violated: unknown }; afterKill: { ok: boolean; degraded: boolean } };
  t.equal(result.held, 3, 'the first worker holds all 3 slots');
  t.equal(result.before.ok, false, 'another worker is refused while they are held');
  t.same(result.before.violated, { scope: 'key:k', kind: 'concurrency' });
  t.equal(result.afterKill.ok, true, 'the slots are free once the holder is killed');
  t.equal(result.afterKill.degraded, false);
});
