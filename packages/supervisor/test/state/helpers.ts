/** Runs a TypeScript fixture as a real child process (with tap's tsx loader) and collects its JSON lines. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Tap {
  teardown(fn: () => unknown): void;
}

/** Only the TypeScript loader of the test runner: workers forked by the fixture inherit it. */
export function tsxExecArgv(): string[] {
  return process.execArgv.filter((arg) => arg.includes('tsx'));
}

export function tempDir(t: Tap, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface FixtureRun {
  code: number | null;
  lines: Array<{ result?: unknown; error?: string }>;
  stderr: string;
}

/** Spawns `file args...` and resolves when it exits (SIGKILLed at teardown or after timeoutMs). */
export function runFixture(t: Tap, file: string, args: string[], timeoutMs = 60_000): Promise<FixtureRun> {
  const child = spawn(process.execPath, [...tsxExecArgv(), file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      const lines = out
        .split('\n')
        .filter((line) => line.startsWith('{"result"') || line.startsWith('{"error"')) // not log lines
        .map((line) => JSON.parse(line) as { result?: unknown; error?: string });
      resolve({ code, lines, stderr: err });
    });
  });
}
