/**
 * Failover, retries, timeouts, the circuit breaker and key rotation against misbehaving upstreams
 * (500, 429 with retry-after, reset before headers, reset mid-stream, hang), asserting what the SDK
 * caller gets and what every upstream received. One worker, so breaker and key state are shared by
 * every request; each scenario has its own fakes so their failures never count against another.
 */
import t from 'tap';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { fixtures, startFakeAnthropic, startFakeOpenai, startGateway, type FakeOptions, type FakeUpstream } from '../fakes/index.js';
import { SseParser } from '../../src/protocol/sse/index.js';
import { anthropicClient, GW_KEY, openaiClient, rejection, type Json } from './setup.js';

const fakes: Record<string, FakeUpstream> = {};
const providerLines: string[] = [];
async function fake(name: string, type: 'openai' | 'anthropic', options: FakeOptions = {}): Promise<FakeUpstream> {
  const upstream = type === 'openai' ? await startFakeOpenai(options) : await startFakeAnthropic(options);
  t.teardown(() => upstream.close());
  fakes[name] = upstream;
  providerLines.push(`  - { name: ${name}, type: ${type}, base_url: "${upstream.url}", api_keys: ${options.requireKey ? '["sk-bad", "sk-good"]' : `["sk-${name}"]`} }`);
  return upstream;
}

const backup = await fake('backup', 'openai', { text: 'Hello from the backup.' });
const err500 = await fake('err500', 'openai');
const err429 = await fake('err429', 'openai');
const wait429 = await fake('wait429', 'openai');
const long429 = await fake('long429', 'openai');
const reset = await fake('reset', 'openai');
const midOpenai = await fake('midopenai', 'openai');
const midAnthropic = await fake('midanthropic', 'anthropic');
const hang = await fake('hang', 'openai');
const hangOnly = await fake('hangonly', 'openai');
const hangOnlyToo = await fake('hangonlytoo', 'openai');
const slow = await fake('slow', 'openai');
const allA = await fake('alla', 'openai');
const allB = await fake('allb', 'openai');
const allC = await fake('allc', 'anthropic');
const allD = await fake('alld', 'anthropic');
const breaker = await fake('breaker', 'openai', { text: 'Hello from the recovered target.' });
const crossFirst = await fake('crossfirst', 'openai');
const crossSecond = await fake('crosssecond', 'anthropic', { text: 'Hello from the Anthropic backup.' });
const keyed = await fake('keyed', 'openai', { requireKey: 'sk-good' });
const redirect = await fake('redirect', 'openai');
const redirectOnly = await fake('redirectonly', 'openai');

const model = (name: string, ...targets: string[]) => `  - { name: ${name}, targets: [${targets.map((p) => `{ provider: ${p}, model: m-${p} }`).join(', ')}] }`;
const yaml = `
server: { request_timeout: 1s, stream_idle_timeout: 1s }
logging: { level: warn }
auth: { mode: gateway, keys: [{ name: conformance, key: "${GW_KEY}" }] }
routing: { retries: 2, backoff_initial: 10ms, backoff_max: 50ms, retry_after_max: 3s, breaker_threshold: 3, breaker_cooldown: 1s, key_cooldown: 1s }
providers:
${providerLines.join('\n')}
models:
${model('err500-then-backup', 'err500', 'backup')}
${model('err429-then-backup', 'err429', 'backup')}
${model('wait429-only', 'wait429')}
${model('long429-only', 'long429')}
${model('reset-then-backup', 'reset', 'backup')}
${model('midopenai-then-backup', 'midopenai', 'backup')}
${model('midanthropic-then-backup', 'midanthropic', 'backup')}
${model('hang-then-backup', 'hang', 'backup')}
${model('hang-only', 'hangonly')}
${model('hang-only-too', 'hangonlytoo')}
${model('slow-only', 'slow')}
${model('all-openai', 'alla', 'allb')}
${model('all-anthropic', 'allc', 'alld')}
${model('breaker-then-backup', 'breaker', 'backup')}
${model('cross', 'crossfirst', 'crosssecond')}
${model('keyed', 'keyed')}
${model('redirect-then-backup', 'redirect', 'backup')}
${model('redirect-only', 'redirectonly')}
`;
const gw = await startGateway(t, yaml, { workers: 1 });
const openai = openaiClient(gw);
const anthropic = anthropicClient(gw);
const BACKUP = 'Hello from the backup.';
const DEFAULT_OPENAI_TEXT = 'Hello from the fake OpenAI upstream.';

