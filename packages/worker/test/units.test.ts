import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMockStream, mockCompletionBody, mockContent, nextBurst, planMockAnswer, resolveMockOptions, streamFinished } from '../src/providers/mock/index.js';
import { isSaneRequestId, requestIdFor } from '../src/request-id.js';
import { createWorkerLogger } from '../src/log.js';
import { parseChatRequest } from '../src/routes/chat-request.js';
import { testConfig, until } from './helpers.js';

const messages = [
  { role: 'system', content: 'x' },
  { role: 'user', content: [{ type: 'text', text: 'first part' }, { type: 'image_url', image_url: { url: 'http://x' } }, { type: 'text', text: 'second' }] },
];

t.test('mock plan and plain body are deterministic', async (t) => {
  const input = { messages, model: 'demo', requestId: 'r1', chunks: 7, nowMs: 1_700_000_000_500 };
  const plan = planMockAnswer(input);
  t.same(planMockAnswer(input), plan, 'same input, same plan');
  t.equal(mockContent(plan), 'Mock reply to: first part second Mock', 'text from the last user message, cycled to 7 words');
  const body = JSON.parse(mockCompletionBody(plan)) as Record<string, unknown>;
  t.match(body, { id: 'chatcmpl-r1', object: 'chat.completion', created: 1_700_000_000, model: 'demo', usage: { completion_tokens: 7 } });
  const empty = planMockAnswer({ ...input, messages: [{ role: 'user', content: '' }], chunks: 4 });
  t.equal(mockContent(empty), 'Mock reply from gatewayd.', 'a fixed reply when there is nothing to echo');
});

t.test('mock stream bursts: framing, counts, usage', async (t) => {
  const plan = planMockAnswer({ messages, model: 'de"mo', requestId: 'r2', chunks: 3, nowMs: 0 });
  for (const includeUsage of [false, true]) {
    const state = createMockStream(plan, includeUsage);
    const bursts: string[] = [];
    while (!streamFinished(state)) bursts.push(nextBurst(state));
    t.equal(bursts.length, 3, 'one burst per chunk');
    const frames = bursts.join('').split('\n\n').filter(Boolean);
    for (const f of frames) t.ok(f.startsWith('data: '), 'every frame is an SSE data line');
    const payloads = frames.map((f) => f.slice(6));
    t.equal(payloads.at(-1), '[DONE]');
    const chunks = payloads.slice(0, -1).map((p) => JSON.parse(p) as { model: string; choices: Array<{ delta: { content?: string } }>; usage?: unknown });
    t.equal(chunks.length, includeUsage ? 6 : 5);
    t.equal(chunks[0]?.model, 'de"mo', 'the model name is JSON-escaped');
    t.equal(chunks.slice(1, 4).map((c) => c.choices[0]?.delta.content).join(''), mockContent(plan), 'stream content equals the plain content');
    if (includeUsage) t.match(chunks.at(-1), { choices: [], usage: { completion_tokens: 3, total_tokens: plan.promptTokens + 3 } });
    else t.notOk(chunks.some((c) => 'usage' in c));
  }
});

t.test('mock options: config values, bounded header overrides', async (t) => {
  const provider = testConfig(1, { chunks: 9, chunkDelay: '20ms' }).providers[0];
  if (!provider) throw new Error('no provider');
  t.same(resolveMockOptions(provider, null), { chunks: 9, chunkDelayMs: 20, latencyMs: 0 });
  t.same(resolveMockOptions(provider, { chunks: '3', chunkDelayMs: '', latencyMs: '15' }), { chunks: 3, chunkDelayMs: 20, latencyMs: 15 });
  t.same(resolveMockOptions(provider, { chunks: '0', chunkDelayMs: '-5', latencyMs: '1e12' }), { chunks: 1, chunkDelayMs: 0, latencyMs: 300_000 }, 'clamped');
  t.same(resolveMockOptions(provider, { chunks: 'lots', chunkDelayMs: 'x', latencyMs: 'NaN' }), { chunks: 9, chunkDelayMs: 20, latencyMs: 0 }, 'garbage ignored');
});

