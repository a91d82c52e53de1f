/** The shared-timer bound on awaited Redis calls (src/state/deadlines.ts). */
import t from 'tap';
import { DeadlineError, Deadlines } from '../../src/state/deadlines.js';

function later<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

t.test('answers in time pass through; silence becomes a DeadlineError; late answers go to onLate', async (t) => {
  const deadlines = new Deadlines(100);
  t.teardown(() => deadlines.stop());
  t.equal(await deadlines.bound(Promise.resolve(1)), 1);
  await t.rejects(deadlines.bound(Promise.reject(new Error('refused'))), /refused/);

  const late: number[] = [];
  const started = performance.now();
  const outcomes = await Promise.allSettled([
    deadlines.bound(later(20, 'quick')),
    deadlines.bound(new Promise<never>(() => {})),
    deadlines.bound(later(300, 7), (value) => late.push(value)),
  ]);
  const elapsed = performance.now() - started;
  t.same(outcomes[0], { status: 'fulfilled', value: 'quick' });
  t.equal(outcomes[1]?.status, 'rejected');
  t.ok(outcomes[1]?.status === 'rejected' && outcomes[1].reason instanceof DeadlineError);
  t.equal(outcomes[2]?.status, 'rejected', 'an answer after the deadline is a timeout');
  t.ok(elapsed >= 95 && elapsed < 290, `failed at the deadline, not at the late answer (${elapsed.toFixed(0)} ms)`);
  await later(350, null);
  t.same(late, [7], 'the late answer was handed over');
});

t.test('thousands of calls in flight share the one timer and all get their outcome', async (t) => {
  const deadlines = new Deadlines(50);
  t.teardown(() => deadlines.stop());
  const calls = Array.from({ length: 5000 }, (_, i) => deadlines.bound(i % 2 === 0 ? later(1, i) : new Promise<number>(() => {})));
  const outcomes = await Promise.allSettled(calls);
  t.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 2500);
  t.equal(outcomes.filter((o) => o.status === 'rejected').length, 2500);
});