function resetAll(): void {
  for (const f of Object.values(fakes)) f.reset();
}

async function rawSse(path: string, body: unknown, headers: Record<string, string>): Promise<{ raw: string; events: Array<{ event: string | undefined; data: string }> }> {
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const parser = new SseParser();
  const events: Array<{ event: string | undefined; data: string }> = [];
  let raw = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      raw += decoder.decode(chunk, { stream: true });
      events.push(...parser.push(chunk));
    }
  } catch {
    // A silently truncated stream shows up as a missing final event below.
  }
  events.push(...parser.end());
  return { raw, events };
}
const OPENAI_HEADERS = { authorization: `Bearer ${GW_KEY}` };
const ANTHROPIC_HEADERS = { 'x-api-key': GW_KEY, 'anthropic-version': '2023-06-01' };

t.test('500 before the first byte: the next target answers (plain and streamed)', async (t) => {
  resetAll();
  err500.script([{ kind: 'status', status: 500 }]);
  const plain = await openai.chat.completions.create(fixtures.openai.text('err500-then-backup'));
  t.equal(plain.choices[0]?.message.content, BACKUP);
  err500.script([{ kind: 'status', status: 500 }]);
  const streamed = await openai.chat.completions.stream(fixtures.openai.text('err500-then-backup')).finalChatCompletion();
  t.equal(streamed.choices[0]?.message.content, BACKUP);
  t.equal(err500.requests.length, 2, 'the failing target was tried once per request');
  t.equal(backup.requests.length, 2, 'the backup answered both');
  t.equal((backup.requests[1]?.body as Json).model, 'm-backup', 'the backup gets its own model name');
});

t.test('a redirect where an answer belongs (a wrong base_url): the next target answers; alone, a 502 that says so', async (t) => {
  resetAll();
  const moved = { kind: 'status' as const, status: 301, headers: { location: 'https://api.example.com/v1/chat/completions?key=sk-secret-in-query' }, body: '' };
  redirect.script([moved]);
  const res = await openai.chat.completions.create(fixtures.openai.text('redirect-then-backup'));
  t.equal(res.choices[0]?.message.content, BACKUP, 'failed over');
  t.equal(redirect.requests.length, 1);
  redirectOnly.script([moved, moved, moved]);
  const err = await rejection(openai.chat.completions.create(fixtures.openai.text('redirect-only')));
  t.ok(err instanceof OpenAI.APIError && err.status === 502, `502: ${String(err)}`);
  t.match(String((err as InstanceType<typeof OpenAI.APIError>).message), /answered 301 \(a redirect to https:\/\/api\.example\.com\/v1\/chat\/completions: check its base_url\)/);
  t.notOk(String(err).includes('sk-secret-in-query'), 'the query of the location is not quoted');
  t.equal(redirectOnly.requests.length, 3, 'retried like a 5xx');
});

t.test('429 with retry-after: failover to the next target', async (t) => {
  resetAll();
  err429.script([{ kind: 'status', status: 429, headers: { 'retry-after': '2' } }]);
  const res = await openai.chat.completions.create(fixtures.openai.text('err429-then-backup'));
  t.equal(res.choices[0]?.message.content, BACKUP);
  t.equal(err429.requests.length, 1);
  t.equal(backup.requests.length, 1);
});

