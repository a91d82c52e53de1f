/**
 * The response cache on backend `redis`, through real gatewayd processes, a real redis-server
 * (started here on a free port) and the official SDKs: an answer stored by one gateway host is a
 * hit on another, a plain answer is replayed to a streaming caller, and `cache-control: no-cache`
 * bypasses the shared entry. The upstream fake counts what reached it.
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { fixtures, startFakeAnthropic, startFakeOpenai, startGateway } from '../fakes/index.js';
import { startRedis } from '../state/redis-server.js';

const KEY = 'gw-cache-redis-key-000001';
const OA_TEXT = 'Hello from the fake OpenAI upstream.';

const redis = await startRedis(t);
const oa = await startFakeOpenai();
const an = await startFakeAnthropic();
t.teardown(() => Promise.all([oa.close(), an.close()]));

const prefix = `gw-test:${randomBytes(4).toString('hex')}:`;
const yaml = `
logging: { level: warn }
state: { backend: redis, redis: { url: "${redis.url}", prefix: "${prefix}" } }
auth: { mode: gateway, keys: [{ name: cache, key: "${KEY}" }] }
routing: { retries: 0 }
cache: { enabled: true, ttl: 5m }
providers:
  - { name: oa, type: openai, base_url: "${oa.url}", api_keys: ["sk-oa"] }
  - { name: an, type: anthropic, base_url: "${an.url}", api_keys: ["sk-ant"] }
models:
  - { name: oa-model, targets: [{ provider: oa, model: gpt-4o-mini }] }
  - { name: an-model, targets: [{ provider: an, model: claude-sonnet-4-20250514 }] }
`;
// Two gateway "hosts" sharing one Redis.
const hostA = await startGateway(t, yaml, { workers: 1 });
const hostB = await startGateway(t, yaml, { workers: 1 });
const openaiVia = (url: string) => new OpenAI({ apiKey: KEY, baseURL: `${url}/v1`, maxRetries: 0 });
const prompt = (text: string) => ({ ...fixtures.openai.text('oa-model'), messages: [{ role: 'user' as const, content: text }] });

t.test('stored by one host, a hit on the other; replayed as a stream; no-cache bypasses', async (t) => {
  oa.reset();
  const body = prompt('shared across hosts');
  const miss = await openaiVia(hostA.url).chat.completions.create(body).withResponse();
  t.equal(miss.response.headers.get('x-cache'), 'MISS');
  t.equal(oa.requests.length, 1);

  // The store is fire-and-forget: wait until the other host can see it.
  let xCache: string | null = null;
  let content: string | null | undefined;
  for (let i = 0; i < 50 && xCache !== 'HIT'; i++) {
    const hit = await openaiVia(hostB.url).chat.completions.create(body).withResponse();
    xCache = hit.response.headers.get('x-cache');
    content = hit.data.choices[0]?.message.content;
    if (xCache !== 'HIT') await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.equal(xCache, 'HIT', 'host B answers from the entry host A stored');
  t.equal(content, OA_TEXT);
  const upstreamCalls = oa.requests.length;

  const stream = await openaiVia(hostB.url).chat.completions.create({ ...body, stream: true }).withResponse();
  t.equal(stream.response.headers.get('x-cache'), 'HIT', 'a streaming caller is served the plain answer');
  let text = '';
  for await (const chunk of stream.data) text += chunk.choices[0]?.delta.content ?? '';
  t.equal(text, OA_TEXT, 'replayed as SSE in full');
  t.equal(oa.requests.length, upstreamCalls, 'no upstream call for the hits');

  const bypass = await openaiVia(hostA.url).chat.completions.create(body, { headers: { 'cache-control': 'no-cache' } }).withResponse();
  t.equal(bypass.response.headers.get('x-cache'), 'MISS', 'not answered from the cache');
  t.equal(oa.requests.length, upstreamCalls + 1, 'no-cache went upstream');
});

t.test('an Anthropic caller: miss on one host, hit on the other', async (t) => {
  an.reset();
  const anthropicVia = (url: string) => new Anthropic({ apiKey: KEY, baseURL: url, maxRetries: 0 });
  const body = { ...fixtures.anthropic.text('an-model'), messages: [{ role: 'user' as const, content: 'anthropic across hosts' }] };
  const miss = await anthropicVia(hostA.url).messages.create(body).withResponse();
  t.equal(miss.response.headers.get('x-cache'), 'MISS');
  let xCache: string | null = null;
  for (let i = 0; i < 50 && xCache !== 'HIT'; i++) {
    const again = await anthropicVia(hostB.url).messages.create(body).withResponse();
    xCache = again.response.headers.get('x-cache');
    if (xCache !== 'HIT') await new Promise((resolve) => setTimeout(resolve, 20));
    else t.same(again.data.content, miss.data.content, 'the same content blocks');
  }
  t.equal(xCache, 'HIT');
  t.equal(an.requests.length, 1, 'only the first call reached the upstream');
});
