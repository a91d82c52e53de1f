/**
 * Backend redis when Redis goes away: killed (connection refused), frozen (SIGSTOP: only the
 * timeout helps), restarted on the same port. state.on_error open admits degraded, closed
 * rejects as unavailable; no call waits past the timeout; one log line per transition; recovery
 * is automatic.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect as connectSocket, createServer, type AddressInfo, type Socket } from 'node:net';
import t from 'tap';
import { createStateBackend, type Admission, type StateBackend } from '../../src/state/index.js';
import { captureLogger, stateConfig, transitions, waitFor } from './helpers.js';
import { startRedis, type RedisServer } from './redis-server.js';

const TIMEOUT = '200ms';
/** Far above the 200 ms timeout: reaching it means a call waited on a dead Redis. */
const HANG_DEADLINE_MS = 5_000;

function connect(t: { teardown(fn: () => unknown): void }, server: RedisServer, onError: 'open' | 'closed') {
  const { logger, lines } = captureLogger();
  const prefix = `gwtest:${randomBytes(4).toString('hex')}:`;
  const config = stateConfig(`{ backend: redis, on_error: ${onError}, redis: { url: "${server.url}", prefix: "${prefix}", timeout: ${TIMEOUT} } }`);
  const health: boolean[] = [];
  const state = createStateBackend(config, { workerId: 0, logger, onHealthChange: (healthy) => health.push(healthy) });
  t.teardown(() => state.close());
  return { state, lines, health };
}

async function admitWithin(state: StateBackend, scopes: Parameters<StateBackend['admit']>[0]): Promise<{ admission: Admission; ms: number }> {
  const started = performance.now();
  const admission = await Promise.race([
    state.admit(scopes, 10),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('admit waited on a dead redis')), HANG_DEADLINE_MS)),
  ]);
  return { admission, ms: performance.now() - started };
}

t.test('on_error open: killed redis -> degraded admits, one log line; restarted -> recovery', async (t) => {
  const server = await startRedis(t);
  const { state, lines, health } = connect(t, server, 'open');
  await state.ready();
  const scopes = [{ id: 'key:a', rpm: 1000, concurrency: 100 }];
  const counted = await state.admit(scopes, 10);
  t.ok(counted.ok && !counted.degraded && counted.ticket);

  await server.kill();
  for (let i = 0; i < 5; i++) {
    const { admission, ms } = await admitWithin(state, scopes);
    t.ok(admission.ok && admission.degraded, `admitted degraded in ${ms.toFixed(1)} ms`);
    t.equal(admission.ticket, null, 'nothing reserved, nothing to settle');
  }
  t.equal(await state.cacheGet('k'), null, 'the cache misses');
  state.settle(counted.ticket!, 10); // lost with the server: must not throw
  t.equal(state.status().healthy, false);
  t.same(transitions(lines), ['state backend unavailable: admitting requests without limits (state.on_error: open)'], 'one line for the whole outage');

  await server.restart();
  await waitFor(async () => !(await state.admit(scopes, 10)).degraded, 15_000, 'the reconnection');
  t.same(transitions(lines), ['state backend unavailable: admitting requests without limits (state.on_error: open)', 'state backend recovered']);
  t.equal(state.status().healthy, true);
  t.same(health, [true, false, true], 'the metric hook saw each transition once');
  const after = await state.admit([{ id: 'key:b', rpm: 1 }], 0);
  t.ok(after.ok && !after.degraded, 'scripts work on the new server');
  t.notOk((await state.admit([{ id: 'key:b', rpm: 1 }], 0)).ok, 'and count again');
});

t.test('once the connection has been gone for the timeout, calls follow on_error at once instead of each waiting it out', async (t) => {
  const server = await startRedis(t);
  const { logger } = captureLogger();
  const prefix = `gwtest:${randomBytes(4).toString('hex')}:`;
  // A long timeout, so that waiting it out and not waiting at all cannot be mistaken for each other.
  const config = stateConfig(`{ backend: redis, on_error: open, redis: { url: "${server.url}", prefix: "${prefix}", timeout: 3s } }`);
  const state = createStateBackend(config, { workerId: 0, logger });
  t.teardown(() => state.close());
  await state.ready();
  const scopes = [{ id: 'key:fast', rpm: 1000 }];
  t.notOk((await state.admit(scopes, 0)).degraded);
  await server.kill();
  // A failed reconnection: the close was seen, so its grace started before the first call below.
  await waitFor(() => !state.status().healthy, 10_000, 'the lost connection to be seen');
  // The first call waits for a reconnection as long as the timeout allows (a reset that is back at
  // once is no outage); by its end the connection has been gone that long: an outage.
  const first = await admitWithin(state, scopes);
  t.ok(first.admission.degraded, `the first call waited for a reconnection (${first.ms.toFixed(0)} ms)`);
  for (let i = 0; i < 3; i++) {
    const { admission, ms } = await admitWithin(state, scopes);
    t.ok(admission.degraded, 'admitted without limits');
    t.ok(ms < 1_500, `answered in ${ms.toFixed(1)} ms, not after the 3 s timeout`);
  }
  await server.restart();
  await waitFor(async () => !(await state.admit(scopes, 0)).degraded, 15_000, 'the recovery');
});

