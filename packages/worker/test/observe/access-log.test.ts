/**
 * The access log of a real daemon (`start --daemon`, log file): one line per API request on every
 * path (success, stream, 401, 400, 404, upstream failure, client abort), with the documented
 * fields; prompt and completion text only with logging.log_prompts; secrets never; pretty format.
 */
import t from 'tap';
import { request } from 'node:http';
import { startFakeOpenai, startGateway, type FakeUpstream, type Gateway } from '../fakes/index.js';
import { accessLines, chatBody, http, logText, requestId, until, type AccessRecord } from './helpers.js';

const SECRETS = { TEAM_A_KEY: 'gw-team-a-secret-5b2c9d', OPENAI_KEY: 'sk-upstream-secret-8e7f6a5b4c3d2e1f' };
const CANARY = 'CANARY-PROMPT-7d1e0c';

async function upstream(): Promise<FakeUpstream> {
  const fake = await startFakeOpenai({ requireKey: SECRETS.OPENAI_KEY });
  t.teardown(() => fake.close());
  return fake;
}

function yaml(fake: FakeUpstream): string {
  return `
logging: { level: info }
auth: { mode: gateway, keys: [{ name: team-a, key: "\${TEAM_A_KEY}" }] }
routing: { retries: 0 }
providers:
  - { name: local, type: mock, chunks: 4 }
  - { name: up, type: openai, base_url: "${fake.url}", api_keys: ["\${OPENAI_KEY}"] }
models:
  - { name: demo, targets: [{ provider: local, model: demo }] }
  - { name: gpt, targets: [{ provider: up, model: gpt-4o-mini }] }
`;
}

const auth = { authorization: `Bearer ${SECRETS.TEAM_A_KEY}` };

async function lineFor(gw: Gateway, id: string): Promise<AccessRecord> {
  let found: AccessRecord | undefined;
  await until(`the access line of ${id}`, () => (found = accessLines(gw).find((l) => l.reqId === id)) !== undefined);
  return found as AccessRecord;
}

/** A stream the client abandons after its first bytes: the gateway logs 499. */
function abandonStream(gw: Gateway): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gw.port, method: 'POST', path: '/v1/chat/completions', agent: false, headers: { 'content-type': 'application/json', 'x-mock-chunks': '50', 'x-mock-chunk-delay-ms': '100', ...auth } }, (res) => {
      res.once('data', () => {
        resolve(String(res.headers['x-request-id']));
        req.destroy();
      });
    });
    req.on('error', () => undefined);
    req.on('response', () => undefined);
    setTimeout(() => reject(new Error('no first chunk')), 10_000).unref();
    req.end(JSON.stringify(chatBody('demo', CANARY, true)));
  });
}

