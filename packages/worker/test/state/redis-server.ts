/**
 * A private redis-server for a test: free port, temp dir, no persistence; SIGKILLed at teardown.
 * Never port 6379, never a FLUSHALL: each test uses its own key prefix anyway.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers.js';

type Tap = { teardown(fn: () => unknown): void };

export interface RedisServer {
  port: number;
  url: string;
  process: ChildProcess;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  /** A new server on the same port (after kill()). */
  restart(): Promise<void>;
}

function launch(t: Tap, port: number, dir: string, extra: string[] = []): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 15_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${out}`));
    });
  });
}

export async function startRedis(t: Tap): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gwd-redis-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let port = await freePort();
  while (port === 6379) port = await freePort();
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: await launch(t, port, dir),
    async kill() {
      const child = server.process;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      server.process = await launch(t, port, dir);
    },
  };
  return server;
}

export interface RedisCluster {
  /** A seed node's URL. */
  url: string;
  ports: number[];
}

/** A private 3-master Redis Cluster (no replicas) on free ports, each node SIGKILLed at teardown. */
export async function startRedisCluster(t: Tap): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'gwd-redis-cluster-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ports: number[] = [];
  while (ports.length < 3) {
    const port = await freePort();
    // cluster bus port = port + 10000 must be valid and distinct
    if (port !== 6379 && port < 55_000 && !ports.includes(port)) ports.push(port);
  }
  await Promise.all(ports.map((port) => launch(t, port, dir, ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`])));
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const states = ports.map((port) => spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' }).stdout);
    if (states.every((info) => info.includes('cluster_state:ok'))) break;
    if (Date.now() > deadline) throw new Error(`the cluster did not become ok:\n${states.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url: `redis://127.0.0.1:${ports[0]}`, ports };
}
