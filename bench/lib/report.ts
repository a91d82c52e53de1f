/** Run context and output for the scenarios: machine header, results file, signal-safe cleanup. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Cleanup } from './processes.js';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

/** One line on the machine, so a table is never read without its context (other load included). */
export function machineLine(): string {
  const [one] = loadavg();
  return `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}), load average ${one?.toFixed(2)} at start`;
}

/** Writes the markdown to bench/results/<scenario>-<timestamp>.md (gitignored) and returns the path. */
export function saveResult(scenario: string, markdown: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.md`;
  writeFileSync(file, markdown);
  return file;
}

/** Stops everything the scenario started when it is interrupted (the daemonised gatewayd would outlive us). */
export function cleanupOnSignals(cleanup: Cleanup): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping what this bench started\n`);
      void cleanup.run().finally(() => process.exit(130));
    });
  }
}

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/**
 * QUIET_LOAD=<n>: waits (at most QUIET_WAIT seconds, default 600) until the 1-minute load average
 * is below n before measuring, for machines shared with builds and tests. Unset: no wait.
 */
export async function waitForQuietMachine(): Promise<void> {
  const raw = process.env.QUIET_LOAD;
  if (raw === undefined || raw === '') return;
  const threshold = envNumber('QUIET_LOAD', 1);
  const deadline = Date.now() + envNumber('QUIET_WAIT', 600) * 1000;
  let announced = false;
  while ((loadavg()[0] ?? 0) >= threshold && Date.now() < deadline) {
    if (!announced) log(`waiting for the 1-minute load average (${loadavg()[0]?.toFixed(2)}) to drop below ${threshold}`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  if ((loadavg()[0] ?? 0) >= threshold) log(`load average still ${loadavg()[0]?.toFixed(2)}; measuring anyway`);
}

/**
 * The legs in the order round `round` (from 1) measures them: every other round reversed (A B C,
 * C B A, ...). This machine's speed drifts over minutes; a leg always measured last would carry
 * the drift into its ratio.
 */
export function roundOrder<T>(legs: readonly T[], round: number): T[] {
  return round % 2 === 1 ? [...legs] : [...legs].reverse();
}

/**
 * The frame of every scenario: signal-safe cleanup, the quiet-machine wait, the machine header;
 * `measure` starts what it needs (registering each stop with `cleanup`) and returns the markdown,
 * which is printed and saved. Everything started is stopped however it ends; a failure exits 1.
 */
export function runScenario(scenario: string, measure: (cleanup: Cleanup, header: string) => Promise<string>): void {
  const run = async (): Promise<void> => {
    const cleanup = new Cleanup();
    cleanupOnSignals(cleanup);
    await waitForQuietMachine();
    try {
      const markdown = await measure(cleanup, machineLine());
      console.log(`\n${markdown}`);
      log(`saved ${saveResult(scenario, markdown)}`);
    } finally {
      await cleanup.run();
    }
  };
  run().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
