/**
 * Access lines of the two answers the shared state gives without an upstream call (issue 4), on a
 * real daemon with the cache on: a request refused by a rate limit (429) and a cache HIT each
 * produce exactly one access line, with their status and `cache` field, and no upstream attempt.
 */
import t from 'tap';
import { setTimeout as delay } from 'node:timers/promises';
import { startFakeOpenai, startGateway, type Gateway } from '../fakes/index.js';
import { accessLines, chatBody, http, requestId, until, type AccessRecord, type Answer } from './helpers.js';

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const KEYS = { capped: 'gw-access-capped-key-3c4d', free: 'gw-access-free-key-9e8f' };

const fake = await startFakeOpenai();
t.teardown(() => fake.close());
const gw = await startGateway(
  t,
  `
logging: { level: info }
cache: { enabled: true, ttl: 10m }
auth:
  mode: gateway
  keys:
    - { name: capped, key: "${KEYS.capped}", limits: { rpm: 1 } }
    - { name: free, key: "${KEYS.free}" }
routing: { retries: 0 }
providers:
  - { name: up, type: openai, base_url: "${fake.url}", api_keys: ["sk-access-upstream-key-1"] }
models:
  - { name: gpt, targets: [{ provider: up, model: gpt-4o-mini }] }
`,
  { workers: 1 },
);

const ask = (key: string, text: string) => http(gw.port, 'POST', '/v1/chat/completions', chatBody('gpt', text), { authorization: `Bearer ${key}` });

/** The single access line of a request; fails if there are several. */
async function onlyLineOf(t: Test, answer: Answer): Promise<AccessRecord> {
  const id = requestId(answer);
  await until(`the access line of ${id}`, () => accessLines(gw).some((l) => l.reqId === id));
  await delay(300); // a second line (finish run twice, a late error path) would be written by now
  const lines = accessLines(gw).filter((l) => l.reqId === id);
  t.equal(lines.length, 1, `exactly one access line for ${answer.status}`);
  return lines[0]!;
}

t.test('a request refused by a rate limit: one line, status 429, no upstream attempt', async (t) => {
  t.equal((await ask(KEYS.capped, 'first of the minute')).status, 200);
  const refused = await ask(KEYS.capped, 'second of the minute');
  t.equal(refused.status, 429);
  // A refused request is neither a hit nor a miss (it would drag the hit ratio down): no x-cache
  // header, cache "off" in the line, and not counted in the cache metrics.
  t.equal(refused.headers['x-cache'], undefined);
  t.match(await onlyLineOf(t, refused), { msg: 'access', status: 429, cache: 'off', keyName: 'capped', model: 'gpt', provider: '', attempts: 0, upstreamMs: null });
  t.equal(fake.requests.filter((r) => JSON.stringify(r.body).includes('second of the minute')).length, 0, 'never sent upstream');
});

t.test('a cache hit: one line, status 200, cache hit, no upstream attempt', async (t) => {
  const miss = await ask(KEYS.free, 'cache me');
  t.equal(miss.status, 200);
  t.equal(miss.headers['x-cache'], 'MISS');
  t.match(await onlyLineOf(t, miss), { status: 200, cache: 'miss', attempts: 1, provider: 'up' });

  const hit = await ask(KEYS.free, 'cache me');
  t.equal(hit.status, 200);
  t.equal(hit.headers['x-cache'], 'HIT', 'served from the cache');
  t.match(await onlyLineOf(t, hit), { msg: 'access', status: 200, cache: 'hit', keyName: 'free', model: 'gpt', attempts: 0, upstreamMs: null, promptTokens: 0 });
  t.equal(fake.requests.filter((r) => JSON.stringify(r.body).includes('cache me')).length, 1, 'the upstream answered once');
});
