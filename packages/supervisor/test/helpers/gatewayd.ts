/**
 * Real-process helpers for the supervisor tests: a temp sandbox per test (config, PID file,
 * socket, logs, free ports), the CLI run as a child process, and a teardown that kills every
 * process the test started or learned about (supervisor and workers), even when it fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { StatusReport } from '@gatewayd/shared';
import { isProcessAlive } from '../../src/process.js';

export { isProcessAlive };
export { httpRequest, streamChat, type HttpResult, type StreamResult } from './http.js';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** The subset of tap's Test these helpers use. */
export interface TestLike {
  teardown(fn: () => unknown): void;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ConfigOptions {
  workers?: number;
  drainTimeout?: string;
  readyTimeout?: string;
  /** More `supervisor:` keys, as YAML flow-mapping members (`restart_backoff_max: 1s, ...`). */
  supervisor?: string;
  /** Extra top-level YAML appended verbatim (e.g. an auth section). */
  extra?: string;
}

export interface Sandbox {
  dir: string;
  port: number;
  adminPort: number;
  configFile: string;
  pidFile: string;
  socketPath: string;
  logDir: string;
  /** Every pid this test saw (supervisors, workers): killed at teardown if still alive. */
  pids: Set<number>;
  writeConfig(options?: ConfigOptions): void;
}

export function configYaml(port: number, adminPort: number, options: ConfigOptions = {}): string {
  return [
    `server: { host: 127.0.0.1, port: ${port}, workers: ${options.workers ?? 2}, drain_timeout: ${options.drainTimeout ?? '1s'} }`,
    `admin: { host: 127.0.0.1, port: ${adminPort} }`,
    'logging: { level: info, format: json }',
    `supervisor: { ready_timeout: ${options.readyTimeout ?? '15s'}${options.supervisor ? `, ${options.supervisor}` : ''} }`,
    'providers:',
    '  - { name: local, type: mock, chunks: 4, chunk_delay: 0ms }',
    'models:',
    '  - { name: demo, aliases: [mock], targets: [{ provider: local, model: demo }] }',
    options.extra ?? '',
    '',
  ].join('\n');
}

export async function makeSandbox(t: TestLike, options: ConfigOptions = {}): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'gwd-sup-'));
  const port = await freePort();
  let adminPort = await freePort();
  while (adminPort === port) adminPort = await freePort();
  const sandbox: Sandbox = {
    dir,
    port,
    adminPort,
    configFile: join(dir, 'gatewayd.yaml'),
    pidFile: join(dir, 'gatewayd.pid'),
    socketPath: join(dir, 'gatewayd.sock'),
    logDir: join(dir, 'logs'),
    pids: new Set(),
    writeConfig: (opts = options) => writeFileSync(sandbox.configFile, configYaml(port, adminPort, opts)),
  };
  sandbox.writeConfig(options);
  t.teardown(async () => {
    const recorded = readPidOf(sandbox.pidFile);
    if (recorded !== undefined) sandbox.pids.add(recorded);
    for (const pid of sandbox.pids) {
      if (isProcessAlive(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    await waitFor(() => [...sandbox.pids].every((pid) => !isProcessAlive(pid)), 5_000, 'sandbox processes to exit').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return sandbox;
}

export function readPidOf(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `nodeArgs`: node's own flags, before the CLI script (`node --flag main.js start ...`). */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gatewayd ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface Foreground {
  child: ChildProcess;
  pid: number;
  output(): string;
  errors(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `gatewayd start` in the foreground; resolves once it logged "gatewayd ready". */
export async function startForeground(t: TestLike, sandbox: Sandbox, extraArgs: string[] = []): Promise<Foreground> {
  const child = spawn(process.execPath, [CLI, 'start', '--config', sandbox.configFile, '--pid-file', sandbox.pidFile, ...extraArgs], {
    cwd: sandbox.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('spawn failed');
  sandbox.pids.add(child.pid);
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(() => gone || stdout.includes('"msg":"gatewayd ready"'), 30_000, 'gatewayd ready');
  if (gone) throw new Error(`gatewayd exited during startup\nstdout: ${stdout}\nstderr: ${stderr}`);
  return { child, pid: child.pid, output: () => stdout, errors: () => stderr, exited };
}

export async function statusOf(sandbox: Sandbox): Promise<StatusReport> {
  const result = await runCli(['status', '--json', '--pid-file', sandbox.pidFile]);
  if (result.code !== 0) throw new Error(`status exited ${result.code}: ${result.stderr}`);
  const status = JSON.parse(result.stdout) as StatusReport;
  for (const worker of status.workers) sandbox.pids.add(worker.pid);
  return status;
}
