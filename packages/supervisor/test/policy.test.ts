/** Pure policies of the supervisor: restart backoff, crash-loop protection, reload serialisation. */
import t from 'tap';
import { RestartBackoff, STABLE_UPTIME_MS } from '../src/supervisor/backoff.js';
import { ReloadQueue, type ReloadResult } from '../src/supervisor/reload.js';

const settings = { initialMs: 100, maxMs: 1_000, crashLoopWindowMs: 60_000, crashLoopMaxRestarts: 5 };

t.test('backoff doubles per slot up to the maximum and resets after a stable run', async (t) => {
  const backoff = new RestartBackoff({ ...settings, crashLoopMaxRestarts: 100 });
  const delays = [0, 1, 2, 3, 4, 5].map((i) => backoff.next(0, 0, i * 1_000).delayMs);
  t.same(delays, [100, 200, 400, 800, 1_000, 1_000]);
  t.equal(backoff.next(1, 0, 7_000).delayMs, 100, 'another slot has its own backoff');
  t.equal(backoff.next(0, STABLE_UPTIME_MS, 8_000).delayMs, 100, 'a worker that stayed up resets its slot');
  t.equal(backoff.next(0, 0, 9_000).delayMs, 200);
});

t.test('more than crash_loop_max_restarts in the window: error once, then only the max backoff', async (t) => {
  const backoff = new RestartBackoff(settings);
  const decisions = Array.from({ length: 8 }, (_, i) => backoff.next(i, STABLE_UPTIME_MS, i * 100));
  t.same(decisions.map((d) => d.crashLoopStarted), [false, false, false, false, false, true, false, false], 'logged once');
  t.same(decisions.map((d) => d.delayMs), [100, 100, 100, 100, 100, 1_000, 1_000, 1_000]);
  t.equal(backoff.crashLoopActive(800), true, 'status reports the crash loop');
  t.equal(backoff.crashLoopActive(60_000 + 400), false, 'and stops reporting it once the window holds no more than the maximum');
  // Once the window has passed, the rate is normal again.
  const later = backoff.next(0, STABLE_UPTIME_MS, 200_000);
  t.equal(later.inCrashLoop, false);
  t.equal(later.delayMs, 100);
});

t.test('reloads run one at a time; requests during a run coalesce into one follow-up', async (t) => {
  let runs = 0;
  let active = 0;
  let maxActive = 0;
  const gates: Array<() => void> = [];
  const queue = new ReloadQueue(async (): Promise<ReloadResult> => {
    runs++;
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise<void>((resolve) => gates.push(resolve));
    active--;
    return { ok: true, generation: runs + 1, pids: [], warnings: [] };
  });
  const first = queue.request();
  const second = queue.request();
  const third = queue.request();
  t.equal(second, third, 'requests while one runs share the follow-up');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(runs, 1, 'the follow-up waits for the running reload');
  gates.shift()!();
  t.same(await first, { ok: true, generation: 2, pids: [], warnings: [] });
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(runs, 2);
  gates.shift()!();
  t.same(await second, { ok: true, generation: 3, pids: [], warnings: [] });
  t.equal(maxActive, 1);
});

t.test('a reload that throws becomes a failure result, is reported, and the queue keeps working', async (t) => {
  let calls = 0;
  const reported: unknown[] = [];
  const queue = new ReloadQueue(
    async (): Promise<ReloadResult> => {
      calls++;
      if (calls === 1) throw new Error('boom');
      return { ok: true, generation: 2, pids: [1], warnings: [] };
    },
    (err) => reported.push(err),
  );
  const failed = await queue.request();
  t.equal(failed.ok, false);
  t.match(failed.ok ? '' : failed.error, 'boom');
  t.match(reported, [{ message: 'boom' }], 'handed to the log');
  t.equal((await queue.request()).ok, true);
});
