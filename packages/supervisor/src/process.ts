import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Whether a process exists and has not exited. kill(pid, 0) alone is not enough: an exited process
 * that its parent has not reaped yet (a zombie, common for a daemon re-parented to an init that does
 * not reap) still answers it, so on Linux the state letter in /proc/<pid>/stat is checked too.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** The arguments of a process's command line (Linux: /proc; macOS: ps); undefined when unreadable. */
export function commandLineOf(pid: number): string[] | undefined {
  try {
    if (process.platform === 'linux') return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '');
    if (process.platform === 'darwin') return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(/\s+/);
  } catch {
    // gone, or not ours to read
  }
  return undefined;
}

/**
 * The CLI script as a command line names it: the `gatewayd` bin, or the CLI's main module however
 * it is started (`node packages/supervisor/dist/cli/main.js`, `node ./dist/cli/main.js`, from source
 * with tsx). Loose on purpose: a stranger that matches is only treated as before this check.
 */
const GATEWAYD_SCRIPT = /(?:^|\/)gatewayd$|(?:^|\/)cli\/main\.[jt]s$/;

/**
 * Whether `pid` is a gatewayd (its command line names the CLI). A PID file that outlived a reboot
 * may name a pid some other program has now: that one is neither refused as "already running" nor
 * signalled by `stop`. A command line that cannot be read counts as gatewayd (the old behaviour);
 * an empty one (a kernel thread) does not.
 */
export function isGatewaydProcess(pid: number): boolean {
  const args = commandLineOf(pid);
  if (args === undefined) return true;
  // Empty: a kernel thread (a zombie's is empty too, but isProcessAlive already says no to those).
  return args.some((arg) => GATEWAYD_SCRIPT.test(arg));
}

/**
 * Polls until `pid` is gone or `timeoutMs` passes; true when it is gone. Polling is the only way to
 * watch a process that is not our child (the CLI's `stop` waiting for a daemon).
 */
export async function waitForProcessExit(pid: number, timeoutMs: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await delay(pollMs);
  }
  return true;
}

/** Sends a signal, ignoring a process that is already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