t.test('on_error closed: killed or frozen redis -> rejected as unavailable within the timeout', async (t) => {
  const server = await startRedis(t);
  const { state, lines } = connect(t, server, 'closed');
  await state.ready();
  const scopes = [{ id: 'key:a', rpm: 1000 }];
  t.ok((await state.admit(scopes, 0)).ok);

  // Frozen: the connection stays up, nothing answers; only the timeout can end the wait.
  process.kill(server.process.pid!, 'SIGSTOP');
  t.teardown(() => void (server.process.exitCode === null && server.process.kill('SIGCONT')));
  const frozen = await admitWithin(state, scopes);
  t.equal(frozen.admission.ok, false);
  t.equal(frozen.admission.violated, null, 'unavailable, not limited');
  t.ok(frozen.admission.retryAfterMs > 0);
  t.comment(`frozen redis: rejected after ${frozen.ms.toFixed(1)} ms (timeout ${TIMEOUT})`);
  t.equal(await state.cacheGet('k'), null);
  process.kill(server.process.pid!, 'SIGCONT');
  await waitFor(async () => (await state.admit(scopes, 0)).ok, 10_000, 'the thawed server');

  await server.kill();
  const dead = await admitWithin(state, scopes);
  t.equal(dead.admission.ok, false);
  t.equal(dead.admission.violated, null);
  t.comment(`killed redis: rejected after ${dead.ms.toFixed(1)} ms`);
  await server.restart();
  await waitFor(async () => (await state.admit(scopes, 0)).ok, 15_000, 'the restarted server');
  const seen = transitions(lines);
  t.same(seen, [
    'state backend unavailable: rejecting limited requests (state.on_error: closed)',
    'state backend recovered',
    'state backend unavailable: rejecting limited requests (state.on_error: closed)',
    'state backend recovered',
  ]);
});

/**
 * A frozen Redis whose connection was dropped meanwhile runs, once it thaws, the pipelines that
 * connection had buffered: their admissions take concurrency slots whose replies never come. The
 * backend releases them when Redis answers again, instead of leaving them to their 30 s leases.
 */
t.test('admissions a thawed redis runs after their connection was dropped do not keep their slots', async (t) => {
  const server = await startRedis(t);
  const { state } = connect(t, server, 'open');
  await state.ready();
  const scopes = [{ id: 'key:thaw', concurrency: 3 }];

  process.kill(server.process.pid!, 'SIGSTOP');
  t.teardown(() => void (server.process.exitCode === null && server.process.kill('SIGCONT')));
  // Past the stall limit (four 200 ms timeouts, at least a second), so the connection is dropped.
  const started = performance.now();
  let degraded = 0;
  while (performance.now() - started < 1_600) if ((await admitWithin(state, scopes)).admission.degraded) degraded++;
  process.kill(server.process.pid!, 'SIGCONT');
  t.ok(degraded > 3, `admitted degraded while redis was frozen (${degraded} times)`);

  // No traffic now: nothing else would make the backend talk to redis for a while.
  await waitFor(() => state.status().healthy, 5_000, 'the reconnection');
  const slotsTaken = (): number => {
    const cli = (...args: string[]): string => spawnSync('redis-cli', ['-p', String(server.port), ...args], { encoding: 'utf8' }).stdout.trim();
    return cli('--scan', '--pattern', '*conc:key:thaw')
      .split('\n')
      .filter(Boolean)
      .reduce((sum, key) => sum + Number(cli('zcard', key)), 0);
  };
  // Well inside the 30 s lease: the thawed server's admissions hold no slot.
  await waitFor(() => slotsTaken() === 0, 3_000, 'the slots of the admissions it ran late to be released');
  t.pass('no slot left taken');
});

/**
 * A connection that goes silent without closing (the Redis host gone, a partition, a middlebox
 * keeping it open): TCP would not notice for many minutes. A proxy stops relaying on the
 * connections it has, while new ones still work: the backend drops the silent one and reconnects.
 */