t.test('one access line per request on every path; no prompt text, no secret', async (t) => {
  const fake = await upstream();
  const gw = await startGateway(t, yaml(fake), { workers: 1, env: SECRETS });

  const plain = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('gpt', CANARY), auth);
  t.equal(plain.status, 200, 'plain answer');
  t.match(await lineFor(gw, requestId(plain)), {
    msg: 'access',
    level: 30,
    method: 'POST',
    path: '/v1/chat/completions',
    keyName: 'team-a',
    model: 'gpt',
    provider: 'up',
    target: 'gpt-4o-mini',
    status: 200,
    promptTokens: 25,
    completionTokens: 9,
    cachedTokens: 8,
    ttftMs: null,
    cache: 'off',
    stream: false,
    attempts: 1,
    upstreamRequestId: /^req_/,
  });
  const plainLine = await lineFor(gw, requestId(plain));
  t.ok((plainLine.durationMs as number) > 0 && (plainLine.upstreamMs as number) > 0, 'durations');
  t.ok((plainLine.upstreamMs as number) <= (plainLine.durationMs as number), 'upstream time within the total');
  t.ok((plainLine.costUsd as number) > 0, 'gpt-4o-mini has a built-in price');

  const stream = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('demo', CANARY, true), auth);
  t.equal(stream.status, 200);
  const streamLine = await lineFor(gw, requestId(stream));
  t.match(streamLine, { model: 'demo', provider: 'local', target: 'demo', status: 200, stream: true, keyName: 'team-a' });
  t.ok(typeof streamLine.ttftMs === 'number' && streamLine.ttftMs <= (streamLine.durationMs as number), `time to first byte ${String(streamLine.ttftMs)} ms`);
  t.ok((streamLine.completionTokens as number) > 0, 'stream usage');

  const noKey = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('demo', CANARY), { authorization: 'Bearer gw-wrong-key' });
  t.equal(noKey.status, 401);
  t.match(await lineFor(gw, requestId(noKey)), { status: 401, keyName: null, provider: '', attempts: 0, upstreamMs: null });

  const badJson = await http(gw.port, 'POST', '/v1/chat/completions', '{"model":', auth);
  t.equal(badJson.status, 400);
  t.match(await lineFor(gw, requestId(badJson)), { status: 400, keyName: 'team-a' });

  const unknown = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('no-such-model', CANARY), auth);
  t.equal(unknown.status, 404);
  t.match(await lineFor(gw, requestId(unknown)), { status: 404, model: 'no-such-model', provider: '' });

  fake.script([{ kind: 'status', status: 500 }]);
  const failed = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('gpt', CANARY), auth);
  t.equal(failed.status, 502);
  t.match(await lineFor(gw, requestId(failed)), { status: 502, provider: 'up', attempts: 1, promptTokens: 0 });

  const abandoned = await abandonStream(gw);
  t.match(await lineFor(gw, abandoned), { status: 499, stream: true, provider: 'local' });

  const anthropic = await http(gw.port, 'POST', '/v1/messages', { model: 'demo', max_tokens: 50, messages: [{ role: 'user', content: CANARY }] }, { 'x-api-key': SECRETS.TEAM_A_KEY });
  t.equal(anthropic.status, 200);
  t.match(await lineFor(gw, requestId(anthropic)), { path: '/v1/messages', keyName: 'team-a', status: 200 });

  // Not API calls: no access line at info (the debug-level request line only).
  const health = await http(gw.port, 'GET', '/health/ready');
  t.equal(health.status, 200);
  const models = await http(gw.port, 'GET', '/v1/models', undefined, auth);
  t.equal(models.status, 200);

  // Every line above was awaited: the log is complete (stop() would delete the sandbox).
  const log = logText(gw);
  t.equal(accessLines(gw).length, 8, 'exactly one line per API request');
  t.notOk(accessLines(gw).some((l) => l.reqId === requestId(health) || l.reqId === requestId(models)), 'health and model list not logged at info');
  t.notMatch(log, CANARY, 'no prompt or completion text (log_prompts is off by default)');
  for (const [name, secret] of Object.entries(SECRETS)) t.notMatch(log, secret, `${name} never logged`);
  t.notOk(accessLines(gw).some((l) => 'prompt' in l || 'completion' in l), 'no prompt fields');
});

t.test('logging.log_prompts: the prompt and the completion (plain and streamed) are in the line', async (t) => {
  const fake = await upstream();
  const gw = await startGateway(t, yaml(fake), { workers: 1, env: { ...SECRETS, GATEWAYD__LOGGING__LOG_PROMPTS: 'true' } });
  const plain = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('demo', CANARY), auth);
  const stream = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('demo', CANARY, true), auth);
  const upstreamPlain = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('gpt', CANARY), auth);
  for (const answer of [plain, stream, upstreamPlain]) t.equal(answer.status, 200);
  t.match(await lineFor(gw, requestId(plain)), { prompt: [{ role: 'user', content: CANARY }], completion: `Mock reply to: ${CANARY}` });
  t.match(await lineFor(gw, requestId(stream)), { prompt: [{ role: 'user', content: CANARY }], completion: `Mock reply to: ${CANARY}` });
  t.match(await lineFor(gw, requestId(upstreamPlain)), { completion: 'Hello from the fake OpenAI upstream.' });
  t.notMatch(logText(gw), SECRETS.OPENAI_KEY);
});

t.test('logging.format pretty: the access line is human-readable', async (t) => {
  const fake = await upstream();
  const gw = await startGateway(t, yaml(fake), { workers: 1, env: { ...SECRETS, GATEWAYD__LOGGING__FORMAT: 'pretty' } });
  const answer = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('demo', 'hi'), auth);
  t.equal(answer.status, 200);
  const id = requestId(answer);
  await until('the pretty access line', () => logText(gw).includes(id));
  const line = logText(gw).split('\n').find((l) => l.includes('access')) ?? '';
  t.match(line, /INFO.*access/, 'pino-pretty layout');
  t.notOk(line.trimStart().startsWith('{'), 'not JSON');
  t.match(logText(gw), `reqId: "${id}"`);
});