t.test('request ids', async (t) => {
  t.ok(isSaneRequestId('abc-DEF_1.2:3/4+5=6'));
  for (const bad of ['', 'a b', 'a"b', 'é', 'x'.repeat(129), 'a\nb']) t.notOk(isSaneRequestId(bad), JSON.stringify(bad));
  t.equal(requestIdFor('keep-me'), 'keep-me');
  const generated = new Set(Array.from({ length: 1000 }, () => requestIdFor('')));
  t.equal(generated.size, 1000, 'generated ids are unique');
});

t.test('chat request validation', async (t) => {
  const ok = parseChatRequest(Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } })));
  t.ok(ok.ok);
  t.match(parseChatRequest(Buffer.from('{"model":"m","messages":[]}')), { ok: false, code: 'GW_ERR_BAD_REQUEST' }, 'empty messages');
  t.match(parseChatRequest(Buffer.from('{"model":"m","messages":[{"role":"user"}],"stream_options":{"include_usage":"yes"}}')), { ok: false, code: 'GW_ERR_BAD_REQUEST' });
  t.match(parseChatRequest(Buffer.from('nope')), { ok: false, code: 'GW_ERR_BAD_JSON' });
});

t.test('logger: base fields and redaction at any depth', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatewayd-log-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const logFile = join(dir, 'w.log');
  const { logger } = await createWorkerLogger({ logging: { level: 'info', format: 'json', log_prompts: false }, workerId: 2, generation: 5, logFile });
  logger.info(
    {
      authorization: 'Bearer top-secret-1',
      req: { headers: { authorization: 'Bearer top-secret-2', 'x-api-key': 'top-secret-3', accept: 'json' } },
      provider: { name: 'openai', api_keys: ['top-secret-4'] },
      keys: [{ name: 'team-a', key: 'top-secret-5' }],
      deep: { a: { b: { token: 'top-secret-6' } } },
    },
    'secrets',
  );
  await until('the line in the file', () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('"msg":"secrets"'));
  const text = readFileSync(logFile, 'utf8');
  t.notMatch(text, /top-secret/, 'no secret value reaches the log');
  const line = JSON.parse(text.trim()) as Record<string, unknown>;
  t.match(line, { worker: 2, generation: 5, pid: process.pid, msg: 'secrets', req: { headers: { accept: 'json', authorization: '[REDACTED]', 'x-api-key': '[REDACTED]' } }, provider: { name: 'openai', api_keys: '[REDACTED]' }, keys: [{ name: 'team-a', key: '[REDACTED]' }] });
});

t.test('a throwing handler answers 500 GW_ERR_INTERNAL, logs, and keeps counting right', async (t) => {
  const { createDispatcher } = await import('../src/http/router.js');
  const { WorkerState } = await import('../src/state.js');
  const pino = (await import('pino')).default;
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const worker = new WorkerState(logger, false);

  /** Records what a handler does to a uWS response; enough of the interface for the router. */
  const fakeResponse = () => {
    const calls: string[] = [];
    const res = {
      calls,
      body: '',
      writeStatus: (s: string) => (calls.push(`status ${s}`), res),
      writeHeader: (k: string, v: string) => (calls.push(`header ${k}: ${v}`), res),
      end: (body: string) => ((res.body = String(body)), calls.push('end'), res),
      cork: (fn: () => void) => (fn(), res),
      onAborted: () => res,
    };
    return res;
  };
  const fakeRequest = (path: string) => ({ getUrl: () => path, getMethod: () => 'get', getHeader: (h: string) => (h === 'x-request-id' ? 'boom-1' : '') });

  const routes = new Map([
    ['/throws', { get: () => { throw new Error('kaboom'); } }],
    ['/silent', { get: () => {} }],
  ]);
  const dispatch = createDispatcher(worker, routes);
  for (const path of ['/throws', '/silent']) {
    const res = fakeResponse();
    dispatch(res as never, fakeRequest(path) as never);
    t.ok(res.calls.includes('status 500 Internal Server Error'), `${path}: 500`);
    t.ok(res.calls.includes('header x-request-id: boom-1'), `${path}: x-request-id`);
    t.match(JSON.parse(res.body), { error: { code: 'GW_ERR_INTERNAL', type: 'server_error' } });
  }
  t.equal(worker.inFlight, 0, 'nothing left in flight');
  t.equal(worker.requestsTotal, 2);
  t.match(lines.join(''), /kaboom/, 'the exception is logged');
  t.match(lines.join(''), /"msg":"request handler failed"/);
});
