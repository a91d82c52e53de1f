/**
 * The worker-side client of backend local: batching per event-loop turn, the in-process store,
 * and what happens when the supervisor does not answer (on_error open / closed, recovery).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { StateCore, type StateBatchMessage, type StateBatchResultMessage } from '@gatewayd/shared/state';
import { createStateBackend, inProcessChannel, type Admission, type StateChannel } from '../../src/state/index.js';
import { captureLogger, stateConfig, transitions, waitFor } from './helpers.js';

/** The in-process store, with every batch recorded on its way. */
function recordingChannel(core = new StateCore({ maxEntries: 100 })): { channel: StateChannel; sent: StateBatchMessage[] } {
  const inner = inProcessChannel(core);
  const sent: StateBatchMessage[] = [];
  return { sent, channel: { send: (m) => (sent.push(m), inner.send(m)), subscribe: (h) => inner.subscribe(h) } };
}

/** A channel whose answers the test releases by hand (a supervisor that stalls). */
function stallingChannel(core = new StateCore({ maxEntries: 100 })) {
  const held: StateBatchMessage[] = [];
  let handler: ((m: StateBatchResultMessage) => void) | null = null;
  const channel: StateChannel = {
    send: (m) => void held.push(m),
    subscribe: (h) => ((handler = h), () => (handler = null)),
  };
  const release = () => {
    for (const m of held.splice(0)) {
      const answer = core.applyBatch(0, m);
      if (answer) handler?.(answer);
    }
  };
  return { channel, held, release, core };
}

t.test('all ops of one turn travel in one batch; scopes without limits cost no message', async (t) => {
  const { logger } = captureLogger();
  const { channel, sent } = recordingChannel();
  const state = createStateBackend(stateConfig('{ backend: local }'), { workerId: 0, logger, channel });
  t.teardown(() => state.close());
  const unlimited = await state.admit([{ id: 'key:a' }], 100);
  t.ok(unlimited.ok);
  t.equal(sent.length, 0, 'no limits, no IPC');

  const scopes = [{ id: 'key:a', rpm: 10, tpm: 1000, concurrency: 5 }];
  const admissions = await Promise.all([state.admit(scopes, 100), state.admit(scopes, 100), state.cacheGet('nothing')]);
  t.equal(sent.length, 1, 'two admits and a cache read: one message');
  t.equal(sent[0]!.ops.length, 3);
  const [a, b, miss] = admissions as [Awaited<ReturnType<typeof state.admit>>, Awaited<ReturnType<typeof state.admit>>, null];
  t.ok(a.ok && b.ok && a.ticket && b.ticket);
  t.equal(miss, null);
  t.same(b.requests, { limit: 10, remaining: 8, resetMs: 60_000 });
  t.same(b.tokens, { limit: 1000, remaining: 800, resetMs: 60_000 });

  state.settle(a.ticket!, 30);
  state.settle(a.ticket!, 30);
  state.cacheSet('k', Buffer.from([0, 1, 2, 255]), 10_000);
  t.equal(sent.length, 2, 'a cache write goes at once, with the settles queued before it (read-your-writes)');
  t.same(sent[1]!.ops.map((op) => op.op), ['settle', 'settle', 'cache-set']);
  const [c] = await Promise.all([state.admit(scopes, 0), state.cacheGet('k')]);
  t.equal(sent.length, 3, 'an admit and a read: one more message');
  t.equal(c.tokens?.remaining, 1000 - 30 - 100, 'the first reservation was reconciled to 30');
  t.same(await state.cacheGet('k'), Buffer.from([0, 1, 2, 255]), 'bytes survive the base64 trip');
});

t.test('a complete answer waits for the batch that carries its cache write, and the turn shares one message', async (t) => {
  const { logger } = captureLogger();
  const { channel, sent } = recordingChannel();
  const state = createStateBackend(stateConfig('{ backend: local }'), { workerId: 0, logger, channel });
  t.teardown(() => state.close());
  const scopes = [{ id: 'key:a', rpm: 10 }];
  const admitted = state.admit(scopes, 0);
  const order: string[] = [];
  const answer = (name: string) => () => order.push(`${name} sent after ${sent.length} message(s), the last holding ${sent.at(-1)?.ops.map((op) => op.op).join('+')}`);
  state.cacheSetBeforeSend('k1', Buffer.from('one'), 10_000, answer('answer 1'));
  state.cacheSetBeforeSend('k2', Buffer.from('two'), 10_000, answer('answer 2'));
  t.same(order, [], 'no answer leaves before its write is on its way');
  t.equal(sent.length, 0, 'and nothing is sent before the end of the turn');
  await admitted;
  t.same(order, ['answer 1 sent after 1 message(s), the last holding admit+cache-set+cache-set', 'answer 2 sent after 1 message(s), the last holding admit+cache-set+cache-set'], 'one message for the turn, then the answers');
  t.same(await state.cacheGet('k2'), Buffer.from('two'), 'stored');

  // A failing answer does not keep the others from going out.
  state.cacheSetBeforeSend('k3', Buffer.from('three'), 10_000, () => {
    throw new Error('uWS said no');
  });
  state.cacheSetBeforeSend('k4', Buffer.from('four'), 10_000, answer('answer 4'));
  t.same(await state.cacheGet('k4'), Buffer.from('four'));
  t.equal(order.length, 3, 'the answer after the failing one was sent');

  await state.close();
  let late = false;
  state.cacheSetBeforeSend('k5', Buffer.from('five'), 10_000, () => (late = true));
  await new Promise((resolve) => setImmediate(resolve));
  t.ok(late, 'a closed backend sends at the end of the turn, as any answer');
});

