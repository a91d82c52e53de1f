/**
 * The drain deadline cuts proxied requests too: the upstream call is aborted (Exchange.cancel),
 * a stream ends with the shutting-down error event in the caller's protocol, and the worker exits 0.
 */
import t from 'tap';
import { startFakeOpenai } from '../fakes/index.js';
import { until, workerStats } from '../helpers.js';
import { call, openCall, sseFrames, startCoreWorker } from './helpers.js';

t.test('drain deadline: upstream calls aborted, Anthropic stream cut with an Anthropic error event', async (t) => {
  const fake = await startFakeOpenai();
  t.teardown(() => fake.close());
  const { port, worker } = await startCoreWorker(
    t,
    `
providers:
  - { name: oa, type: openai, base_url: "${fake.url}" }
models:
  - { name: oa-model, targets: [{ provider: oa, model: gpt-4o-mini }] }
`,
  );
  fake.script([{ kind: 'slow-stream', delayMs: 200 }, { kind: 'hang' }]);
  const stream = openCall(port, '/v1/messages', { model: 'oa-model', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'x' }] }, { 'anthropic-version': '2023-06-01' });
  await stream.received('content_block_delta');
  const pending = call(port, '/v1/chat/completions', { model: 'oa-model', messages: [{ role: 'user', content: 'x' }] });
  await fake.waitFor('both requests upstream', (requests) => requests.length === 2);
  t.match(await workerStats(worker), { inFlight: 2, activeStreams: 1 });

  worker.child.send({ type: 'drain', timeoutMs: 300 });

  const frames = sseFrames(await stream.done);
  t.equal(frames.at(-1)?.event, 'error');
  t.match(JSON.parse(frames.at(-1)?.data ?? '{}'), { type: 'error', error: { type: 'overloaded_error', message: /shutting down/ } });
  t.notOk(frames.some((f) => f.event === 'message_stop'));
  const answer = await pending;
  t.equal(answer.status, 503);
  t.match(answer.json(), { error: { code: 'GW_ERR_SHUTTING_DOWN' } });
  await until('both upstream requests aborted', () => fake.requests.every((r) => r.aborted));
  t.same(await worker.exited, { code: 0, signal: null });
  t.equal(worker.stderr(), '');
});
