/**
 * Backend redis against a real redis-server: exact limits shared by separate processes, tpm
 * reconciliation, all-or-nothing admits, leases, TTLs on every key, NOSCRIPT reload, the cache.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import t from 'tap';
import { RedisStateBackend } from '../../src/state/redis-backend.js';
import { captureLogger, waitFor } from './helpers.js';
import { startRedis, type RedisServer } from './redis-server.js';

const HAMMER = fileURLToPath(new URL('./fixtures/redis-hammer.ts', import.meta.url));

type Tap = { teardown(fn: () => unknown): void };

function backend(t: Tap, server: RedisServer, prefix: string, extra: { leaseMs?: number; windowMs?: number } = {}): RedisStateBackend {
  const state = new RedisStateBackend({ url: server.url, prefix, timeoutMs: 2_000, onError: 'open', logger: captureLogger().logger, workerId: 0, ...extra });
  t.teardown(() => state.close());
  return state;
}

function rawClient(t: Tap, server: RedisServer): Redis {
  const redis = new Redis(server.url, { lazyConnect: false });
  t.teardown(() => redis.disconnect());
  return redis;
}

const uniquePrefix = () => `gwtest:${randomBytes(4).toString('hex')}:`;

t.test('two gateway processes sharing one redis admit exactly rpm in total', async (t) => {
  const server = await startRedis(t);
  const prefix = uniquePrefix();
  const tsx = process.execArgv.filter((arg) => arg.includes('tsx'));
  const children = [0, 1].map(() => {
    const child = spawn(process.execPath, [...tsx, HAMMER, server.url, prefix, '150', '3', '80'], { stdio: ['pipe', 'pipe', 'pipe'] });
    t.teardown(() => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')));
    const lines: Array<Record<string, number | boolean>> = [];
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buffer += d;
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        lines.push(JSON.parse(buffer.slice(0, i)) as Record<string, number | boolean>);
        buffer = buffer.slice(i + 1);
      }
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    return { child, lines, exited };
  });
  await waitFor(() => children.every((c) => c.lines.length > 0), 30_000, 'both processes to connect');
  for (const c of children) c.child.stdin.write('go\n');
  t.same(await Promise.all(children.map((c) => c.exited)), [0, 0]);
  const results = children.map((c) => c.lines[1]!);
  t.equal(results.reduce((n, r) => n + Number(r.admitted), 0), 150, '480 attempts from 2 processes against rpm 150');
  t.ok(results.every((r) => r.degraded === 0));
  t.comment(`shares: ${results.map((r) => r.admitted).join(' + ')}`);
});

t.test('rpm burst, exact retry-after from server time, tpm reconciliation, all or nothing', async (t) => {
  const server = await startRedis(t);
  const prefix = uniquePrefix();
  const a = backend(t, server, prefix);
  const b = backend(t, server, prefix);
  const rpm = [{ id: 'key:a', rpm: 3 }];
  const burst = await Promise.all([a.admit(rpm, 0), b.admit(rpm, 0), a.admit(rpm, 0), b.admit(rpm, 0)]);
  t.equal(burst.filter((x) => x.ok).length, 3);
  const rejected = burst.find((x) => !x.ok)!;
  t.same(rejected.violated, { scope: 'key:a', kind: 'rpm' });
  t.ok(rejected.retryAfterMs > 55_000 && rejected.retryAfterMs <= 60_000, `retry after ${rejected.retryAfterMs} ms`);
  t.same(rejected.requests?.remaining, 0);

  const tpm = [{ id: 'key:t', tpm: 1000 }];
  const first = await a.admit(tpm, 600);
  t.ok(first.ok && first.ticket);
  t.same(first.tokens, { limit: 1000, remaining: 400, resetMs: 60_000 });
  const tooMuch = await b.admit(tpm, 800);
  t.notOk(tooMuch.ok);
  t.same(tooMuch.violated, { scope: 'key:t', kind: 'tpm' });
  a.settle(first.ticket!, 100); // the stream ended having used 100 tokens
  a.settle(first.ticket!, 100);
  await waitFor(async () => (await b.admit([{ id: 'key:t', tpm: 1000 }], 0)).tokens?.remaining === 900, 5_000, 'the reconciliation');
  const fits = await b.admit(tpm, 800);
  t.ok(fits.ok, '100 + 800 <= 1000 after reconciliation');

  // A rejection by the model scope charges nothing to the key scope.
  const key = { id: 'key:x', rpm: 10, tpm: 10_000, concurrency: 5 };
  t.ok((await a.admit([key, { id: 'model:m', rpm: 1 }], 500)).ok);
  const blocked = await a.admit([key, { id: 'model:m', rpm: 1 }], 500);
  t.same(blocked.violated, { scope: 'model:m', kind: 'rpm' });
  const keyOnly = await a.admit([key], 0);
  t.equal(keyOnly.requests?.remaining, 8, 'only the admitted request counted in the key rpm');
  t.equal(keyOnly.tokens?.remaining, 9_500);

  const raw = rawClient(t, server);
  const keys = await raw.keys(`${prefix}*`);
  t.ok(keys.length >= 6, `keys: ${keys.join(', ')}`);
  t.ok(keys.every((k) => k.startsWith(`${prefix}{limits}:`)), 'every limit key carries the {limits} hash tag');
  const ttls = await Promise.all(keys.map((k) => raw.pttl(k)));
  t.ok(ttls.every((ms) => ms > 0), `every key has a TTL (${ttls.join(', ')})`);

  // Redis lost its script cache (SCRIPT FLUSH, failover): EVALSHA answers NOSCRIPT, reloaded.
  await raw.script('FLUSH');
  const afterFlush = await a.admit([{ id: 'key:y', rpm: 1 }], 0);
  t.ok(afterFlush.ok && !afterFlush.degraded, 'the script is reloaded after NOSCRIPT');
});

t.test('tpm: a request that outlives the window pays what it used beyond its reservation, from its end', async (t) => {
  const server = await startRedis(t);
  // A short window (the real one is a minute): the request below outlives it.
  const state = backend(t, server, uniquePrefix(), { windowMs: 300 });
  const scopes = [{ id: 'key:long', tpm: 10_000 }];
  const long = await state.admit(scopes, 1_100);
  t.ok(long.ok && long.ticket);
  await waitFor(async () => (await state.admit(scopes, 0)).tokens?.remaining === 10_000, 5_000, 'the reservation to leave the window');
  state.settle(long.ticket!, 9_500);
  await waitFor(async () => (await state.admit(scopes, 0)).tokens?.remaining === 10_000 - 8_400, 5_000, 'the 8,400 tokens beyond the reservation to count');
  t.pass('counted from its end');
  const short = await state.admit([{ id: 'key:short', tpm: 10_000 }], 1_100);
  await waitFor(async () => (await state.admit([{ id: 'key:short', tpm: 10_000 }], 0)).tokens?.remaining === 10_000, 5_000, 'the reservation to leave the window');
  state.settle(short.ticket!, 500);
  const after = await state.admit([{ id: 'key:short', tpm: 10_000 }], 0);
  t.equal(after.tokens?.remaining, 10_000, 'using less than reserved adds nothing');
});

t.test('concurrency slots: freed by settle, renewed while held, expire when their host dies', async (t) => {
  const server = await startRedis(t);
  const prefix = uniquePrefix();
  const holder = backend(t, server, prefix, { leaseMs: 1_200 });
  const other = backend(t, server, prefix, { leaseMs: 1_200 });
  const scopes = [{ id: 'key:c', concurrency: 1 }];
  const held = await holder.admit(scopes, 0);
  t.ok(held.ok && held.ticket);
  const refused = await other.admit(scopes, 0);
  t.same(refused.violated, { scope: 'key:c', kind: 'concurrency' });
  holder.settle(held.ticket!, 0);
  await waitFor(async () => (await other.admit(scopes, 0)).ok, 5_000, 'the settled slot');

  // `other` now holds it and renews its lease every 400 ms: after 3 leases it is still held.
  const raw = rawClient(t, server);
  const start = Date.now();
  await waitFor(() => Date.now() - start > 3_600, 10_000, 'three leases to pass');
  t.notOk((await holder.admit(scopes, 0)).ok, 'a renewed slot does not expire');
  // Its host dies without settling: the lease runs out and the slot comes back.
  await other.close();
  await waitFor(async () => (await holder.admit(scopes, 0)).ok, 5_000, 'the dead holder lease to expire');
  t.ok((await raw.pttl(`${prefix}{limits}:conc:key:c`)) > 0);
});

t.test('cache: get/set with binary values, TTL in redis, miss on absent keys', async (t) => {
  const server = await startRedis(t);
  const prefix = uniquePrefix();
  const a = backend(t, server, prefix);
  const b = backend(t, server, prefix);
  const value = Buffer.from([0, 255, 10, 13, 0x7b]);
  a.cacheSet('req-1', value, 60_000);
  a.cacheSet('short', Buffer.from('x'), 300);
  await waitFor(async () => (await b.cacheGet('req-1')) !== null, 5_000, 'the cache write');
  t.same(await b.cacheGet('req-1'), value, 'another process reads the same bytes');
  t.equal(await b.cacheGet('absent'), null);
  const raw = rawClient(t, server);
  const ttl = await raw.pttl(`${prefix}cache:req-1`);
  t.ok(ttl > 0 && ttl <= 60_000, `ttl ${ttl}`);
  await waitFor(async () => (await b.cacheGet('short')) === null, 5_000, 'the short entry to expire');
  t.pass('expired by redis');
});
