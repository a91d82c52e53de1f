/**
 * An upstream that echoes what it received (its headers) in its error answers must not hand the
 * operator's provider key to callers: not in the gateway's error message (502), not in a 4xx
 * body passed through, not in /health/providers.
 */
import { createServer } from 'node:http';
import t, { type Test } from 'tap';
import { startGateway } from '../fakes/index.js';
import { admin, chatBody, http, until } from './helpers.js';

const PROVIDER_KEY = 'sk-proj-echoed-operator-key-9f8e7d6c5b4a';
const HEADER_CREDENTIAL = 'echoed-header-credential-1a2b3c4d';
const GW_KEY = 'gw-echo-test-key-0123456789';

/** An upstream whose error answers (status by URL) echo the request's headers; its base URL. */
async function startEcho(t: Test, statusFor: (url: string) => number): Promise<string> {
  const echo = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = statusFor(req.url ?? '');
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `I received ${JSON.stringify(req.headers)}`, type: status >= 500 ? 'server_error' : 'invalid_request_error', code: null } }));
    });
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => echo.close(() => resolve())));
  return `http://127.0.0.1:${(echo.address() as { port: number }).port}`;
}

t.test('upstream error text echoing the provider key is scrubbed before callers see it', async (t) => {
  const base = await startEcho(t, (url) => (url.includes('bad') ? 400 : 500));
  const gw = await startGateway(
    t,
    `
logging: { level: warn }
auth: { mode: gateway, keys: [{ name: echo, key: "${GW_KEY}" }] }
routing: { retries: 0 }
providers:
  - { name: fails, type: openai, base_url: "${base}/v1", api_keys: ["${PROVIDER_KEY}"], headers: { x-extra-token: "${HEADER_CREDENTIAL}" } }
  - { name: refuses, type: openai, base_url: "${base}/bad/v1", api_keys: ["${PROVIDER_KEY}"] }
models:
  - { name: fails, targets: [{ provider: fails, model: m }] }
  - { name: refuses, targets: [{ provider: refuses, model: m }] }
`,
    { workers: 1 },
  );
  const as = { authorization: `Bearer ${GW_KEY}` };
  const failed = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('fails', 'hi'), as);
  t.equal(failed.status, 502);
  t.match(failed.text, 'I received', "the upstream's message is there");
  const refused = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('refuses', 'hi'), as);
  t.equal(refused.status, 400, 'a 4xx passes through');
  t.match(refused.text, 'I received');
  // Workers report provider health to the supervisor about once a second.
  await until("/health/providers shows the upstream's last error", async () => (await admin(gw, '/health/providers')).text.includes('I received'));
  const health = (await admin(gw, '/health/providers')).text;
  for (const [name, text] of Object.entries({ '502 answer': failed.text, '400 answer': refused.text, '/health/providers': health })) {
    t.notMatch(text, PROVIDER_KEY, `${name}: no provider key`);
    t.notMatch(text, HEADER_CREDENTIAL, `${name}: no credential header value`);
  }
  t.match(failed.text, '[REDACTED]', 'scrubbed, not dropped');
});

t.test("a caller's own provider key (hybrid mode), of any shape, echoed in an upstream error: not in /health/providers or logs", async (t) => {
  const CALLER_KEY = 'gsk_callers-own-groq-style-key-77aa88bb';
  const base = await startEcho(t, () => 500);
  const gw = await startGateway(
    t,
    `
logging: { level: debug }
auth: { mode: hybrid, keys: [{ name: echo, key: "${GW_KEY}" }] }
routing: { retries: 0 }
providers:
  - { name: byok, type: openai, base_url: "${base}/v1" }
models:
  - { name: byok, targets: [{ provider: byok, model: m }] }
`,
    { workers: 1 },
  );
  const failed = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('byok', 'hi'), { authorization: `Bearer ${CALLER_KEY}` });
  t.equal(failed.status, 502);
  await until("/health/providers shows the upstream's last error", async () => (await admin(gw, '/health/providers')).text.includes('I received'));
  const health = (await admin(gw, '/health/providers')).text;
  t.notMatch(health, CALLER_KEY, "/health/providers: no caller's key");
  t.match(health, '[REDACTED]', 'scrubbed, not dropped');
  t.notMatch(failed.text, CALLER_KEY, 'nor in the error message');
  t.notMatch(gw.logs(), CALLER_KEY, 'nor in the logs');
});

t.test('an error event mid-stream echoing the provider key: scrubbed, passed through or translated', async (t) => {
  const streamer = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] })}\n\n`);
      setTimeout(() => res.end(`data: ${JSON.stringify({ error: { message: `I received ${JSON.stringify(req.headers)}`, type: 'server_error', code: null } })}\n\n`), 20);
    });
  });
  await new Promise<void>((resolve) => streamer.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => streamer.close(() => resolve())));
  const gw = await startGateway(
    t,
    `
logging: { level: warn }
auth: { mode: gateway, keys: [{ name: echo, key: "${GW_KEY}" }] }
providers:
  - { name: midway, type: openai, base_url: "http://127.0.0.1:${(streamer.address() as { port: number }).port}/v1", api_keys: ["${PROVIDER_KEY}"] }
models:
  - { name: midway, targets: [{ provider: midway, model: m }] }
`,
    { workers: 1 },
  );
  const as = { authorization: `Bearer ${GW_KEY}` };
  const passed = await http(gw.port, 'POST', '/v1/chat/completions', { ...chatBody('midway', 'hi'), stream: true }, as);
  const translated = await http(gw.port, 'POST', '/v1/messages', { model: 'midway', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] }, as);
  for (const [name, text] of Object.entries({ 'OpenAI caller (bytes pass through)': passed.text, 'Anthropic caller (translated)': translated.text })) {
    t.match(text, 'I received', `${name}: the upstream's message is there`);
    t.notMatch(text, PROVIDER_KEY, `${name}: no provider key`);
    t.match(text, '[REDACTED]', `${name}: scrubbed, not dropped`);
  }
});
