/**
 * bench/instructions: user-space instructions per request, counted by valgrind's callgrind, for
 * the bare uWS+undici floor and a 1-worker gatewayd in front of the same nginx `return 200`
 * upstream (non-stream chat completions). Instruction counts do not move with the VM's noise
 * (rps here varies by +-20 % between identical runs), so this scenario is the one to compare
 * commits with; it says nothing about the kernel's share (sockets), which is about the same for
 * both legs.
 *
 * Per leg: the server runs under callgrind (~50-100x slower), gets WARMUP seconds of wrk load
 * (JIT tiers up), then counters are zeroed, the process idles IDLE seconds (its timers: metrics,
 * event-loop monitor), is dumped, zeroed again, gets DURATION seconds of wrk load, and is dumped:
 *   per request = (loaded - idle x DURATION / IDLE) / requests
 * All threads of the process are counted (V8's background compiler and GC included), so a longer
 * warm-up gives lower, steadier figures.
 *
 *   pnpm --filter @gatewayd/bench instructions     (needs valgrind, wrk and nginx from Debian)
 *   env: WARMUP=120 IDLE=15 DURATION=20 CONNECTIONS=8
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, freePort } from './lib/gatewayd.js';
import { gatewayYaml } from './lib/gatewayd-legs.js';
import { requireNginx, startNginxReturn200 } from './lib/nginx.js';
import { CHAT_COMPLETION_BODY, GATEWAY_MODEL, chatRequest } from './lib/openai-fixtures.js';
import { sleep, stopChild, type Cleanup } from './lib/processes.js';
import { envNumber, log, runScenario } from './lib/report.js';
import { requireWrk } from './lib/wrk.js';

// Under valgrind a worker serves only ~50-150 requests a second: the JIT needs minutes to settle.
const WARMUP = envNumber('WARMUP', 120);
const IDLE = envNumber('IDLE', 15);
const DURATION = envNumber('DURATION', 20);
const CONNECTIONS = envNumber('CONNECTIONS', 8);
/** Under callgrind a worker takes tens of seconds to start. */
const START_TIMEOUT_S = 300;

interface Counted {
  leg: string;
  requests: number;
  idlePerSecond: number;
  perRequest: number;
}

function requireValgrind(): void {
  if (spawnSync('valgrind', ['--version']).error) throw new Error('valgrind is not installed: apt-get install -y valgrind');
}

const REQUEST = JSON.stringify(chatRequest(GATEWAY_MODEL, false));

/** Requests wrk completed with 2xx in `seconds` (non-2xx ones are not counted). */
function load(dir: string, url: string, seconds: number): number {
  const script = join(dir, 'post.lua');
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(REQUEST)}\nwrk.headers["content-type"] = "application/json"\n`);
  const out = spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '-s', script, url], { encoding: 'utf8' }).stdout;
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const bad = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return total - bad;
}

/** Polls until the endpoint answers 200 (the server is up and routes to the upstream). */
async function waitForAnswer(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_S * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server under valgrind exited (${child.exitCode})`);
    const r = spawnSync('curl', ['-s', '-m', '30', '-o', '/dev/null', '-w', '%{http_code}', url, '-H', 'content-type: application/json', '-d', REQUEST], { encoding: 'utf8' });
    if (r.stdout === '200') return;
    await sleep(1000);
  }
  throw new Error(`no 200 from ${url} within ${START_TIMEOUT_S} s`);
}

/** Zeroes the counters, runs `during`, dumps; the instructions counted in between. */
async function counted(dir: string, pid: number, during: () => Promise<number> | number): Promise<{ instructions: number; result: number }> {
  spawnSync('callgrind_control', ['-z', String(pid)], { stdio: 'ignore' });
  const result = await during();
  spawnSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore' });
  const parts = readdirSync(dir)
    .filter((f) => f.startsWith(`cg.${pid}.out.`))
    .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  const text = readFileSync(join(dir, parts.at(-1)!), 'utf8');
  const instructions = Number(/^totals: (\d+)/m.exec(text)?.[1] ?? /^summary: (\d+)/m.exec(text)?.[1]);
  if (!Number.isFinite(instructions)) throw new Error(`no instruction total in ${parts.at(-1)}`);
  return { instructions, result };
}

