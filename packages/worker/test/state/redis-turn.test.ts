/**
 * Backend redis, one turn at a time, against a real redis-server: a turn's admits are one script
 * call and one log entry per key (the call's bucket), exact all the same; what a turn writes (a
 * cache entry, a settle) reaches Redis before the answer held for it is sent.
 */
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import t from 'tap';
import { sendAtTurnEnd } from '../../src/http/turn-end.js';
import { RedisStateBackend } from '../../src/state/redis-backend.js';
import { MAX_BATCH } from '../../src/state/redis-turn.js';
import { captureLogger, waitFor } from './helpers.js';
import { startRedis, type RedisServer } from './redis-server.js';

type Tap = { teardown(fn: () => unknown): void };

function backend(t: Tap, server: RedisServer, prefix: string): RedisStateBackend {
  const state = new RedisStateBackend({ url: server.url, prefix, timeoutMs: 2_000, onError: 'open', logger: captureLogger().logger, workerId: 0 });
  t.teardown(() => state.close());
  return state;
}

function rawClient(t: Tap, server: RedisServer): Redis {
  const redis = new Redis(server.url);
  t.teardown(() => redis.disconnect());
  return redis;
}

/** eval + evalsha calls so far: script calls, however the script was sent. */
async function scriptCalls(raw: Redis): Promise<number> {
  const stats = (await raw.info('commandstats')).split('\n');
  return stats.filter((line) => /^cmdstat_eval(sha)?:/.test(line)).reduce((n, line) => n + Number(/calls=(\d+)/.exec(line)?.[1] ?? 0), 0);
}

t.test('a turn of admits is one script call, one log entry per key, and exact', async (t) => {
  const server = await startRedis(t);
  const prefix = `gwtest:${randomBytes(4).toString('hex')}:`;
  const raw = rawClient(t, server);
  const state = backend(t, server, prefix);
  await state.ready();
  const scopes = [{ id: 'key:k', rpm: 25, tpm: 10_000 }];
  t.ok((await state.admit(scopes, 10)).ok, 'warm: the script is loaded on this connection');

  const before = await scriptCalls(raw);
  const turn = await Promise.all(Array.from({ length: 30 }, () => state.admit(scopes, 100)));
  t.equal(await scriptCalls(raw), before + 1, '30 admits of one turn: one script call');
  t.equal(turn.filter((a) => a.ok).length, 24, 'exactly the 24 left of rpm 25 admitted');
  t.same(
    turn.filter((a) => a.ok).map((a) => a.requests?.remaining),
    Array.from({ length: 24 }, (_, i) => 23 - i),
    'each admit sees the ones before it',
  );
  const refused = turn.find((a) => !a.ok)!;
  t.same(refused.violated, { scope: 'key:k', kind: 'rpm' });
  // One more fits once the oldest request (the warm one, a few ms older) leaves the window.
  t.ok(refused.retryAfterMs > 55_000 && refused.retryAfterMs <= 60_000, `retry after ${refused.retryAfterMs} ms`);

  t.equal(await raw.zcard(`${prefix}{limits}:rpml:key:k`), 2, 'two calls, two log entries');
  t.equal(await raw.hget(`${prefix}{limits}:rpmw:key:k`, '#sum'), '25');
  t.equal(await raw.hget(`${prefix}{limits}:tpmw:key:k`, '#sum'), String(10 + 24 * 100));

  // Reconciled per request inside the shared entry: 24 x 100 reserved, 24 x 40 used.
  for (const admission of turn) if (admission.ticket) state.settle(admission.ticket, 40);
  await state.admit([{ id: 'key:other', rpm: 1 }], 0); // rides the same turn as the settles, after them
  t.equal(await raw.hget(`${prefix}{limits}:tpmw:key:k`, '#sum'), String(10 + 24 * 40));
  const entries = await raw.hgetall(`${prefix}{limits}:tpmw:key:k`);
  t.equal(Object.keys(entries).length, 3, `the two entries and their sum: ${JSON.stringify(entries)}`);
});

