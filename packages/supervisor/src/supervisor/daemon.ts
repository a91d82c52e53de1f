import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the daemonised supervisor tells its launcher over the spawn IPC channel. */
export type DaemonReport = { type: 'ready'; pid: number; warnings?: string[] } | { type: 'failed'; reason: string };

export const DAEMON_OUT_LOG = 'gatewayd.out.log';
export const DAEMON_ERR_LOG = 'gatewayd.err.log';

export interface DaemonLaunch {
  /** Arguments for `start` in the child, already absolute (config, pid file, log dir). */
  startArgs: string[];
  logDir: string;
}

/**
 * `start --daemon`, launcher side. spawn (not fork: works on macOS too) this CLI in foreground mode
 * with the internal --daemonized flag, in a new session, stdout/stderr appended to the log dir.
 * Resolves with the exit code once the child reports ready/failed, or dies before reporting.
 */
export function launchDaemon(launch: DaemonLaunch): Promise<{ code: number; message: string; warnings?: string[] }> {
  let outFd: number;
  let errFd: number;
  try {
    mkdirSync(launch.logDir, { recursive: true });
    outFd = openSync(join(launch.logDir, DAEMON_OUT_LOG), 'a');
    errFd = openSync(join(launch.logDir, DAEMON_ERR_LOG), 'a');
  } catch (err) {
    // One line, as for any other reason start gives up: not a stack trace under the usage text.
    return Promise.resolve({ code: 1, message: `gatewayd failed to start: cannot write the log directory ${launch.logDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
  }
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  // Node's own flags (`node --max-old-space-size=... main.js start --daemon`, --cpu-prof) go with
  // it: the daemon is the same supervisor as a foreground one, and its workers inherit them.
  const child = spawn(process.execPath, [...process.execArgv, cli, 'start', ...launch.startArgs, '--daemonized'], {
    detached: true,
    stdio: ['ignore', outFd, errFd, 'ipc'],
    cwd: process.cwd(),
    env: process.env,
  });
  closeSync(outFd);
  closeSync(errFd);
  const errLog = join(launch.logDir, DAEMON_ERR_LOG);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (code: number, message: string, warnings: string[] = []): void => {
      if (settled) return;
      settled = true;
      if (child.connected) child.disconnect();
      child.unref();
      resolve({ code, message, warnings });
    };
    child.on('message', (message: DaemonReport) => {
      if (message.type === 'ready') settle(0, `gatewayd started (pid ${message.pid})`, message.warnings);
      else if (message.type === 'failed') settle(1, `gatewayd failed to start: ${message.reason}`);
    });
    child.once('error', (err) => settle(1, `gatewayd failed to start: ${err.message}`));
    child.once('exit', (code, signal) => {
      settle(1, `gatewayd failed to start: the daemon exited before it was ready (${signal ? `signal ${signal}` : `exit code ${code}`}); see ${errLog}`);
    });
  });
}

/** The daemonised supervisor's side of the channel to its launcher; null in plain foreground mode. */
export interface LauncherChannel {
  /** `warnings`: lines for the launcher's terminal (a state backend it could not reach). */
  ready(pid: number, warnings?: string[]): Promise<void>;
  failed(reason: string): Promise<void>;
}

export function connectLauncher(): LauncherChannel | null {
  if (typeof process.send !== 'function') return null;
  const report = (message: DaemonReport): Promise<void> =>
    new Promise<void>((resolve) => {
      if (!process.connected || !process.send) return resolve();
      process.send(message, undefined, {}, () => resolve());
    }).then(() => {
      // This is the daemon's channel to its launcher, not a cluster worker's: closing it lets the
      // launcher exit while the supervisor runs on.
      if (process.connected) process.disconnect();
    });
  return {
    ready: (pid, warnings = []) => report({ type: 'ready', pid, warnings }),
    failed: (reason) => report({ type: 'failed', reason }),
  };
}
