/**
 * Backend redis on a real 3-node Redis Cluster (state.redis.cluster): limits shared exactly by two
 * gateway hosts (all limit keys on the {limits} slot), cache entries spread over the nodes and
 * read back by the other host, slots freed by settle.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { RedisStateBackend } from '../../src/state/redis-backend.js';
import { captureLogger, waitFor } from './helpers.js';
import { startRedisCluster, type RedisCluster } from './redis-server.js';

type Tap = { teardown(fn: () => unknown): void };

function host(t: Tap, cluster: RedisCluster, prefix: string): { state: RedisStateBackend; lines: Array<Record<string, unknown>> } {
  const { logger, lines } = captureLogger();
  const state = new RedisStateBackend({ url: cluster.url, prefix, timeoutMs: 2_000, onError: 'closed', logger, workerId: 0, cluster: true });
  t.teardown(() => state.close());
  return { state, lines };
}

const keysOn = (port: number, pattern: string): string[] =>
  spawnSync('redis-cli', ['-p', String(port), '--scan', '--pattern', pattern], { encoding: 'utf8' }).stdout.split('\n').filter((key) => key !== '');

t.test('two hosts on one Redis Cluster: exact limits, cache over every node, slots freed', async (t) => {
  const cluster = await startRedisCluster(t);
  const prefix = `gwtest:${randomBytes(4).toString('hex')}:`;
  const a = host(t, cluster, prefix);
  const b = host(t, cluster, prefix);
  await Promise.all([a.state.ready(), b.state.ready()]);

  // One turn on each host, together 3x the limit: exactly the limit through, none degraded.
  const scopes = [{ id: 'key:k', rpm: 12, tpm: 100_000 }, { id: 'global', rpm: 1_000 }];
  const burst = await Promise.all(Array.from({ length: 36 }, (_, i) => (i % 2 === 0 ? a : b).state.admit(scopes, 50)));
  t.equal(burst.filter((x) => x.ok).length, 12, '36 attempts from 2 hosts against rpm 12');
  t.equal(burst.filter((x) => x.degraded).length, 0);
  t.ok(burst.filter((x) => !x.ok).every((x) => x.violated?.kind === 'rpm' && x.violated.scope === 'key:k'));
  const limitKeys = cluster.ports.map((port) => keysOn(port, `${prefix}{limits}:*`).length);
  t.equal(limitKeys.filter((n) => n > 0).length, 1, `every limit key on one node (${limitKeys.join(', ')})`);

  // Cache entries land on every node; the other host reads each one back as soon as the answer
  // held for them is sent. (Connections to the nodes open on first use: warm them first.)
  const values = Array.from({ length: 30 }, (_, i) => Buffer.from(`{"answer":${i}}`));
  await Promise.all(values.flatMap((_, i) => [a.state.cacheGet(`entry-${i}`), b.state.cacheGet(`entry-${i}`)]));
  await new Promise<void>((resolve) => {
    values.forEach((value, i) => a.state.cacheSetBeforeSend(`entry-${i}`, value, 60_000, () => {}));
    a.state.sendAfterQueued(resolve);
  });
  const readAll = () => Promise.all(values.map((_, i) => b.state.cacheGet(`entry-${i}`)));
  // Written before the answer; two connections are served in the order their bytes arrive.
  await waitFor(async () => (await readAll()).every((value, i) => value?.equals(values[i]!) === true), 2_000, 'the other host to read every entry');
  t.same(await readAll(), values, 'every entry read back by the other host');
  const cacheKeys = cluster.ports.map((port) => keysOn(port, `${prefix}cache:*`).length);
  t.ok(cacheKeys.every((n) => n > 0), `entries on every node (${cacheKeys.join(', ')})`);

  // A concurrency slot taken on one host is freed by its settle, for the other host.
  const slot = [{ id: 'key:c', concurrency: 1 }];
  const held = await a.state.admit(slot, 0);
  t.ok(held.ok && held.ticket);
  t.notOk((await b.state.admit(slot, 0)).ok, 'the slot is taken');
  a.state.settle(held.ticket!, 0);
  await waitFor(async () => (await b.state.admit(slot, 0)).ok, 2_000, 'the settled slot');
  t.pass('freed by the settle');

  t.ok(a.state.status().healthy && b.state.status().healthy, 'no command failed on either host');
  t.same([...a.lines, ...b.lines].filter((line) => Number(line.level) >= 40), [], 'nothing logged at warn or above');
});
