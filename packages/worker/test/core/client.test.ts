/**
 * The caller's side of the pipeline: a client that goes away cancels the upstream request, a
 * client that stops reading pauses the upstream (memory stays bounded), and bad requests get the
 * right status in the caller's protocol shape.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { startFakeOpenai } from '../fakes/index.js';
import { until, workerStats } from '../helpers.js';
import { call, openCall, startCoreWorker, startScripted } from './helpers.js';

const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'Say hello.' }], ...extra });
const ANTHROPIC = { 'anthropic-version': '2023-06-01' };

/** Resident memory of a process in MiB (Linux). */
function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

const EVENT = `data: {"id":"big","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${'x'.repeat(16 * 1024)}"},"finish_reason":null}]}\n\n`;
const TOTAL_BYTES = 192 * 1024 * 1024;

t.test('client side of the pipeline', async (t) => {
  const fake = await startFakeOpenai();
  t.teardown(() => fake.close());
  // A fast, large stream that records how far it got and whether the socket pushed back.
  const big = { written: 0, pushedBack: 0, finished: false };
  const firehose = await startScripted(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const pump = (): void => {
      while (big.written < TOTAL_BYTES) {
        big.written += EVENT.length;
        if (!res.write(EVENT)) {
          big.pushedBack++;
          res.once('drain', pump);
          return;
        }
      }
      res.end('data: [DONE]\n\n', () => (big.finished = true));
    };
    pump();
  });
  const { port, worker } = await startCoreWorker(
    t,
    `
providers:
  - { name: oa, type: openai, base_url: "${fake.url}" }
  - { name: hose, type: openai, base_url: "${firehose.url}/v1" }
models:
  - { name: oa-model, targets: [{ provider: oa, model: gpt-4o-mini }] }
  - { name: firehose, targets: [{ provider: hose, model: m }] }
`,
    'body_limit: 2kb',
  );
  const pid = worker.child.pid as number;

  t.test('a client abort mid-stream closes the upstream request', async (t) => {
    fake.reset();
    fake.script([{ kind: 'slow-stream', delayMs: 150 }]);
    const s = openCall(port, '/v1/chat/completions', chat('oa-model', { stream: true }));
    await s.received('data: ');
    s.abort();
    await fake.waitFor('the upstream request aborted', (requests) => requests[0]?.aborted === true);
    await until('nothing in flight', async () => (await workerStats(worker)).inFlight === 0);
    t.match(await workerStats(worker), { inFlight: 0, activeStreams: 0 });
  });

  t.test('a client abort before the answer closes the upstream request', async (t) => {
    fake.reset();
    fake.script([{ kind: 'hang' }]);
    const s = openCall(port, '/v1/messages', { model: 'oa-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, ANTHROPIC);
    await fake.waitFor('the request reached the upstream', (requests) => requests.length === 1);
    s.abort();
    await fake.waitFor('the upstream request aborted', (requests) => requests[0]?.aborted === true);
    await until('nothing in flight', async () => (await workerStats(worker)).inFlight === 0);
    t.equal(fake.requests.length, 1, 'no retry for a caller that left');
  });

  t.test('a client that stops reading pauses the upstream; memory stays bounded', async (t) => {
    const rssBefore = rssMiB(pid);
    let received = 0;
    let tail = '';
    let resume: () => void = () => {};
    const finished = new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
        res.pause();
        resume = () => res.resume();
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          tail = (tail + chunk.toString('latin1')).slice(-32);
        });
        res.on('end', () => resolve());
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(JSON.stringify(chat('firehose', { stream: true, stream_options: { include_usage: true } })));
    });
    await until('the upstream is pushed back', () => big.pushedBack > 0, 20_000);
    // Once pushed back, the upstream stays stalled: its writes wait for a drain that never comes.
    let stalledAt = -1;
    await until('the upstream stopped advancing', async () => {
      const now = big.written;
      await new Promise((r) => setTimeout(r, 200));
      const stable = big.written === now;
      if (stable) stalledAt = now;
      return stable;
    }, 20_000);
    t.ok(stalledAt < TOTAL_BYTES / 2, `the upstream stalled after ${Math.round(stalledAt / 2 ** 20)} MiB of ${TOTAL_BYTES / 2 ** 20}`);
    t.equal(received, 0, 'the client has read nothing');
    t.notOk(big.finished);
    const rssStalled = rssMiB(pid);
    t.ok(rssStalled - rssBefore < 64, `worker memory bounded while stalled (${Math.round(rssBefore)} -> ${Math.round(rssStalled)} MiB)`);
    resume();
    await finished;
    t.ok(big.finished, 'the upstream finished once the client read');
    t.ok(received >= TOTAL_BYTES, `every byte arrived (${received})`);
    t.ok(tail.endsWith('data: [DONE]\n\n'));
  });

  t.test('bad requests in both shapes', async (t) => {
    const cases = [
      { name: 'unknown model', body: JSON.stringify(chat('nope', { max_tokens: 5 })), status: 404, code: 'GW_ERR_UNKNOWN_MODEL', anthropicType: 'not_found_error' },
      { name: 'bad JSON', body: '{"model": "oa-model",', status: 400, code: 'GW_ERR_BAD_JSON', anthropicType: 'invalid_request_error' },
      { name: 'wrong type', body: JSON.stringify({ model: 'oa-model', max_tokens: 5, messages: 'hi' }), status: 400, code: 'GW_ERR_BAD_REQUEST', anthropicType: 'invalid_request_error' },
      { name: 'too large', body: JSON.stringify({ model: 'oa-model', max_tokens: 5, messages: [{ role: 'user', content: 'x'.repeat(4096) }] }), status: 413, code: 'GW_ERR_BODY_TOO_LARGE', anthropicType: 'request_too_large' },
    ];
    for (const c of cases) {
      const openai = await call(port, '/v1/chat/completions', c.body, { 'x-request-id': `bad-${c.status}` });
      t.equal(openai.status, c.status, `${c.name}: OpenAI status`);
      t.match(openai.json(), { error: { code: c.code, message: String, type: String } }, `${c.name}: OpenAI shape`);
      t.equal(openai.headers['x-request-id'], `bad-${c.status}`);
      const anthropic = await call(port, '/v1/messages', c.body, ANTHROPIC);
      t.equal(anthropic.status, c.status, `${c.name}: Anthropic status`);
      t.match(anthropic.json(), { type: 'error', error: { type: c.anthropicType, message: String } }, `${c.name}: Anthropic shape`);
      t.ok(anthropic.headers['x-request-id']);
    }
    const notFound = await call(port, '/v1/messages/nope', '{}', ANTHROPIC);
    t.equal(notFound.status, 404);
    t.match(notFound.json(), { type: 'error', error: { type: 'not_found_error' } });
    const wrongMethod = await call(port, '/v1/chat/completions', undefined, {}, 'GET');
    t.equal(wrongMethod.status, 405);
  });

  t.test('nothing left in flight, nothing on stderr', async (t) => {
    t.match(await workerStats(worker), { inFlight: 0, activeStreams: 0 });
    t.equal(worker.stderr(), '');
  });
});