t.test('an absurd reservation is capped: it cannot fail the call it shares with others', async (t) => {
  const server = await startRedis(t);
  const state = backend(t, server, `gwtest:${randomBytes(4).toString('hex')}:`);
  await state.ready();
  const scopes = [{ id: 'key:huge', tpm: Number.MAX_SAFE_INTEGER }];
  const [absurd, normal] = await Promise.all([state.admit(scopes, 1e20), state.admit(scopes, 100)]);
  t.ok(absurd.ok && !absurd.degraded, 'admitted: capped at MAX_REQUEST_TOKENS, far below the limit');
  t.ok(normal.ok && !normal.degraded, 'the request sharing its call was counted, not degraded');
  t.equal(normal.tokens?.remaining, Number.MAX_SAFE_INTEGER - 2 ** 40 - 100);
  t.ok(state.status().healthy);
});

t.test('admits of one call with different checks: each in order, against its own scopes', async (t) => {
  const server = await startRedis(t);
  const raw = rawClient(t, server);
  const state = backend(t, server, `gwtest:${randomBytes(4).toString('hex')}:`);
  await state.ready();
  await state.admit([{ id: 'key:warm', rpm: 1 }], 0);
  const key = { id: 'key:p', rpm: 2 };
  const model = { id: 'model:m', rpm: 3 };
  const plans = { A: [key], B: [key, model], C: [model] };
  const order = ['A', 'B', 'C', 'A', 'B', 'C', 'B', 'C'] as const;
  const before = await scriptCalls(raw);
  const results = await Promise.all(order.map((name) => state.admit(plans[name], 0)));
  t.equal(await scriptCalls(raw), before + 1, 'one call');
  t.same(
    results.map((r) => r.ok),
    [true, true, true, false, false, true, false, false],
    'as if one after the other: key:p full after A B, model:m after B C C; a refusal charges nothing',
  );
  t.same(
    results.map((r) => r.violated?.scope ?? null),
    [null, null, null, 'key:p', 'key:p', null, 'key:p', 'model:m'],
  );
});

t.test("a turn's cache writes are one script call, its reads one MGET, binary-safe", async (t) => {
  const server = await startRedis(t);
  const prefix = `gwtest:${randomBytes(4).toString('hex')}:`;
  const raw = rawClient(t, server);
  const state = backend(t, server, prefix);
  await state.ready();
  const count = async (command: string) => Number(/calls=(\d+)/.exec((await raw.info('commandstats')).split('\n').find((line) => line.startsWith(`cmdstat_${command}:`)) ?? '')?.[1] ?? 0);
  const values = Array.from({ length: 10 }, (_, i) => Buffer.from([0, 255, 13, 10, i, 0x22, 0x5c]));
  const scriptsBefore = await scriptCalls(raw);
  await new Promise<void>((resolve) => {
    values.forEach((value, i) => state.cacheSetBeforeSend(`k${i}`, value, i === 0 ? 5_000 : 60_000, () => {}));
    state.sendAfterQueued(resolve);
  });
  // The answer is released once the writes are on the wire, not once Redis ran them; a read on
  // the same connection is answered after them (another connection could be served first).
  await state.cacheGet('sync');
  const ttls = await Promise.all(values.map((_, i) => raw.pttl(`${prefix}cache:k${i}`)));
  t.equal(await scriptCalls(raw), scriptsBefore + 1, '10 writes: one script call');
  t.ok(ttls[0]! > 0 && ttls[0]! <= 5_000 && ttls.slice(1).every((ms) => ms > 5_000 && ms <= 60_000), `each entry its own TTL: ${ttls.join(', ')}`);
  const mgetBefore = await count('mget');
  const read = await Promise.all([...values.map((_, i) => state.cacheGet(`k${i}`)), state.cacheGet('absent')]);
  t.equal(await count('mget'), mgetBefore + 1, '11 reads: one MGET');
  t.same(read, [...values, null], 'the same bytes back, null for the absent key');
});

