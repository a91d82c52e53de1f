/**
 * What an attempt that a caller abandons costs against tpm (pipeline/admission.ts): the whole
 * reservation while the provider may be generating (the request went to a connection and no error
 * status came), the prompt only otherwise (still waiting for a connection, or refused).
 */
import t from 'tap';
import { Attempt } from '../../src/pipeline/attempt.js';
import type { UpstreamHandle, UpstreamSink } from '../../src/upstream/types.js';

function attemptWith(sent: boolean | undefined, stream = false): { attempt: Attempt; sink: () => UpstreamSink } {
  let sink: UpstreamSink | null = null;
  const proxy = { ex: { obs: null }, deps: { router: { now: () => 0 } } } as never;
  const input = { request: { stream }, target: { provider: { name: 'p', type: 'openai' } } } as never;
  const attempt = new Attempt(proxy, {} as never, input, false);
  const handle: UpstreamHandle = { pause() {}, resume() {}, abort() {}, ...(sent === undefined ? {} : { sent }) };
  void attempt.run({ open: (s: UpstreamSink) => ((sink = s), handle) } as never);
  return { attempt, sink: () => sink as unknown as UpstreamSink };
}

t.test('in flight: sent and not yet answered, or reading a success', async (t) => {
  t.equal(attemptWith(false).attempt.inFlight, false, 'waiting for a connection: nothing was sent');
  t.equal(attemptWith(true).attempt.inFlight, true, 'sent, no answer yet');
  t.equal(attemptWith(undefined).attempt.inFlight, true, 'a handle that cannot tell (in-process) counts as sent');
  const ok = attemptWith(true);
  ok.sink().onStart(200, { 'content-type': 'application/json' });
  t.equal(ok.attempt.inFlight, true, 'reading a 200');
  const refused = attemptWith(true);
  refused.sink().onStart(429, {});
  t.equal(refused.attempt.inFlight, false, 'an error status: nothing was generated');
  const streamed = attemptWith(true, true);
  streamed.sink().onStart(200, { 'content-type': 'text/event-stream' });
  t.equal(streamed.attempt.inFlight, true, 'a stream about to start');
});

t.test('a failure after the first byte is dated from the attempt\'s start (a breaker that closed meanwhile ignores it)', async (t) => {
  const recorded: unknown[] = [];
  let now = 1000;
  const router = { now: () => now, recordFailure: (...args: unknown[]) => recorded.push(args) };
  const proxy = { ex: { obs: null }, deps: { router } } as never;
  const attempt = new Attempt(proxy, {} as never, { request: { stream: true }, target: { id: 'p/x' } } as never, false);
  void attempt.run({ open: () => ({ pause() {}, resume() {}, abort() {} }) } as never);
  now = 5000;
  attempt.recordFailure({ kind: 'reset' } as never);
  t.match(recorded, [[{ id: 'p/x' }, { kind: 'reset' }, { startedAt: 1000, probe: false }]]);
});
