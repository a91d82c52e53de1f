/**
 * Backend local through the real gatewayd (supervisor + 2 workers): a burst spread over both
 * workers lets exactly the limit through, for key, model and global limits; refusals are 429s in
 * the caller's shape with retry-after and the OpenAI or Anthropic rate-limit headers, which
 * admitted answers carry too; the official SDKs see a rate-limit error.
 */
import t from 'tap';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import type { Asserts } from '../conformance/expect-upstream.js';
import { startGateway } from '../fakes/index.js';
import { burst, chatBody, countStatuses, header, messagesBody, OPENAI_RESET, post, workerOf, type Json, type Reply } from './helpers.js';

const OA_KEY = 'gw-burst-openai-key-0001';
const AN_KEY = 'gw-burst-anthropic-key-0002';
const FREE_KEY = 'gw-burst-free-key-0003';
const BIG_KEY = 'gw-burst-big-key-0004';
/** Large enough for credits (workers admitting on slices of the budget without asking the supervisor). */
const BIG_RPM = 200;
const RPM = 12;

const gw = await startGateway(
  t,
  `
logging: { level: warn }
auth:
  mode: gateway
  keys:
    - { name: oa, key: "${OA_KEY}", limits: { rpm: ${RPM}, tpm: 1000000 } }
    - { name: an, key: "${AN_KEY}", limits: { rpm: ${RPM}, tpm: 1000000 } }
    - { name: free, key: "${FREE_KEY}" }
    - { name: big, key: "${BIG_KEY}", limits: { rpm: ${BIG_RPM} } }
providers:
  - { name: local, type: mock, chunks: 2 }
models:
  - { name: demo, targets: [{ provider: local, model: demo }] }
  - { name: capped, limits: { rpm: 5 }, targets: [{ provider: local, model: demo }] }
`,
  { workers: 2 },
);

function expectWorkersShared(t: Asserts, replies: Reply[]): void {
  const workers = new Set(replies.map(workerOf));
  t.ok(workers.size >= 2, `the burst reached both workers (${[...workers].join(', ')})`);
}

t.test('openai callers: a burst of 3x rpm across 2 workers admits exactly rpm', async (t) => {
  const replies = await burst(3 * RPM, (i) => post(gw.url, '/v1/chat/completions', chatBody('demo', `burst ${i}`), { authorization: `Bearer ${OA_KEY}` }));
  t.same(countStatuses(replies), { 200: RPM, 429: 2 * RPM }, 'exactly rpm admitted');
  expectWorkersShared(t, replies);

  const admitted = replies.filter((r) => r.status === 200);
  // Each admission saw the one before it: remaining counts down rpm-1 .. 0, whichever worker answered.
  t.same(admitted.map((r) => Number(header(r, 'x-ratelimit-remaining-requests'))).sort((a, b) => a - b), Array.from({ length: RPM }, (_, i) => i), 'remaining counts down exactly');
  for (const r of admitted) {
    t.equal(header(r, 'x-ratelimit-limit-requests'), String(RPM));
    t.match(header(r, 'x-ratelimit-reset-requests'), OPENAI_RESET);
    t.equal(header(r, 'x-ratelimit-limit-tokens'), '1000000');
    t.ok(Number(header(r, 'x-ratelimit-remaining-tokens')) < 1000000, 'tokens reserved');
    t.equal(header(r, 'anthropic-ratelimit-requests-limit'), undefined, 'no anthropic headers for an openai caller');
    t.equal(header(r, 'x-cache'), undefined, 'no x-cache while the cache is off');
  }
  const refused = replies.filter((r) => r.status === 429);
  for (const r of refused) {
    const retryAfter = Number(header(r, 'retry-after'));
    t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `retry-after is whole seconds within the window (${retryAfter})`);
    t.equal(header(r, 'x-ratelimit-limit-requests'), String(RPM));
    t.equal(header(r, 'x-ratelimit-remaining-requests'), '0');
    t.match(header(r, 'x-ratelimit-reset-requests'), OPENAI_RESET);
    t.match(header(r, 'x-ratelimit-reset-tokens'), OPENAI_RESET);
    t.ok(header(r, 'x-request-id'));
    const body = JSON.parse(r.body) as Json;
    t.match(body, { error: { type: 'rate_limit_error', code: 'GW_ERR_RATE_LIMITED', message: /key "oa".*requests per minute/ } });
  }

  // The official SDK sees a RateLimitError with the headers.
  const client = new OpenAI({ apiKey: OA_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const err = await client.chat.completions.create(chatBody('demo', 'one more') as OpenAI.ChatCompletionCreateParamsNonStreaming).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof OpenAI.RateLimitError, 'openai SDK raises RateLimitError');
  t.equal((err as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('x-ratelimit-remaining-requests'), '0');
});

t.test('anthropic callers: exactly rpm, anthropic-ratelimit-* headers with RFC 3339 resets', async (t) => {
  const before = Date.now();
  const replies = await burst(3 * RPM, (i) => post(gw.url, '/v1/messages', messagesBody('demo', `burst ${i}`), { 'x-api-key': AN_KEY, 'anthropic-version': '2023-06-01' }));
  t.same(countStatuses(replies), { 200: RPM, 429: 2 * RPM }, 'exactly rpm admitted');
  expectWorkersShared(t, replies);
  for (const r of replies) {
    t.equal(header(r, 'anthropic-ratelimit-requests-limit'), String(RPM));
    t.equal(header(r, 'anthropic-ratelimit-tokens-limit'), '1000000');
    for (const name of ['anthropic-ratelimit-requests-reset', 'anthropic-ratelimit-tokens-reset']) {
      const reset = header(r, name) ?? '';
      t.match(reset, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, `${name} is RFC 3339`);
      const at = Date.parse(reset);
      t.ok(at >= before && at <= Date.now() + 61_000, `${name} is within the next window`);
    }
    t.equal(header(r, 'x-ratelimit-limit-requests'), undefined, 'no openai headers for an anthropic caller');
  }
  const refused = replies.filter((r) => r.status === 429);
  for (const r of refused) {
    t.equal(header(r, 'anthropic-ratelimit-requests-remaining'), '0');
    t.ok(Number(header(r, 'retry-after')) >= 1);
    t.match(JSON.parse(r.body) as Json, { type: 'error', error: { type: 'rate_limit_error' } });
  }
  const client = new Anthropic({ apiKey: AN_KEY, baseURL: gw.url, maxRetries: 0 });
  const err = await client.messages.create(messagesBody('demo', 'one more') as Anthropic.MessageCreateParamsNonStreaming).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof Anthropic.RateLimitError, 'anthropic SDK raises RateLimitError');
});