async function measureLeg(leg: string, cleanup: Cleanup, start: (dir: string, vg: string[]) => Promise<{ url: string; pid: number; child: ChildProcess }>): Promise<Counted> {
  const dir = mkdtempSync(join(tmpdir(), 'gatewayd-bench-cg-'));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  const vg = ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${dir}/cg.%p.out`];
  const { url, pid, child } = await start(dir, vg);
  log(`  ${leg}: up (pid ${pid}); ${WARMUP}s warm-up`);
  load(dir, url, WARMUP);
  const idle = await counted(dir, pid, () => sleep(IDLE * 1000).then(() => 0));
  const loaded = await counted(dir, pid, () => load(dir, url, DURATION));
  await stopChild(child, 'SIGTERM', 30_000);
  const idlePerSecond = idle.instructions / IDLE;
  const perRequest = (loaded.instructions - idlePerSecond * DURATION) / loaded.result;
  log(`  ${leg}: ${loaded.result} requests, ${Math.round(perRequest)} instructions per request (idle ${Math.round(idlePerSecond)}/s)`);
  return { leg, requests: loaded.result, idlePerSecond, perRequest };
}

runScenario('instructions', async (cleanup, header) => {
  requireValgrind();
  requireWrk();
  requireNginx();
  const upstream = await startNginxReturn200(CHAT_COMPLETION_BODY, 1);
  cleanup.add(() => upstream.stop());
  const legs: Counted[] = [];

  legs.push(
    await measureLeg('bare uWS+undici', cleanup, async (_dir, vg) => {
      const port = await freePort();
      const child = spawn('valgrind', [...vg, process.execPath, '--import', 'tsx', 'lib/bare-proxy-main.ts', String(port), String(upstream.port)], { stdio: 'ignore', cwd: new URL('.', import.meta.url).pathname });
      cleanup.add(() => stopChild(child, 'SIGKILL'));
      const url = `http://127.0.0.1:${port}/v1/chat/completions`;
      await waitForAnswer(url, child);
      return { url, pid: child.pid!, child };
    }),
  );

  legs.push(
    await measureLeg('gatewayd 1 worker', cleanup, async (dir, vg) => {
      const port = await freePort();
      const admin = await freePort();
      const config = join(dir, 'gatewayd.yaml');
      const yaml = gatewayYaml(1, { kind: 'openai', baseUrl: `http://127.0.0.1:${upstream.port}/v1` }).replaceAll('ADMIN_PORT', String(admin)).replaceAll('PORT', String(port));
      writeFileSync(config, `${yaml}supervisor: { ready_timeout: ${START_TIMEOUT_S}s }\n`);
      // The supervisor runs under valgrind too (--trace-children) so that its forked worker does;
      // only the worker's counters are read.
      const child = spawn('valgrind', [...vg, '--trace-children=yes', process.execPath, CLI, 'start', '--config', config, '--pid-file', join(dir, 'pid'), '--log-dir', join(dir, 'logs')], { stdio: 'ignore' });
      cleanup.add(() => stopChild(child, 'SIGKILL'));
      const url = `http://127.0.0.1:${port}/v1/chat/completions`;
      await waitForAnswer(url, child);
      const worker = Number(spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
      if (!(worker > 0)) throw new Error('gatewayd worker not found');
      return { url, pid: worker, child };
    }),
  );

  const bare = legs[0]!.perRequest;
  const rows = legs.map((l) => `| ${l.leg} | ${l.requests} | ${Math.round(l.perRequest).toLocaleString('en-US')} | ${(l.perRequest / bare).toFixed(2)} | ${Math.round(l.idlePerSecond).toLocaleString('en-US')} |`);
  return [
    '### instructions per request (callgrind): non-stream chat completions, nginx `return 200` upstream',
    '',
    `Under valgrind --tool=callgrind: ${WARMUP}s wrk warm-up (-c${CONNECTIONS}), ${IDLE}s idle, ${DURATION}s measured; all threads of the server process; idle-corrected. ${header}.`,
    '',
    '| leg | requests measured | instructions / request | × bare floor | idle instructions / s |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
});
