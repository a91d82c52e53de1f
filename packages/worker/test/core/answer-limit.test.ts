/**
 * A complete upstream answer is buffered up to a cap (pipeline/answer-limit.ts, lowered here with
 * GATEWAYD_MAX_UPSTREAM_BODY): beyond it the upstream call is aborted and the caller gets a 502 in
 * its own protocol, for a plain answer and for a stream:true request answered without SSE (an
 * endless ndjson body, as Ollama sends). The worker keeps serving.
 */
import t from 'tap';
import { loadConfigText } from '@gatewayd/shared';
import { forkWorker, freePort, until } from '../helpers.js';
import { call, startScripted } from './helpers.js';

const CAP = 256 * 1024;
const ANTHROPIC = { 'anthropic-version': '2023-06-01' };

function completion(content: string): string {
  return JSON.stringify({
    id: 'c',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
}

t.test('answers longer than the cap: upstream aborted, 502 in the caller protocol, worker alive', async (t) => {
  /** How many ndjson bytes the endless upstream wrote before the gateway hung up. */
  const endless = { written: 0 };
  const upstream = await startScripted(t, (req, res) => {
    const prompt = req.body.toString('utf8');
    if (prompt.includes('small')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(completion('hello'));
    } else if (prompt.includes('big')) {
      // Valid JSON: without the cap the caller would get it as a 200.
      res.writeHead(200, { 'content-type': 'application/json' }).end(completion('x'.repeat(4 * CAP)));
    } else {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const line = `${JSON.stringify({ model: 'm', message: { role: 'assistant', content: 'y'.repeat(1000) }, done: false })}\n`;
      // Endless in spirit; stops at 64 MiB so a gateway without the cap fails this test instead of hanging it.
      const pump = (): void => {
        while (endless.written < 64 * 1024 * 1024 && !res.destroyed) {
          endless.written += line.length;
          if (!res.write(line)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    }
  });
  const port = await freePort();
  const config = loadConfigText(
    `
server: { host: 127.0.0.1, port: ${port}, workers: 1, drain_timeout: 5s }
logging: { level: warn }
routing: { retries: 0 }
providers:
  - { name: up, type: openai, base_url: "${upstream.url}/v1" }
models:
  - { name: m, targets: [{ provider: up, model: m }] }
`,
    '/test/core.yaml',
    {},
  ).config;
  const worker = await forkWorker(t, { config, env: { GATEWAYD_MAX_UPSTREAM_BODY: String(CAP) } });
  t.equal(worker.first.type, 'ready', worker.stderr());

  const big = await call(port, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'big' }] });
  t.equal(big.status, 502, 'a plain answer over the cap');
  t.match(big.json(), { error: { type: 'server_error', code: 'GW_ERR_UPSTREAM_ERROR', message: `provider up sent an answer longer than ${CAP} bytes, the most the gateway buffers` } });

  const ndjson = await call(port, '/v1/messages', { model: 'm', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'endless' }] }, ANTHROPIC);
  t.equal(ndjson.status, 502, 'stream:true answered with an endless non-SSE body');
  t.match(ndjson.json(), { type: 'error', error: { type: 'api_error', message: /longer than 262144 bytes/ } });
  // 'close' on the upstream side can come a turn after the 502 reaches this process.
  await until('the gateway to hang up on the upstream', () => upstream.requests[1]?.aborted === true);
  t.pass('the gateway hung up on the upstream');
  t.ok(endless.written < 16 * 1024 * 1024, `the upstream wrote ${endless.written} bytes, not its 64 MiB`);

  const small = await call(port, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'small' }] });
  t.equal(small.status, 200, 'the worker still serves');
  t.match(small.json(), { choices: [{ message: { content: 'hello' } }] });
  t.equal(worker.child.exitCode, null);
  t.equal(upstream.requests.length, 3, 'retries: 0, one upstream call each');
});