t.test('a huge turn is split into calls of at most MAX_BATCH', async (t) => {
  const server = await startRedis(t);
  const prefix = `gwtest:${randomBytes(4).toString('hex')}:`;
  const raw = rawClient(t, server);
  const state = backend(t, server, prefix);
  await state.ready();
  const scopes = [{ id: 'key:big', rpm: 1_000 }];
  await state.admit(scopes, 0);
  const before = await scriptCalls(raw);
  const turn = await Promise.all(Array.from({ length: MAX_BATCH * 2 + 1 }, () => state.admit(scopes, 0)));
  t.equal(await scriptCalls(raw), before + 3);
  t.equal(turn.filter((a) => a.ok).length, MAX_BATCH * 2 + 1);
  t.equal(await raw.hget(`${prefix}{limits}:rpmw:key:big`, '#sum'), String(MAX_BATCH * 2 + 2));
});

t.test('a held answer is sent after its turn is written to redis: another host sees the entry and the free slot', async (t) => {
  const server = await startRedis(t);
  const prefix = `gwtest:${randomBytes(4).toString('hex')}:`;
  const a = backend(t, server, prefix);
  const b = backend(t, server, prefix);
  await Promise.all([a.ready(), b.ready()]);
  // Which pipelines of host a have been handed to the socket (exec), seen from inside the held send.
  const client = (a as unknown as { redis: { pipeline(): { exec(): Promise<unknown>; [command: string]: unknown } } }).redis;
  const pipeline = client.pipeline.bind(client);
  let written = 0;
  client.pipeline = () => {
    const p = pipeline();
    const exec = p.exec.bind(p);
    p.exec = () => {
      written++;
      return exec();
    };
    return p;
  };

  const value = Buffer.from('{"answer":42}');
  const before = written;
  // Another answer of the same turn, held first: its turn-end callback runs before the state flush.
  sendAtTurnEnd(() => {});
  const writtenAtSend = await new Promise<number>((resolve) => a.cacheSetBeforeSend('k1', value, 60_000, () => resolve(written)));
  t.equal(writtenAtSend, before + 1, 'the SET was written before the answer was sent');
  // Redis serves two connections in the order their bytes arrive: in practice at once.
  await waitFor(async () => (await b.cacheGet('k1'))?.equals(value) === true, 2_000, 'the other host to read the entry');
  t.pass('the other host reads the entry');

  const slot = [{ id: 'key:one', concurrency: 1 }];
  const held = await a.admit(slot, 0);
  t.ok(held.ok && held.ticket);
  t.notOk((await b.admit(slot, 0)).ok, 'the slot is taken');
  sendAtTurnEnd(() => {});
  a.settle(held.ticket!, 0);
  const settledBefore = written;
  t.equal(await new Promise<number>((resolve) => a.sendAfterQueued(() => resolve(written))), settledBefore + 1, 'the settle was written before the answer was sent');
  await waitFor(async () => (await b.admit(slot, 0)).ok, 2_000, 'the other host to get the freed slot');
  t.pass('the caller next request, on another host, gets the slot its answer freed');
});