t.test('an answer can wait for the settle queued before it (its slot is free before the caller has the answer)', async (t) => {
  const { logger } = captureLogger();
  const { channel, sent } = recordingChannel();
  const state = createStateBackend(stateConfig('{ backend: local }'), { workerId: 0, logger, channel });
  t.teardown(() => state.close());
  const scopes = [{ id: 'key:c', concurrency: 1 }];
  const held = await state.admit(scopes, 0);
  t.ok(held.ok && held.ticket);
  let sentWhenAnswered = -1;
  state.settle(held.ticket!, 0);
  state.sendAfterQueued(() => (sentWhenAnswered = sent.length));
  t.equal(sentWhenAnswered, -1, 'held back while its settle is queued');
  const next = await state.admit(scopes, 0);
  t.equal(sentWhenAnswered, 2, 'sent right after the message carrying the settle');
  t.same(sent[1]!.ops.map((op) => op.op), ['settle', 'admit'], 'the settle went first, in the turn\'s one message');
  t.ok(next.ok, 'so the next request finds the slot free');

  let answered = false;
  state.sendAfterQueued(() => (answered = true));
  t.equal(sent.length, 2, 'nothing queued: no message to wait for');
  await new Promise((resolve) => setImmediate(resolve));
  t.ok(answered, 'nothing queued: sent at the end of the turn, as any answer');
  state.settle(next.ticket!, 0);
});

t.test('a stalled supervisor: on_error open admits degraded, logs once, recovers, frees late grants', async (t) => {
  const { logger, lines } = captureLogger();
  const stall = stallingChannel();
  const state = createStateBackend(stateConfig('{ backend: local, on_error: open }'), { workerId: 0, logger, channel: stall.channel, timeoutMs: 50 });
  t.teardown(() => state.close());
  const scopes = [{ id: 'g', concurrency: 1 }];
  const [first, second] = await Promise.all([state.admit(scopes, 10), state.admit(scopes, 10)]);
  t.ok(first.ok && first.degraded && second.degraded, 'both admitted without counting');
  t.equal(first.ticket, null);
  t.equal(await state.cacheGet('k'), null, 'a cache read misses');
  t.same(transitions(lines), ['state backend unavailable: admitting requests without limits (state.on_error: open)']);
  t.equal(state.status().healthy, false);
  t.match(state.status().lastError, /did not answer/);

  // The late answers arrive: the one slot granted meanwhile is given back, and health returns.
  stall.release();
  t.equal(stall.core.limits.size.tickets, 1, 'the store had granted a slot to the first admit');
  await waitFor(() => stall.held.length > 0, 2_000, 'the settle of the late grant');
  stall.release();
  t.equal(stall.core.limits.size.tickets, 0, 'and it is released');
  t.same(transitions(lines), ['state backend unavailable: admitting requests without limits (state.on_error: open)', 'state backend recovered']);
  t.equal(state.status().healthy, true);
});

t.test('a grant in the late answer of a batch given up on so long ago it was forgotten is still freed', async (t) => {
  const { logger } = captureLogger();
  const stall = stallingChannel();
  const state = createStateBackend(stateConfig('{ backend: local, on_error: open }'), { workerId: 0, logger, channel: stall.channel, timeoutMs: 1 });
  t.teardown(() => state.close());
  const scopes = [{ id: 'g', concurrency: 1 }];
  // More given-up batches than the client remembers (1,000): the first ones are forgotten.
  let degraded = 0;
  for (let i = 0; i < 1_005; i++) if ((await state.admit(scopes, 10)).degraded) degraded++;
  t.equal(degraded, 1_005, 'each admitted by on_error open, uncounted');
  t.equal(stall.held.length, 1_005, 'one batch each');
  stall.release();
  t.equal(stall.core.limits.size.tickets, 1, 'the store granted the slot to the first, forgotten batch');
  await waitFor(() => stall.held.length > 0, 2_000, 'the settle of that grant');
  stall.release();
  t.equal(stall.core.limits.size.tickets, 0, 'and it is released, not held for the life of the worker');
});

