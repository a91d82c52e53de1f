/**
 * Backend redis on a Redis Cluster: a limits script that ran, but whose reply was lost with its
 * connection, is not sent again. ioredis's Cluster client re-sends a pipeline that failed with
 * "Connection is closed" (retryDelayOnFailover), which ran the admits and settles of that turn
 * twice: requests counted twice, a reconciliation applied twice. Every node is reached through a
 * proxy (cluster-announce-port) that can swallow the reply of the next script call.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server } from 'node:net';
import t from 'tap';
import { RedisStateBackend } from '../../src/state/redis-backend.js';
import { freePort } from '../helpers.js';
import { captureLogger, waitFor } from './helpers.js';
import { startRedisCluster } from './redis-server.js';

interface Proxy {
  port: number;
  /** The next EVAL / EVALSHA goes to the node; its reply is dropped with the client's connection. */
  swallowNextScriptReply(): void;
}

async function startProxy(t: { teardown(fn: () => unknown): void }, nodePort: number): Promise<Proxy> {
  let armed = false;
  const server: Server = createServer((client) => {
    const node = connect(nodePort, '127.0.0.1');
    let swallowing = false;
    client.on('data', (data: Buffer) => {
      if (armed && /EVAL/i.test(data.toString('latin1'))) {
        armed = false;
        swallowing = true;
      }
      node.write(data);
    });
    node.on('data', (data: Buffer) => {
      if (!swallowing) {
        client.write(data);
        return;
      }
      client.destroy();
      node.destroy();
    });
    for (const socket of [client, node]) socket.on('error', () => {});
    client.on('close', () => node.destroy());
    node.on('close', () => client.destroy());
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port, swallowNextScriptReply: () => (armed = true) };
}

const cli = (port: number, ...args: string[]): string => spawnSync('redis-cli', ['-c', '-p', String(port), ...args], { encoding: 'utf8' }).stdout.trim();

t.test('a script whose reply was lost with its connection is not run again', async (t) => {
  const cluster = await startRedisCluster(t);
  const proxies = await Promise.all(cluster.ports.map((port) => startProxy(t, port)));
  cluster.ports.forEach((port, i) => cli(port, 'config', 'set', 'cluster-announce-port', String(proxies[i]!.port)));
  await waitFor(() => proxies.every((proxy) => cli(cluster.ports[0]!, 'cluster', 'slots').includes(String(proxy.port))), 10_000, 'the proxies announced');

  const { logger } = captureLogger();
  const prefix = `gwtest:${randomBytes(4).toString('hex')}:`;
  const state = new RedisStateBackend({ url: cluster.url, prefix, timeoutMs: 2_000, onError: 'closed', logger, workerId: 0, cluster: true });
  t.teardown(() => state.close());
  await state.ready();
  const scopes = [{ id: 'key:x', rpm: 100, tpm: 100_000, concurrency: 10 }];
  const sums = () => ['rpmw', 'tpmw'].map((kind) => Number(cli(cluster.ports[0]!, 'hget', `${prefix}{limits}:${kind}:key:x`, '#sum')));
  const first = await state.admit(scopes, 1_000);
  t.ok(first.ok && !first.degraded, 'the first admission');
  t.strictSame(sums(), [1, 1_000]);

  for (const proxy of proxies) proxy.swallowNextScriptReply();
  const lost = await state.admit(scopes, 1_000);
  t.notOk(lost.ok, 'the admission whose reply was lost fails (on_error: closed), it is not retried');
  t.equal(lost.violated, null, 'the state is unavailable, no limit was hit');
  t.strictSame(sums(), [2, 2_000], 'the script ran once: counted once, not twice');
});
