/**
 * A private redis-server for a test: free port, temp dir, no persistence; SIGKILLed at teardown.
 * Never port 6379, never a FLUSHALL: each test uses its own key prefix anyway.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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

function launch(t: Tap, port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
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
