import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { isGatewaydProcess, isProcessAlive } from './process.js';

/** SPEC default chain, first writable wins: /var/run, ./run (created when needed), ./. */
export function pidFileCandidates(cwd = process.cwd()): string[] {
  return ['/var/run/gatewayd.pid', resolve(cwd, 'run/gatewayd.pid'), resolve(cwd, 'gatewayd.pid')];
}

function isWritableLocation(file: string, createDir: boolean): boolean {
  const dir = dirname(file);
  try {
    if (!existsSync(dir)) {
      if (!createDir) return false;
      mkdirSync(dir, { recursive: true });
    }
    accessSync(dir, constants.W_OK);
    if (existsSync(file)) accessSync(file, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The PID file `start` uses: --pid-file, else the first writable default (creating ./run). */
export function resolvePidFileForStart(explicit: string | undefined, cwd = process.cwd()): string {
  if (explicit) return resolve(cwd, explicit);
  const candidates = pidFileCandidates(cwd);
  const found = candidates.find((file, i) => isWritableLocation(file, i === 1));
  return found ?? candidates[candidates.length - 1]!;
}

/** The PID file the other commands read: --pid-file, else the first default that exists. */
export function resolvePidFileForLookup(explicit: string | undefined, cwd = process.cwd()): string {
  if (explicit) return resolve(cwd, explicit);
  const candidates = pidFileCandidates(cwd);
  return candidates.find((file) => existsSync(file)) ?? candidates.find((file) => isWritableLocation(file, false)) ?? candidates[1]!;
}

/** The control socket lives beside the PID file: same path, `.sock` instead of `.pid`. */
export function socketPathFor(pidFile: string): string {
  return pidFile.endsWith('.pid') ? `${pidFile.slice(0, -4)}.sock` : `${pidFile}.sock`;
}

export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why `start` could not take its PID file, as said to the operator: a file-system error (EACCES,
 * EROFS, ENOTDIR) names the PID file chosen and how to choose another; a refusal (already running)
 * is said as it is.
 */
export function describePidFileFailure(err: unknown, path: string, explicit: boolean, cwd = process.cwd()): string {
  const message = err instanceof Error ? err.message : String(err);
  if (typeof (err as NodeJS.ErrnoException | undefined)?.code !== 'string') return message;
  const how = explicit ? '' : ` (without --pid-file: the first writable of ${pidFileCandidates(cwd).join(', ')}, else the last)`;
  return `cannot create the PID file ${path}${how}: ${message}; pass --pid-file with a path in a writable directory`;
}

export class AlreadyRunningError extends Error {
  constructor(readonly pid: number, readonly file: string) {
    super(`gatewayd is already running (pid ${pid}, pid file ${file})`);
    this.name = 'AlreadyRunningError';
  }
}

const LOCK_STALE_MS = 10_000;
/**
 * A held lock whose PID file names no live process may be a start that took the lock an instant ago
 * and has not written its pid yet (it does so right after): it gets this long to show up before the
 * lock is judged stale. Without it, two starts racing on a SIGKILLed supervisor's files could both win.
 */
const FRESH_LOCK_GRACE_MS = 1_000;
const GRACE_POLL_MS = 50;

/**
 * The supervisor's PID file, locked (proper-lockfile) for the supervisor's whole life so two
 * starts cannot race. A lock left by a SIGKILLed supervisor can still look fresh for up to
 * LOCK_STALE_MS, so liveness is decided by the recorded pid, not by the lock's age.
 */
export class PidFile {
  private released = false;

  private constructor(readonly path: string, private readonly unlock: () => Promise<void>) {}

  static async acquire(path: string, warn: (message: string) => void, onCompromised: (err: Error) => void): Promise<PidFile> {
    mkdirSync(dirname(path), { recursive: true });
    const lockfilePath = `${path}.lock`;
    const lockOptions = { lockfilePath, realpath: false, stale: LOCK_STALE_MS, update: LOCK_STALE_MS / 4, onCompromised };
    let unlock: () => Promise<void>;
    try {
      unlock = await lockfile.lock(path, lockOptions);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      let owner = readPidFile(path);
      for (const deadline = Date.now() + FRESH_LOCK_GRACE_MS; (owner === undefined || !isProcessAlive(owner)) && Date.now() < deadline; ) {
        await delay(GRACE_POLL_MS);
        owner = readPidFile(path);
      }
      if (owner === undefined) throw new Error(`another gatewayd is starting (lock ${lockfilePath} is held and ${path} has no pid yet)`);
      // A fresh lock is being kept fresh by a live process: whatever its command line, refuse.
      if (owner !== process.pid && isProcessAlive(owner)) throw new AlreadyRunningError(owner, path);
      warn(`stale lock ${lockfilePath} of pid ${owner} (not running) removed`);
      rmSync(lockfilePath, { recursive: true, force: true });
      unlock = await lockfile.lock(path, lockOptions);
    }
    const previous = readPidFile(path);
    if (previous !== undefined && previous !== process.pid && isProcessAlive(previous) && isGatewaydProcess(previous)) {
      // A live gatewayd without the lock: a lock dir removed by hand. Refuse. (A live pid of another
      // program is a PID file that outlived a reboot: the lock was stale, taken over below.)
      await unlock().catch(() => undefined);
      throw new AlreadyRunningError(previous, path);
    }
    if (previous !== undefined) warn(`stale pid file ${path} (pid ${previous} is ${isProcessAlive(previous) ? 'another program now' : 'not running'}) taken over`);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${process.pid}\n`);
    renameSync(tmp, path);
    return new PidFile(path, unlock);
  }

  /** Removes the file (only if it is still ours) and releases the lock. */
  async release(): Promise<void> {
    if (this.released) return;
    this.removeFileIfOurs();
    this.released = true;
    await this.unlock().catch(() => undefined);
  }

  /** For exit paths that cannot wait (uncaught exception): file and lock dir removed synchronously. */
  releaseSync(): void {
    if (this.released) return;
    this.removeFileIfOurs();
    this.released = true;
    rmSync(`${this.path}.lock`, { recursive: true, force: true });
  }

  private removeFileIfOurs(): void {
    if (readPidFile(this.path) !== process.pid) return;
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

/** After a supervisor was SIGKILLed (`stop --force`), clear what it could not. */
export function removeStaleArtifacts(pidFile: string): void {
  for (const file of [pidFile, socketPathFor(pidFile)]) rmSync(file, { force: true });
  rmSync(`${pidFile}.lock`, { recursive: true, force: true });
}
