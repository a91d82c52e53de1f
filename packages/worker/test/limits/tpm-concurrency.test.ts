/**
 * TPM reconciliation and concurrency slots through the real gatewayd, on backend local and on
 * backend redis (a redis-server started here on a free port):
 * - a streamed answer's reservation (estimated prompt + max_tokens) becomes its REAL usage when
 *   the stream ends, so a second request is admitted or refused by what was used, not estimated;
 * - cached answers cost no tokens;
 * - a concurrency slot is held while a stream runs and freed on client abort and on upstream error.
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { startRedis } from '../state/redis-server.js';
import { startFakeAnthropic, startFakeOpenai } from '../fakes/index.js';
import { startGateway } from '../fakes/index.js';
import { chatBody, header, messagesBody, post, until, type Json, type Reply } from './helpers.js';

// "Say hello." is estimated at 10 prompt tokens in both protocols (3 priming + 4 per message + 3).
const PROMPT = 'Say hello.';
const KEY = 'gw-tpm-key-000000000001';
const AUTH = { authorization: `Bearer ${KEY}` };
const AN_AUTH = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' };

for (const backend of ['local', 'redis'] as const) {
  t.test(`backend ${backend}`, async (t) => {
    const state =
      backend === 'redis'
        ? `state: { backend: redis, redis: { url: "${(await startRedis(t)).url}", prefix: "gw-tpm:${randomBytes(4).toString('hex')}:" } }`
        : 'state: { backend: local }';
    // thrifty: real usage 25 + 9 = 34, reserved 10 + 50 = 60. hungry: real 80 + 15 = 95, reserved 10 + 30 = 40.
    const thrifty = await startFakeOpenai({ usage: { prompt: 25, completion: 9, cached: 0 } });
    const hungry = await startFakeAnthropic({ usage: { prompt: 80, completion: 15, cached: 0 } });
    const failing = await startFakeOpenai();
    const silent = await startFakeOpenai({ streamUsage: false });
    t.teardown(() => Promise.all([thrifty.close(), hungry.close(), failing.close(), silent.close()]));


    // One worker: a settle and the next request's admit then reach the store in order.
    const gw = await startGateway(
      t,
      `
    logging: { level: warn }
    ${state}
    auth: { mode: gateway, keys: [{ name: tpm, key: "${KEY}" }] }
    routing: { retries: 0 }
    cache: { enabled: true, ttl: 1m }
    providers:
      - { name: thrifty, type: openai, base_url: "${thrifty.url}", api_keys: ["sk-thrifty"] }
      - { name: hungry, type: anthropic, base_url: "${hungry.url}", api_keys: ["sk-ant-hungry"] }
      - { name: failing, type: openai, base_url: "${failing.url}", api_keys: ["sk-failing"] }
      - { name: local, type: mock, chunks: 4 }
      - { name: silent, type: openai, base_url: "${silent.url}", api_keys: ["sk-silent"] }
    models:
      - { name: silent, limits: { tpm: 100 }, targets: [{ provider: silent, model: gpt-4o-mini }] }
      - { name: thrifty, limits: { tpm: 100 }, targets: [{ provider: thrifty, model: gpt-4o-mini }] }
      - { name: hungry, limits: { tpm: 100 }, targets: [{ provider: hungry, model: claude-sonnet-4-20250514 }] }
      - { name: cached, limits: { tpm: 100 }, targets: [{ provider: thrifty, model: gpt-4o-mini }] }
      - { name: overdrawn, limits: { tpm: 50 }, targets: [{ provider: hungry, model: claude-sonnet-4-20250514 }] }
      - { name: small, limits: { tpm: 1000 }, targets: [{ provider: thrifty, model: gpt-4o-mini }] }
      - { name: roomy, limits: { tpm: 1000 }, targets: [{ provider: thrifty, model: gpt-4o-mini }] }
      - { name: small-anthropic, limits: { tpm: 1000 }, targets: [{ provider: hungry, model: claude-sonnet-4-20250514 }] }
      - { name: abandoned, limits: { tpm: 100 }, targets: [{ provider: failing, model: gpt-4o-mini }] }
      - { name: single, limits: { concurrency: 1 }, targets: [{ provider: local, model: demo }] }
      - { name: single-failing, limits: { concurrency: 1 }, targets: [{ provider: failing, model: gpt-4o-mini }] }
    `,
      { workers: 1 },
    );

    const noCache = { 'cache-control': 'no-store' };

    t.test('streamed usage lower than the estimate: the second request fits', async (t) => {
      const stream = chatBody('thrifty', PROMPT, { stream: true, max_tokens: 50 });
      const first = await post(gw.url, '/v1/chat/completions', stream, { ...AUTH, ...noCache });
      t.equal(first.status, 200);
      t.ok(first.body.endsWith('data: [DONE]\n\n'), 'the stream completed');
      t.equal(header(first, 'x-ratelimit-remaining-tokens'), '40', '60 reserved up front');
      // Unreconciled, 60 + 60 > 100 would refuse it; reconciled, 34 + 60 fits.
      const second = await post(gw.url, '/v1/chat/completions', stream, { ...AUTH, ...noCache });
      t.equal(second.status, 200, 'admitted: the first request now counts its real 34 tokens');
      t.equal(header(second, 'x-ratelimit-remaining-tokens'), '6', '100 - 34 - 60');
      const third = await post(gw.url, '/v1/chat/completions', stream, { ...AUTH, ...noCache });
      t.equal(third.status, 429, '34 + 34 + 60 > 100');
      t.equal(header(third, 'x-ratelimit-remaining-tokens'), '32');
      t.match(JSON.parse(third.body) as Json, { error: { code: 'GW_ERR_RATE_LIMITED', message: /tokens per minute/ } });
      t.equal(thrifty.requests.length, 2, 'the refused request never reached the upstream');
    });

    t.test('a stream from a server that reports no usage keeps its whole reservation, and its cached answer carries no usage', async (t) => {
      const stream = chatBody('silent', PROMPT, { stream: true, max_tokens: 50 });
      const first = await post(gw.url, '/v1/chat/completions', stream, AUTH);
      t.equal(first.status, 200);
      t.ok(first.body.endsWith('data: [DONE]\n\n'), 'the stream completed');
      t.notMatch(first.body, /"usage":\{/, 'no usage from the upstream');
      // 60 reserved and kept: a gateway estimate (10 + a token per chunk) is no reason to give any back.
      const second = await post(gw.url, '/v1/chat/completions', stream, { ...AUTH, ...noCache });
      t.equal(second.status, 429, '60 + 60 > 100');
      const hit = await post(gw.url, '/v1/chat/completions', chatBody('silent', PROMPT, { max_tokens: 50 }), AUTH);
      t.equal(header(hit, 'x-cache'), 'HIT');
      t.notOk((JSON.parse(hit.body) as Json).usage, 'no made-up usage in the cached answer');
    });

    t.test('streamed usage higher than the estimate: the second request is refused', async (t) => {
      const stream = messagesBody('hungry', PROMPT, { stream: true, max_tokens: 30 });
      const first = await post(gw.url, '/v1/messages', stream, { ...AN_AUTH, ...noCache });
      t.equal(first.status, 200);
      t.match(first.body, /event: message_stop/);
      t.equal(header(first, 'anthropic-ratelimit-tokens-remaining'), '60', '40 reserved up front');
      // By the estimate 40 + 40 would fit; the real usage was 95.
      const second = await post(gw.url, '/v1/messages', stream, { ...AN_AUTH, ...noCache });
      t.equal(second.status, 429, 'refused: the first request counts its real 95 tokens');
      t.equal(header(second, 'anthropic-ratelimit-tokens-remaining'), '5');
      t.match(JSON.parse(second.body) as Json, { type: 'error', error: { type: 'rate_limit_error' } });
    });

    t.test('cached answers cost no tokens', async (t) => {
      // Reserves 10 + 80 = 90 as a miss; really uses 34.
      const body = chatBody('cached', PROMPT, { max_tokens: 80 });
      const first = await post(gw.url, '/v1/chat/completions', body, AUTH);
      t.equal(header(first, 'x-cache'), 'MISS');
      // As misses these would be refused (34 + 90 > 100); hits need no tokens.
      for (let i = 0; i < 5; i++) {
        const hit = await post(gw.url, '/v1/chat/completions', { ...body, stream: i % 2 === 1 }, AUTH);
        t.equal(hit.status, 200, `hit ${i} admitted`);
        t.equal(header(hit, 'x-cache'), 'HIT');
      }
      const miss = await post(gw.url, '/v1/chat/completions', chatBody('cached', 'Something else.', { max_tokens: 80 }), AUTH);
      t.equal(miss.status, 429, 'the same request as a miss does not fit');
      const other = await post(gw.url, '/v1/chat/completions', chatBody('cached', 'Something else.', { max_tokens: 50 }), AUTH);
      t.equal(other.status, 200, 'the hits used none of the budget: 34 + 61 still fits');
      t.equal(header(other, 'x-cache'), 'MISS');
      t.equal(header(other, 'x-ratelimit-remaining-tokens'), '5', '100 - 34 - (11 + 50)');
    });

    t.test("a hit from the worker's copy reserves no tokens, so it cannot crowd out a concurrent miss", async (t) => {
      const body = chatBody('roomy', PROMPT, { max_tokens: 80 });
      const miss = await post(gw.url, '/v1/chat/completions', body, AUTH);
      t.equal(header(miss, 'x-cache'), 'MISS');
      // Looked up in the store together with its admission: 10 + 80 reserved while it is asked, then given back.
      const fromStore = await post(gw.url, '/v1/chat/completions', body, AUTH);
      t.equal(header(fromStore, 'x-cache'), 'HIT');
      t.equal(header(fromStore, 'x-ratelimit-remaining-tokens'), '876', '1000 - 34 - 90');
      for (let i = 0; i < 3; i++) {
        const hit = await post(gw.url, '/v1/chat/completions', { ...body, stream: i === 1 }, AUTH);
        t.equal(header(hit, 'x-cache'), 'HIT');
        t.equal(header(hit, 'x-ratelimit-remaining-tokens'), '966', 'known before its admission: nothing reserved (1000 - 34)');
      }
    });

    t.test('a hit is served while the window is over its tpm limit (real usage beyond the reservation)', async (t) => {
      // Reserves 10 + 30 = 40 of 50; really uses 95, so the window is over the limit for a minute.
      const body = messagesBody('overdrawn', PROMPT, { max_tokens: 30 });
      const first = await post(gw.url, '/v1/messages', body, AN_AUTH);
      t.equal(first.status, 200);
      t.equal(header(first, 'x-cache'), 'MISS');
      for (let i = 0; i < 2; i++) {
        const hit = await post(gw.url, '/v1/messages', { ...body, stream: i === 1 }, AN_AUTH);
        t.equal(hit.status, 200, `hit ${i}: a cached answer needs no tokens, even from an overdrawn window`);
        t.equal(header(hit, 'x-cache'), 'HIT');
      }
      const hit = await post(gw.url, '/v1/messages', body, AN_AUTH);
      t.equal(header(hit, 'anthropic-ratelimit-tokens-limit'), '50', 'the hit still tells the tpm window');
      t.equal(header(hit, 'anthropic-ratelimit-tokens-remaining'), '0');
      const miss = await post(gw.url, '/v1/messages', messagesBody('overdrawn', 'Something else.', { max_tokens: 1 }), AN_AUTH);
      t.equal(miss.status, 429, 'a miss is still refused');
    });

    t.test('without max_tokens a request reserves a tenth of a small tpm limit for its answer, not 1024 tokens', async (t) => {
      const before = thrifty.requests.length;
      // 10 + 100 reserved, 34 used: ten in a row fit in 1000 (with 1034 reserved, not even two would).
      for (let i = 0; i < 10; i++) {
        const reply = await post(gw.url, '/v1/chat/completions', chatBody('small', PROMPT), { ...AUTH, ...noCache });
        t.equal(reply.status, 200, `request ${i} admitted`);
        t.equal(header(reply, 'x-ratelimit-remaining-tokens'), String(1000 - 34 * i - 110));
      }
      t.equal(thrifty.requests.length, before + 10);
    });

    t.test('an output budget that no window of its tpm limit could hold is refused at once with 400, not a 429 to retry', async (t) => {
      const before = thrifty.requests.length + hungry.requests.length;
      const openai = await post(gw.url, '/v1/chat/completions', chatBody('small', PROMPT, { max_tokens: 1001 }), { ...AUTH, ...noCache });
      t.equal(openai.status, 400);
      t.notOk(header(openai, 'retry-after'), 'no retry would help');
      t.match(JSON.parse(openai.body) as Json, {
        error: { type: 'invalid_request_error', code: 'GW_ERR_EXCEEDS_TOKEN_LIMIT', message: /up to 1001 output tokens .*1000 tokens per minute of model "small".*lower max_tokens/ },
      });
      const anthropic = await post(gw.url, '/v1/messages', messagesBody('small-anthropic', PROMPT, { max_tokens: 5000 }), { ...AN_AUTH, ...noCache });
      t.equal(anthropic.status, 400);
      t.match(JSON.parse(anthropic.body) as Json, { type: 'error', error: { type: 'invalid_request_error', message: /up to 5000 output tokens/ } });
      // Over the limit only with the estimated prompt (10 + 1000, or a long prompt): the whole limit
      // is reserved, admitted once the window is empty. The test before used 340 of this minute.
      for (const body of [chatBody('small', PROMPT, { max_tokens: 1000 }), chatBody('small', 'word '.repeat(2000))]) {
        const waits = await post(gw.url, '/v1/chat/completions', body, { ...AUTH, ...noCache });
        t.equal(waits.status, 429, 'a wait admits it');
        t.match(JSON.parse(waits.body) as Json, { error: { code: 'GW_ERR_RATE_LIMITED' } });
      }
      t.equal(thrifty.requests.length + hungry.requests.length, before, 'none went upstream');
    });

    t.test('a caller that leaves while its request is upstream keeps the whole reservation (the provider may bill it all)', async (t) => {
      failing.reset();
      failing.script([{ kind: 'hang' }]);
      const controller = new AbortController();
      // Reserves 10 + 60 = 70 of 100.
      const left = fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH, ...noCache }, body: JSON.stringify(chatBody('abandoned', PROMPT, { max_tokens: 60 })), signal: controller.signal });
      left.catch(() => {});
      await failing.waitFor('the request upstream', (requests) => requests.length === 1);
      controller.abort();
      // The gateway cancels the upstream request in the turn it settles the reservation.
      await failing.waitFor('the upstream request cancelled', (requests) => requests[0]?.aborted === true);
      // 70 kept: 70 + (10 + 25) > 100. Settled at the prompt alone (10), it would fit.
      const next = await post(gw.url, '/v1/chat/completions', chatBody('abandoned', PROMPT, { max_tokens: 25 }), { ...AUTH, ...noCache });
      t.equal(next.status, 429, next.body);
      t.equal(header(next, 'x-ratelimit-remaining-tokens'), '30');
    });

    async function firstBytes(path: string, body: unknown, headers: Record<string, string>): Promise<{ abort(): void; status: number }> {
      const controller = new AbortController();
      const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal: controller.signal });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      await reader.read(); // the stream is flowing: the slot is taken
      return { status: res.status, abort: () => controller.abort() };
    }

    t.test('a concurrency slot is freed when the client aborts a stream', async (t) => {
      const slow = { ...AUTH, 'x-mock-chunks': '200', 'x-mock-chunk-delay-ms': '100' };
      const running = await firstBytes('/v1/chat/completions', chatBody('single', 'slow one', { stream: true }), slow);
      t.equal(running.status, 200);
      const refused = await post(gw.url, '/v1/chat/completions', chatBody('single', 'meanwhile'), AUTH);
      t.equal(refused.status, 429, 'the only slot is taken');
      t.equal(header(refused, 'retry-after'), '1');
      t.match(JSON.parse(refused.body) as Json, { error: { message: /1 concurrent requests/ } });
      running.abort();
      const admitted = await until('the slot to be released after the abort', async () => {
        const reply = await post(gw.url, '/v1/chat/completions', chatBody('single', 'after the abort'), AUTH);
        return reply.status === 200 ? reply : undefined;
      });
      t.equal(admitted.status, 200);
    });

    t.test('a concurrency slot is freed when the upstream fails', async (t) => {
      failing.script([{ kind: 'status', status: 500 }, { kind: 'status', status: 500 }]);
      const failed = await post(gw.url, '/v1/chat/completions', chatBody('single-failing', PROMPT), AUTH);
      t.equal(failed.status, 502);
      const again: Reply = await until('the slot to be released after the failure', async () => {
        const reply = await post(gw.url, '/v1/chat/completions', chatBody('single-failing', PROMPT), AUTH);
        return reply.status !== 429 ? reply : undefined;
      });
      t.equal(again.status, 502, 'admitted again (and failed upstream again)');
      const ok = await post(gw.url, '/v1/chat/completions', chatBody('single-failing', PROMPT), AUTH);
      t.equal(ok.status, 200);
    });
  });
}