t.test('429 with retry-after on the only target: waited for, then retried', async (t) => {
  resetAll();
  // retry-after 2 s > key_cooldown 1 s: the key cools down exactly as long as the upstream asked.
  wait429.script([{ kind: 'status', status: 429, headers: { 'retry-after': '2' } }]);
  const started = Date.now();
  const res = await openai.chat.completions.create(fixtures.openai.text('wait429-only'));
  t.equal(res.choices[0]?.message.content, DEFAULT_OPENAI_TEXT);
  t.equal(wait429.requests.length, 2, 'retried once');
  t.ok(Date.now() - started >= 1_900, `the retry waited for retry-after (took ${Date.now() - started} ms)`);
});

t.test('429 with a retry-after beyond retry_after_max is not waited for', async (t) => {
  resetAll();
  long429.script([{ kind: 'status', status: 429, headers: { 'retry-after': '60' } }]);
  const started = Date.now();
  const outcome = await openai.chat.completions.create(fixtures.openai.text('long429-only')).then(
    (ok) => ({ ok }),
    (err: Error) => ({ err }),
  );
  t.ok(Date.now() - started < 10_000, `the caller was not held for the 60 s retry-after (took ${Date.now() - started} ms)`);
  if ('err' in outcome) {
    t.ok(outcome.err instanceof OpenAI.RateLimitError, `a 429 reaches the caller (got ${outcome.err.constructor.name}: ${outcome.err.message})`);
  } else {
    t.equal(outcome.ok.choices[0]?.message.content, DEFAULT_OPENAI_TEXT, 'or a prompt retry succeeded');
  }
});

t.test('reset before headers: the next target answers', async (t) => {
  resetAll();
  reset.script([{ kind: 'reset-before-headers' }]);
  const res = await openai.chat.completions.create(fixtures.openai.text('reset-then-backup'));
  t.equal(res.choices[0]?.message.content, BACKUP);
  t.equal(reset.requests.length, 1);
  t.equal(backup.requests.length, 1);
});

t.test('reset mid-stream after the first bytes: an error event in the caller protocol, no failover', async (t) => {
  resetAll();
  // OpenAI caller, OpenAI upstream (pass-through): the SDK raises; the text so far is a prefix.
  midOpenai.script([{ kind: 'reset-mid-stream', afterEvents: 3 }]);
  const stream = await openai.chat.completions.create({ ...fixtures.openai.text('midopenai-then-backup'), stream: true });
  let text = '';
  const err = await rejection(
    (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    })(),
  );
  t.ok(err instanceof OpenAI.APIError, `the SDK raises an APIError (got ${err.constructor.name}: ${err.message})`);
  t.ok(text.length > 0 && DEFAULT_OPENAI_TEXT.startsWith(text), `the text received is a prefix: ${JSON.stringify(text)}`);

  // The same on the wire: a data: {"error":...} event and no [DONE].
  midOpenai.script([{ kind: 'reset-mid-stream', afterEvents: 3 }]);
  const openaiWire = await rawSse('/v1/chat/completions', { ...fixtures.openai.text('midopenai-then-backup'), stream: true }, OPENAI_HEADERS);
  t.notOk(openaiWire.raw.includes('[DONE]'), 'no [DONE] after a failure');
  const lastOpenai = JSON.parse(openaiWire.events.at(-1)?.data ?? '{}') as Json;
  t.match(lastOpenai, { error: { message: String, type: String } }, `ends with an OpenAI error event: ${openaiWire.raw.slice(-300)}`);

  // Anthropic caller of the same (translated) stream: event: error, no message_stop.
  midOpenai.script([{ kind: 'reset-mid-stream', afterEvents: 3 }]);
  const translated = await rawSse('/v1/messages', { ...fixtures.anthropic.text('midopenai-then-backup'), stream: true }, ANTHROPIC_HEADERS);
  t.equal(translated.events.at(-1)?.event, 'error', `ends with event: error: ${translated.raw.slice(-300)}`);
  t.match(JSON.parse(translated.events.at(-1)?.data ?? '{}'), { type: 'error', error: { type: String, message: String } });
  t.notOk(translated.events.some((e) => e.event === 'message_stop'), 'no message_stop');

  // Anthropic caller, Anthropic upstream (pass-through), through the SDK.
  midAnthropic.script([{ kind: 'reset-mid-stream', afterEvents: 4 }]);
  const anthropicErr = await rejection(anthropic.messages.stream(fixtures.anthropic.text('midanthropic-then-backup')).finalMessage());
  t.ok(anthropicErr instanceof Anthropic.APIError, `the Anthropic SDK raises an APIError (got ${anthropicErr.constructor.name}: ${anthropicErr.message})`);
  midAnthropic.script([{ kind: 'reset-mid-stream', afterEvents: 4 }]);
  const passthrough = await rawSse('/v1/messages', { ...fixtures.anthropic.text('midanthropic-then-backup'), stream: true }, ANTHROPIC_HEADERS);
  t.equal(passthrough.events.at(-1)?.event, 'error', `pass-through ends with event: error: ${passthrough.raw.slice(-300)}`);

  // OpenAI caller of a translated Anthropic stream.
  midAnthropic.script([{ kind: 'reset-mid-stream', afterEvents: 4 }]);
  const toOpenai = await rawSse('/v1/chat/completions', { ...fixtures.openai.text('midanthropic-then-backup'), stream: true }, OPENAI_HEADERS);
  t.match(JSON.parse(toOpenai.events.at(-1)?.data ?? '{}'), { error: { message: String } }, `translated stream ends with an error event: ${toOpenai.raw.slice(-300)}`);
  t.notOk(toOpenai.raw.includes('[DONE]'));

  t.equal(backup.requests.length, 0, 'no failover once bytes reached the caller');
});