t.test('a silent connection is dropped and replaced', async (t) => {
  const server = await startRedis(t);
  const relays: Array<{ silent: boolean; client: Socket; node: Socket }> = [];
  const proxy = createServer((client) => {
    const relay = { silent: false, client, node: connectSocket(server.port, '127.0.0.1') };
    relays.push(relay);
    client.on('data', (data: Buffer) => relay.silent || relay.node.write(data));
    relay.node.on('data', (data: Buffer) => relay.silent || client.write(data));
    for (const socket of [client, relay.node]) socket.on('error', () => {});
    client.on('close', () => relay.node.destroy());
    relay.node.on('close', () => relay.silent || client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const relay of relays) relay.client.destroy(), relay.node.destroy();
    proxy.close();
  });
  const { state, lines } = connect(t, { ...server, url: `redis://127.0.0.1:${(proxy.address() as AddressInfo).port}` }, 'open');
  await state.ready();
  const scopes = [{ id: 'key:s', rpm: 100_000 }];
  t.notOk((await state.admit(scopes, 1)).degraded, 'counted through the proxy');
  for (const relay of relays) relay.silent = true;
  const { admission, ms } = await admitWithin(state, scopes);
  t.ok(admission.degraded, `degraded after the timeout (${ms.toFixed(0)} ms), not stuck`);
  await waitFor(async () => !(await admitWithin(state, scopes)).admission.degraded, 15_000, 'a new connection');
  t.ok(relays.length >= 2, `a new connection was opened (${relays.length})`);
  t.ok(lines.some((line) => line.msg === 'redis connection answers nothing; reconnecting'), 'the reconnection is logged');
});

/**
 * Redis closes idle connections (`timeout` in redis.conf, or a load balancer's idle reset): the
 * requests of the next few milliseconds, while the client reconnects, are served once it is back,
 * not refused; no outage is logged for it.
 */
t.test('an idle connection closed by Redis: no refusal, no outage', async (t) => {
  const server = await startRedis(t);
  const { state, lines, health } = connect(t, server, 'closed');
  await state.ready();
  const scopes = [{ id: 'key:i', rpm: 100_000 }];
  t.ok((await state.admit(scopes, 1)).ok);
  // The client the backend made (private): its 'close' is the moment to ask.
  const client = await (state as unknown as { client: Promise<import('node:events').EventEmitter> }).client;
  const during = new Promise<Admission[]>((resolve) => client.once('close', () => resolve(Promise.all(Array.from({ length: 5 }, () => state.admit(scopes, 1))))));
  spawnSync('redis-cli', ['-p', String(server.port), 'client', 'kill', 'type', 'normal']);
  const admissions = await during;
  t.strictSame(admissions.map((a) => a.ok), [true, true, true, true, true], 'admitted once the client reconnected');
  t.ok(admissions.every((a) => !a.degraded), 'and counted');
  t.same(transitions(lines), [], 'no outage logged');
  t.same(health, [true], 'the metric never dropped');
});

/**
 * Requests that end while Redis is briefly unreachable: their slot releases may not have reached
 * it. They are sent again once it answers, so the key's slots are free at once, not after the
 * leases expire (30 s) with every host refusing its requests meanwhile.
 */
t.test('slots released during a short outage are released once Redis is back', async (t) => {
  const server = await startRedis(t);
  let down = false;
  const relays: Socket[] = [];
  const proxy = createServer((client) => {
    if (down) return void client.destroy();
    const node = connectSocket(server.port, '127.0.0.1');
    relays.push(client, node);
    client.pipe(node).pipe(client);
    for (const socket of [client, node]) socket.on('error', () => {});
    client.on('close', () => node.destroy());
    node.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of relays) socket.destroy();
    proxy.close();
  });
  const { state } = connect(t, { ...server, url: `redis://127.0.0.1:${(proxy.address() as AddressInfo).port}` }, 'open');
  await state.ready();
  const scopes = [{ id: 'key:c', concurrency: 1 }];
  const held = await state.admit(scopes, 0);
  t.ok(held.ok && !held.degraded && held.ticket, 'the only slot is taken');
  t.notOk((await state.admit(scopes, 0)).ok, 'a second request is refused');

  down = true;
  for (const socket of relays) socket.destroy();
  state.settle(held.ticket!, 0); // the request ends while Redis is unreachable
  await waitFor(async () => !state.status().healthy, 5_000, 'the outage to be noticed');
  down = false;
  // Well inside the 30 s lease: only a release sent again frees the slot this soon.
  await waitFor(async () => {
    const admission = await state.admit(scopes, 0);
    if (admission.ok && admission.ticket) state.settle(admission.ticket, 0);
    return admission.ok && !admission.degraded;
  }, 10_000, 'the slot to be free again');
  t.pass('the slot was released after the outage');
});
