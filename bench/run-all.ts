/**
 * bench/run-all: runs every scenario, one after another, each in its own process (as it runs alone),
 * and prints their tables together. Select some by name: `tsx run-all.ts proxy-throughput streaming`.
 *
 *   pnpm --filter @gatewayd/bench all
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCENARIOS = ['proxy-throughput', 'streaming', 'limits-cache', 'reload-under-load'] as const;
/** A scenario that runs longer than this is stopped (it cleans up on SIGTERM). */
const SCENARIO_TIMEOUT_MS = 20 * 60_000;

function run(name: string): Promise<{ code: number; stdout: string }> {
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    process.stdout.write(d);
  });
  const timer = setTimeout(() => child.kill('SIGTERM'), SCENARIO_TIMEOUT_MS);
  // Forward an interrupt so the scenario stops what it started before we exit.
  const forward = () => child.kill('SIGTERM');
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve({ code: code ?? 1, stdout });
    });
  });
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.join(', ')}`);
  const selected = asked.length ? asked : [...SCENARIOS];
  const outcomes: Array<{ name: string; code: number; stdout: string }> = [];
  for (const name of selected) {
    process.stderr.write(`\n=== ${name} ===\n`);
    outcomes.push({ name, ...(await run(name)) });
  }
  console.log('\n## all scenarios\n');
  for (const { name, code, stdout } of outcomes) console.log(`${code === 0 ? stdout.trim() : `### ${name}: FAILED (exit ${code})`}\n`);
  process.exitCode = outcomes.some((o) => o.code !== 0) ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