t.test('a hanging upstream: request timeout, then the next target', async (t) => {
  resetAll();
  hang.script([{ kind: 'hang' }]);
  const res = await openai.chat.completions.create(fixtures.openai.text('hang-then-backup'));
  t.equal(res.choices[0]?.message.content, BACKUP);
  t.equal(backup.requests.length, 1);
  await hang.waitFor('the gateway to close the hanging request', (r) => r[0]?.aborted === true, 5_000).then(() => t.pass('the hanging request was closed'), (e: Error) => t.fail(e.message));
});

t.test('a hanging only target: 504 in the caller protocol', async (t) => {
  resetAll();
  hangOnly.script([{ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' }]);
  const err = await rejection(openai.chat.completions.create(fixtures.openai.text('hang-only')));
  t.equal(err.status, 504, `504 (got ${String(err.status)}: ${err.message})`);
  t.equal(err.error?.type, 'server_error');
  // Another target: three timeouts opened the first one's breaker (breaker_threshold 3).
  hangOnlyToo.script([{ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' }]);
  const anthropicErr = await rejection(anthropic.messages.create(fixtures.anthropic.text('hang-only-too')));
  t.equal(anthropicErr.status, 504, `504 (got ${String(anthropicErr.status)}: ${anthropicErr.message})`);
  t.equal(anthropicErr.error?.type, 'error');
});

t.test('a slow but live stream outlives request_timeout: the idle timer restarts on every chunk', async (t) => {
  resetAll();
  // 400 ms between chunks (idle timeout 1 s), about 3 s in all (request timeout 1 s).
  slow.script([{ kind: 'slow-stream', delayMs: 400 }]);
  const final = await openai.chat.completions.stream(fixtures.openai.text('slow-only')).finalChatCompletion();
  t.equal(final.choices[0]?.message.content, DEFAULT_OPENAI_TEXT);
});

t.test('every target fails: 502 in the caller protocol after 1 + retries attempts', async (t) => {
  resetAll();
  const fail3 = [{ kind: 'status' as const, status: 500 }, { kind: 'status' as const, status: 500 }, { kind: 'status' as const, status: 500 }];
  allA.script(fail3);
  allB.script(fail3);
  const err = await rejection(openai.chat.completions.create(fixtures.openai.text('all-openai')));
  t.ok(err instanceof OpenAI.InternalServerError, `InternalServerError (got ${err.constructor.name}: ${err.message})`);
  t.equal(err.status, 502);
  t.match(err.error, { message: String, type: 'server_error' });
  t.equal(allA.requests.length + allB.requests.length, 3, 'retries: 2 -> three attempts in all');
  t.ok(allA.requests.length >= 1 && allB.requests.length >= 1, 'both targets were tried');

  allC.script(fail3);
  allD.script(fail3);
  const anthropicErr = await rejection(anthropic.messages.create(fixtures.anthropic.text('all-anthropic')));
  t.ok(anthropicErr instanceof Anthropic.InternalServerError, `InternalServerError (got ${anthropicErr.constructor.name}: ${anthropicErr.message})`);
  t.equal(anthropicErr.status, 502);
  t.match(anthropicErr.error, { type: 'error', error: { type: 'api_error', message: String } });
  t.equal(allC.requests.length + allD.requests.length, 3);
});

t.test('circuit breaker: opens after breaker_threshold failures, half-open probe after the cooldown', async (t) => {
  resetAll();
  breaker.script([{ kind: 'status', status: 500 }, { kind: 'status', status: 500 }, { kind: 'status', status: 500 }]);
  for (let i = 0; i < 3; i++) {
    const res = await openai.chat.completions.create(fixtures.openai.text('breaker-then-backup'));
    t.equal(res.choices[0]?.message.content, BACKUP, `request ${i + 1}: failover`);
  }
  t.equal(breaker.requests.length, 3);
  const whileOpen = await openai.chat.completions.create(fixtures.openai.text('breaker-then-backup'));
  t.equal(whileOpen.choices[0]?.message.content, BACKUP);
  t.equal(breaker.requests.length, 3, 'an open breaker skips the target');
  // After breaker_cooldown (1 s) one probe goes through; it succeeds and closes the breaker.
  const deadline = Date.now() + 8_000;
  let probeAnswer = '';
  while (breaker.requests.length === 3 && Date.now() < deadline) {
    const res = await openai.chat.completions.create(fixtures.openai.text('breaker-then-backup'));
    probeAnswer = res.choices[0]?.message.content ?? '';
    if (breaker.requests.length === 3) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(breaker.requests.length, 4, 'a half-open probe reached the target');
  t.equal(probeAnswer, 'Hello from the recovered target.', 'the probe answer reached the caller');
  const closed = await openai.chat.completions.create(fixtures.openai.text('breaker-then-backup'));
  t.equal(closed.choices[0]?.message.content, 'Hello from the recovered target.', 'the breaker closed again');
});

t.test('failover across protocols: an OpenAI target fails, the Anthropic one answers both callers', async (t) => {
  resetAll();
  crossFirst.script([{ kind: 'status', status: 503 }]);
  const viaOpenai = await openai.chat.completions.create(fixtures.openai.text('cross'));
  t.equal(viaOpenai.choices[0]?.message.content, 'Hello from the Anthropic backup.');
  crossFirst.script([{ kind: 'status', status: 503 }]);
  const viaAnthropic = await anthropic.messages.stream(fixtures.anthropic.text('cross')).finalMessage();
  t.match(viaAnthropic.content, [{ type: 'text', text: 'Hello from the Anthropic backup.' }]);
  t.equal(crossFirst.requests.length, 2);
  t.equal(crossSecond.requests.length, 2);
  t.equal((crossSecond.requests[0]?.body as Json).model, 'm-crosssecond');
});

t.test('api key rotation: a key rejected with 401 cools down, the next key serves', async (t) => {
  resetAll();
  for (let i = 0; i < 4; i++) {
    const res = await openai.chat.completions.create(fixtures.openai.text('keyed'));
    t.equal(res.choices[0]?.message.content, DEFAULT_OPENAI_TEXT, `request ${i + 1} answered`);
  }
  const bad = keyed.requests.filter((r) => r.key === 'sk-bad').length;
  t.ok(bad <= 1, `the rejected key was used at most once (used ${bad} times)`);
  t.equal(keyed.requests.filter((r) => r.key === 'sk-good').length, 4);
});