t.test('a stalled supervisor with on_error closed: rejected as unavailable within the timeout', async (t) => {
  const { logger, lines } = captureLogger();
  const stall = stallingChannel();
  const state = createStateBackend(stateConfig('{ backend: local, on_error: closed }'), { workerId: 0, logger, channel: stall.channel, timeoutMs: 50 });
  t.teardown(() => state.close());
  const admission = await state.admit([{ id: 'g', rpm: 5 }], 0);
  t.equal(admission.ok, false);
  t.equal(admission.violated, null, 'not a limit: GW_ERR_STATE_UNAVAILABLE');
  t.ok(admission.retryAfterMs > 0);
  t.equal(admission.degraded, false);
  t.same(transitions(lines), ['state backend unavailable: rejecting limited requests (state.on_error: closed)']);
});

t.test('an answer that arrived while the event loop was busy past the timeout is taken, not timed out', async (t) => {
  // A supervisor in another process that answers at once: its answer reaches the pipe while this
  // loop is blocked (a worker parsing a burst of large bodies).
  const answerer = spawn(process.execPath, ['-e', SUPERVISOR_STUB], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => void answerer.kill());
  const handlers = new Set<(m: StateBatchResultMessage) => void>();
  let buffered = '';
  let up!: () => void;
  const started = new Promise<void>((resolve) => (up = resolve));
  answerer.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (buffered + chunk).split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line === 'ready') up();
      else for (const handler of handlers) handler(JSON.parse(line) as StateBatchResultMessage);
    }
  });
  await started;
  const channel: StateChannel = { send: (m) => void answerer.stdin.write(`${JSON.stringify(m)}\n`), subscribe: (h) => (handlers.add(h), () => handlers.delete(h)) };
  const { logger, lines } = captureLogger();
  const state = createStateBackend(stateConfig('{ backend: local, on_error: open }'), { workerId: 0, logger, channel, timeoutMs: 100 });
  t.teardown(() => state.close());
  const scopes = [{ id: 'g', rpm: 1_000_000 }];
  t.equal((await state.admit(scopes, 0)).degraded, false, 'the stub answers');
  const admission = state.admit(scopes, 0);
  await new Promise((resolve) => setImmediate(resolve)); // the batch is flushed
  const blockedUntil = performance.now() + 600;
  while (performance.now() < blockedUntil); // busy past the timeout, with the answer on its way
  const admitted = await admission;
  t.equal(admitted.degraded, false, 'counted by the store, not admitted by on_error');
  t.equal(admitted.ticket, 'stub-ticket');
  t.same(transitions(lines), [], 'the store was never taken for down');
});

/** Answers every admit of a state batch (one JSON line each way) with an admission at once. */
const SUPERVISOR_STUB = `
let buffered = '';
process.stdout.write('ready\\n');
process.stdin.setEncoding('utf8').on('data', (chunk) => {
  const lines = (buffered + chunk).split('\\n');
  buffered = lines.pop();
  for (const line of lines) {
    const batch = JSON.parse(line);
    const results = batch.ops.filter((op) => op.op === 'admit').map(() => ({ ok: true, ticket: 'stub-ticket', retryAfterMs: 0, violated: null, requests: null, tokens: null }));
    process.stdout.write(JSON.stringify({ type: 'state-batch-result', id: batch.id, results }) + '\\n');
  }
});
`;

t.test('without a supervisor the default channel is a store in this process', async (t) => {
  const fixture = fileURLToPath(new URL('./fixtures/no-supervisor.ts', import.meta.url));
  const tsx = process.execArgv.filter((arg) => arg.includes('tsx'));
  const child = spawn(process.execPath, [...tsx, fixture], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  t.equal(code, 0);
  const { hasIpc, results } = JSON.parse(out) as { hasIpc: boolean; results: Admission[] };
  t.equal(hasIpc, false);
  t.equal(results.filter((r) => r.ok).length, 3, 'rpm 3 holds in the process');
  const rejected = results.find((r) => !r.ok)!;
  t.same(rejected.violated, { scope: 'g', kind: 'rpm' });
  t.equal(rejected.degraded, false);
  t.ok(rejected.retryAfterMs > 59_000 && rejected.retryAfterMs <= 60_000, `retry after ${rejected.retryAfterMs} ms`);
});
