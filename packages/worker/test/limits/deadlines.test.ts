/** The shared-timer bound on awaited Redis calls (src/state/deadlines.ts). */
import { spawn } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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
  // The late answer is released by hand once the deadline has failed its call: the outcome can
  // then only have come from the deadline, however slow this machine is.
  let answer!: (value: number) => void;
  const slow = new Promise<number>((resolve) => (answer = resolve));
  const started = performance.now();
  const outcomes = await Promise.allSettled([
    deadlines.bound(later(20, 'quick')),
    deadlines.bound(new Promise<never>(() => {})),
    deadlines.bound(slow, (value) => late.push(value)),
  ]);
  const elapsed = performance.now() - started;
  t.same(outcomes[0], { status: 'fulfilled', value: 'quick' });
  t.equal(outcomes[1]?.status, 'rejected');
  t.ok(outcomes[1]?.status === 'rejected' && outcomes[1].reason instanceof DeadlineError);
  t.ok(outcomes[2]?.status === 'rejected' && outcomes[2].reason instanceof DeadlineError, 'an answer still missing at the deadline is a timeout');
  t.ok(elapsed >= 95, `not failed before the deadline (${elapsed.toFixed(0)} ms)`);
  answer(7);
  await slow;
  await Promise.resolve();
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

t.test('an answered call is not kept alive by its queued deadline', async (t) => {
  // The deadline entry stays queued until its time (here a minute); what the call's onLate holds
  // (a whole Redis turn, in the backend) must be free for GC as soon as the answer is in.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const deadlines = new Deadlines(60_000);
  t.teardown(() => deadlines.stop());
  const held = await (async () => {
    const turn = { replies: new Array<number>(1000).fill(1) };
    const ref = new WeakRef(turn);
    t.equal(await deadlines.bound(Promise.resolve(1), () => turn.replies.push(2)), 1);
    return ref;
  })();
  await new Promise((resolve) => setImmediate(resolve)); // a WeakRef target lives to the end of its job
  gc();
  t.equal(held.deref(), undefined, 'collected while its deadline is still queued');
});

t.test('an answer that arrived while the event loop was busy past the deadline is taken, not timed out', async (t) => {
  // An echo in another process: its answer reaches the socket while this loop is blocked, as
  // Redis's does while a worker parses a burst of large bodies.
  const echo = spawn(process.execPath, ['-e', 'process.stdin.pipe(process.stdout)'], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => void echo.kill());
  const answer = () => new Promise<string>((resolve) => echo.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())));
  echo.stdin.write('warm-up');
  await answer(); // the child is up
  const deadlines = new Deadlines(100);
  t.teardown(() => deadlines.stop());
  const call = deadlines.bound(answer());
  echo.stdin.write('pong');
  const blockedUntil = performance.now() + 600;
  while (performance.now() < blockedUntil); // busy past the deadline, with the answer on its way
  t.equal(await call, 'pong');
});