t.test('a held answer, once sent, is not kept alive while its turn waits on redis', async (t) => {
  // A turn with a read lives until Redis replies; the answers sent after it hold whole requests
  // and must be free for GC meanwhile (at load they were promoted by the thousand).
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const server = await startRedis(t);
  const state = backend(t, server, `gwtest:${randomBytes(4).toString('hex')}:`);
  await state.ready();
  process.kill(server.process.pid!, 'SIGSTOP'); // replies wait; the backend's 2 s timeout does not fire here
  t.teardown(() => process.kill(server.process.pid!, 'SIGCONT'));
  const read = state.cacheGet('waiting');
  const request = await new Promise<WeakRef<object>>((resolve) => {
    const exchange = { body: Buffer.alloc(64 * 1024) };
    const ref = new WeakRef(exchange);
    state.cacheSetBeforeSend('k', Buffer.from('v'), 60_000, () => {
      void exchange; // the answer holds its request, as a real one does
      resolve(ref);
    });
  });
  await new Promise((resolve) => setImmediate(resolve)); // a WeakRef target lives to the end of its job
  gc();
  t.equal(request.deref(), undefined, 'the sent answer was collected while redis had not replied');
  process.kill(server.process.pid!, 'SIGCONT');
  t.equal(await read, null, 'the read still gets its reply');
});

t.test('a client that throws while a turn is written: its admits and reads still get their answer', async (t) => {
  const server = await startRedis(t);
  const state = backend(t, server, `gwtest:${randomBytes(4).toString('hex')}:`);
  await state.ready();
  const client = (state as unknown as { redis: { pipeline(): unknown } }).redis;
  const pipeline = client.pipeline.bind(client);
  client.pipeline = () => {
    throw new Error('client broke');
  };
  const [admission, entry] = await Promise.all([state.admit([{ id: 'key:k', rpm: 10 }], 1), state.cacheGet('k')]);
  t.ok(admission.ok, 'on_error open: admitted without redis');
  t.equal(entry, null, 'the read misses');
  client.pipeline = pipeline;
  t.ok((await state.admit([{ id: 'key:k', rpm: 10 }], 1)).ok, 'the next turn goes to redis again');
});

t.test('a reply of a shape the scripts never give: the admits follow on_error, the worker does not crash', async (t) => {
  const server = await startRedis(t);
  const state = backend(t, server, `gwtest:${randomBytes(4).toString('hex')}:`);
  await state.ready();
  const client = (state as unknown as { redis: { pipeline(): { exec(): Promise<unknown> } } }).redis;
  const pipeline = client.pipeline.bind(client);
  client.pipeline = () => {
    const p = pipeline();
    p.exec = async () => [[null, null]]; // no error, and no array where the batch's reply should be
    return p;
  };
  const admission = await state.admit([{ id: 'key:k', rpm: 10 }], 1);
  t.ok(admission.ok && admission.degraded, 'on_error open: admitted, degraded');
  client.pipeline = pipeline;
  const next = await state.admit([{ id: 'key:k', rpm: 10 }], 1);
  t.ok(next.ok && !next.degraded, 'the next turn is counted in redis again');
});

t.test('a malformed reply that comes after the deadline does not crash the worker either', async (t) => {
  const server = await startRedis(t);
  const state = new RedisStateBackend({ url: server.url, prefix: `gwtest:${randomBytes(4).toString('hex')}:`, timeoutMs: 100, onError: 'open', logger: captureLogger().logger, workerId: 0 });
  t.teardown(() => state.close());
  await state.ready();
  const client = (state as unknown as { redis: { pipeline(): { exec(): Promise<unknown> } } }).redis;
  const pipeline = client.pipeline.bind(client);
  let arrived!: () => void;
  const lateReply = new Promise<void>((resolve) => (arrived = resolve));
  client.pipeline = () => {
    const p = pipeline();
    // Released by hand once the deadline has answered the admit: late, whatever this machine's speed.
    p.exec = () => lateReply.then(() => [[null, null]]);
    return p;
  };
  const admission = await state.admit([{ id: 'key:k', rpm: 10 }], 1);
  t.ok(admission.ok && admission.degraded, 'answered by on_error at the deadline');
  arrived();
  await new Promise((resolve) => setTimeout(resolve, 50)); // an unhandled rejection would surface here
  client.pipeline = pipeline;
  t.ok((await state.admit([{ id: 'key:k', rpm: 10 }], 1)).ok, 'the backend goes on');
});
