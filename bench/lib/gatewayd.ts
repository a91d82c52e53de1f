/** Drives a real gatewayd through its CLI, the way an operator does: start --daemon, reload, stop. */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
export const CLI = fileURLToPath(new URL('../../packages/supervisor/dist/cli/main.js', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface Gateway {
  dir: string;
  port: number;
  pidFile: string;
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/** Starts a daemonised gatewayd with the given YAML (PORT and ADMIN_PORT placeholders filled). */
export async function startGateway(yaml: string): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'gatewayd-bench-'));
  const port = await freePort();
  const adminPort = await freePort();
  const configFile = join(dir, 'gatewayd.yaml');
  writeFileSync(configFile, yaml.replaceAll('ADMIN_PORT', String(adminPort)).replaceAll('PORT', String(port)));
  const pidFile = join(dir, 'gatewayd.pid');
  const cli = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, ...args], { cwd: dir });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };
  const started = await cli('start', '--daemon', '--config', configFile, '--pid-file', pidFile, '--log-dir', join(dir, 'logs'));
  if (started.code !== 0) throw new Error(`gatewayd did not start: ${started.stdout}${started.stderr}`);
  return {
    dir,
    port,
    pidFile,
    cli,
    stop: async () => {
      await cli('stop', '--pid-file', pidFile, '--timeout', '30', '--force');
    },
  };
}

export function readSysctl(name: string): string | undefined {
  const result = spawnSync('sysctl', ['-n', name], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

export function writeSysctl(name: string, value: string): boolean {
  return spawnSync('sysctl', ['-w', `${name}=${value}`], { encoding: 'utf8' }).status === 0;
}