t.test('a model limit holds across callers and workers', async (t) => {
  const replies = await burst(15, (i) => post(gw.url, '/v1/chat/completions', chatBody('capped', `capped ${i}`), { authorization: `Bearer ${FREE_KEY}` }));
  t.same(countStatuses(replies), { 200: 5, 429: 10 });
  const refused = replies.find((r) => r.status === 429) as Reply;
  t.match(JSON.parse(refused.body) as Json, { error: { message: /model "capped": 5 requests per minute/ } });
  // The key has no limit of its own: its other model is not affected.
  t.equal((await post(gw.url, '/v1/chat/completions', chatBody('demo', 'free'), { authorization: `Bearer ${FREE_KEY}` })).status, 200);
});

t.test('a global limit holds across keys and models', async (t) => {
  const global = await startGateway(
    t,
    `
logging: { level: warn }
limits: { rpm: 7 }
providers: [{ name: local, type: mock, chunks: 2 }]
models:
  - { name: one, targets: [{ provider: local, model: demo }] }
  - { name: two, targets: [{ provider: local, model: demo }] }
`,
    { workers: 2 },
  );
  const replies = await burst(20, (i) => post(global.url, '/v1/chat/completions', chatBody(i % 2 === 0 ? 'one' : 'two', `global ${i}`)));
  t.same(countStatuses(replies), { 200: 7, 429: 13 });
  t.match(JSON.parse((replies.find((r) => r.status === 429) as Reply).body) as Json, { error: { message: /the gateway: 7 requests per minute/ } });
});

t.test('a limit large enough for credits: waves across 2 workers still admit exactly rpm', async (t) => {
  const replies: Reply[] = [];
  // The first wave brings each worker a credit; the next ones run into the end of the budget.
  for (let wave = 0; wave < 4; wave++) {
    replies.push(...(await burst(75, (i) => post(gw.url, '/v1/chat/completions', chatBody('demo', `big ${wave} ${i}`), { authorization: `Bearer ${BIG_KEY}` }))));
  }
  t.same(countStatuses(replies), { 200: BIG_RPM, 429: 300 - BIG_RPM }, 'exactly rpm admitted');
  expectWorkersShared(t, replies);
  const refused = replies.filter((r) => r.status === 429);
  t.ok(refused.every((r) => Number(header(r, 'retry-after')) >= 50), 'refused until the first requests leave the window');
});

t.test('the counters survive a rolling reload (the store lives in the supervisor)', async (t) => {
  const before = await post(gw.url, '/v1/chat/completions', chatBody('demo', 'before the reload'), { authorization: `Bearer ${OA_KEY}` });
  t.equal(before.status, 429, 'the key is at its limit');
  const reload = await gw.cli('reload', '--pid-file', gw.pidFile);
  t.equal(reload.code, 0, `reload: ${reload.stdout}${reload.stderr}`);
  const replies = await burst(6, (i) => post(gw.url, '/v1/chat/completions', chatBody('demo', `after the reload ${i}`), { authorization: `Bearer ${OA_KEY}` }));
  t.same(countStatuses(replies), { 429: 6 }, 'the new workers see the same counters');
  t.equal(header(replies[0] as Reply, 'x-ratelimit-remaining-requests'), '0');
});
