/**
 * Starts the REAL gatewayd through its CLI (`start --daemon`), in a short temp dir under /tmp (the
 * control socket path beside the PID file must stay under ~100 bytes), on free ports, and stops it
 * in t.teardown (`stop --force`, then SIGKILL for anything still alive: supervisor and workers).
 *
 * The YAML needs no server/admin section: the data port comes from `--port`, the admin port from
 * the GATEWAYD__ADMIN__PORT env override, so callers only write providers, models, auth, routing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../../supervisor/dist/cli/main.js', import.meta.url));

export interface TestLike {
  teardown(fn: () => unknown): void;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Gateway {
  /** http://127.0.0.1:<port> — the data plane; SDK baseURL is `${url}/v1` (OpenAI) or `url` (Anthropic). */
  url: string;
  port: number;
  adminPort: number;
  dir: string;
  configFile: string;
  pidFile: string;
  stop(): Promise<void>;
  /** Runs the CLI with these arguments (add `--pid-file gw.pidFile` yourself where needed). */
  cli(...args: string[]): Promise<CliResult>;
  /** The daemon's stdout and stderr logs so far (for failure messages). */
  logs(): string;
}

export interface GatewayOptions {
  workers?: number;
  env?: Record<string, string>;
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

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  // tap's loader hooks have no business in the gateway's processes.
  delete env.NODE_OPTIONS;
  return env;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gatewayd ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function startGateway(t: TestLike, yaml: string, options: GatewayOptions = {}): Promise<Gateway> {
  const dir = mkdtempSync('/tmp/gwc-');
  const port = await freePort();
  let adminPort = await freePort();
  while (adminPort === port) adminPort = await freePort();
  const configFile = join(dir, 'gw.yaml');
  const pidFile = join(dir, 'gw.pid');
  const logDir = join(dir, 'logs');
  writeFileSync(configFile, yaml);
  // A short drain: an idle keep-alive connection (the SDKs keep them) would otherwise hold `stop`
  // for the whole drain_timeout.
  // Active health checks (issue 5) are off unless a test turns them on: their GET /models probes
  // would show up in the fakes' recorded requests.
  const env = childEnv({ GATEWAYD__ADMIN__PORT: String(adminPort), GATEWAYD__SERVER__DRAIN_TIMEOUT: '1s', GATEWAYD__HEALTH_CHECKS__ENABLED: 'false', ...options.env });
  const pids = new Set<number>();
  const logs = (): string => {
    const read = (name: string) => {
      try {
        return readFileSync(join(logDir, name), 'utf8');
      } catch {
        return '';
      }
    };
    return `--- gatewayd.out.log\n${read('gatewayd.out.log')}\n--- gatewayd.err.log\n${read('gatewayd.err.log')}`;
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      const pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
      if (pid > 0) pids.add(pid);
    } catch {
      // never started or already gone
    }
    await runCli(['stop', '--pid-file', pidFile, '--force', '--timeout', '5'], env, dir, 30_000).catch(() => undefined);
    for (const pid of pids) {
      if (alive(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  t.teardown(stop);

  const started = await runCli(['start', '--daemon', '--config', configFile, '--pid-file', pidFile, '--log-dir', logDir, '--port', String(port), '--workers', String(options.workers ?? 2)], env, dir);
  if (started.code !== 0) {
    const detail = `gatewayd start exited ${String(started.code)}\nstdout: ${started.stdout}\nstderr: ${started.stderr}\n${logs()}`;
    await stop();
    throw new Error(detail);
  }
  const status = await runCli(['status', '--json', '--pid-file', pidFile], env, dir);
  if (status.code === 0) {
    const report = JSON.parse(status.stdout) as { pid?: number; workers?: Array<{ pid: number }> };
    if (report.pid) pids.add(report.pid);
    for (const worker of report.workers ?? []) pids.add(worker.pid);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    adminPort,
    dir,
    configFile,
    pidFile,
    stop,
    cli: (...args) => runCli(args, env, dir),
    logs,
  };
}
