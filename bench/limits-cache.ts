/**
 * bench/limits-cache: what rate limits and the response cache cost on the hot path, per state
 * backend, side by side in one run, all gatewayd legs (N workers, `openai` provider) in front of
 * the same nginx `return 200` upstream:
 *   off | limits (local) | limits + cache (local) | limits (redis) | limits + cache (redis)
 * Limits: the key's rpm / tpm / concurrency (LIMIT_SCOPES=key,global adds global ones), high
 * enough never to refuse. Cache: on (default max_entries, so the store also evicts in steady state),
 * with a distinct prompt per request (wrk Lua counter + run nonce), so every request misses: a
 * lookup, an admit, a settle and a store each time. Targets (issue 4): throughput with limits and
 * cache on >= 0.8 x off with `local`, >= 0.7 x off with `redis`.
 * Then, at concurrency 1: a cache hit (same request repeated) versus the upstream call through
 * gatewayd (cache off) and versus the upstream directly.
 *
 *   pnpm --filter @gatewayd/bench limits-cache      (or: cd bench && npx tsx limits-cache.ts)
 *   env: DURATION=10 WARMUP=5 CONNECTIONS=64 WRK_THREADS=2 WORKERS=2 ROUNDS=1 LAT_ITERATIONS=2000 LAT_WARMUP=1000
 *        LIMIT_SCOPES=key (or key,global) BACKENDS=local,redis (or one of them) QUIET_LOAD=<load average to wait for>
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processCpuSeconds, startForeignLoadMeter, treeCpuSeconds } from './lib/cpu.js';
import { freePort, type Gateway } from './lib/gatewayd.js';
import { gatewayPid, startDisposableGateway } from './lib/gatewayd-legs.js';
import { probeLatency, type LatencyResult } from './lib/latency-probe.js';
import { requireNginx, startNginxReturn200 } from './lib/nginx.js';
import { CHAT_COMPLETION_BODY, GATEWAY_MODEL, UPSTREAM_MODEL, chatRequest } from './lib/openai-fixtures.js';
import { Cleanup, captureOutput, stopChild, waitForPort } from './lib/processes.js';
import { envNumber, log, roundOrder, runScenario } from './lib/report.js';
import { fmt, median, verdict } from './lib/stats.js';
import { requireWrk, runWrk, type WrkResult } from './lib/wrk.js';

const DURATION = envNumber('DURATION', 10);
// Node's JIT needs seconds of traffic to reach steady state (nginx needs none): measure after it.
const WARMUP = envNumber('WARMUP', 5);
const CONNECTIONS = envNumber('CONNECTIONS', 64);
const WRK_THREADS = envNumber('WRK_THREADS', 2);
const WORKERS = envNumber('WORKERS', 2);
const ROUNDS = envNumber('ROUNDS', 1);
const LAT_ITERATIONS = envNumber('LAT_ITERATIONS', 2000);
// Sequential requests before the measured ones, every leg alike: the first few hundred run measurably slower
// (about +50 us for gatewayd and the bare floor) even right after the wrk run, so 10 % of the run was too few.
const LAT_WARMUP = envNumber('LAT_WARMUP', 1000);
/** Which limit scopes the limited legs count against: the key's (default), plus the global ones. */
const SCOPES = (process.env.LIMIT_SCOPES ?? 'key').split(',').map((scope) => scope.trim());
const API_KEY = 'bench-limits-key-0123456789';
/** Never reached in a run: the limits are counted, never binding. */
const HIGH = { rpm: 1_000_000_000, tpm: 1_000_000_000_000, concurrency: 1_000_000 };

type Backend = 'none' | 'local' | 'redis';
interface LegSpec {
  name: string;
  backend: Backend;
  limits: boolean;
  cache: boolean;
}

const ALL_LEGS: LegSpec[] = [
  { name: 'off', backend: 'none', limits: false, cache: false },
  { name: 'limits (local)', backend: 'local', limits: true, cache: false },
  { name: 'limits + cache (local)', backend: 'local', limits: true, cache: true },
  { name: 'limits (redis)', backend: 'redis', limits: true, cache: false },
  { name: 'limits + cache (redis)', backend: 'redis', limits: true, cache: true },
];
/** BACKENDS=local (or redis) runs the off leg and that backend's legs only. */
const BACKENDS = (process.env.BACKENDS ?? 'local,redis').split(',').map((backend) => backend.trim());
const LEGS = ALL_LEGS.filter((leg) => leg.backend === 'none' || BACKENDS.includes(leg.backend));

interface Leg {
  spec: LegSpec;
  gateway: Gateway;
  url: string;
  pid: number;
  wrk: WrkResult[];
  cpuUsPerRequest: number[];
  /** The supervisor's share of cpuUsPerRequest: where backend `local` keeps its store. */
  supervisorCpuUsPerRequest: number[];
  foreignPercent: number[];
}

/** A private redis-server: free port, temp dir, no persistence; stopped with the bench. */
async function startRedis(cleanup: Cleanup): Promise<string> {
  if (spawnSync('redis-server', ['--version']).error) throw new Error('redis-server is not installed: apt-get install -y redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'gatewayd-bench-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(child);
  cleanup.add(async () => {
    await stopChild(child, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await waitForPort(port, 10_000, child).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\n${output()}`);
  });
  return `redis://127.0.0.1:${port}`;
}

/** startGateway() fills PORT and ADMIN_PORT; nothing else here may contain those words. */
function legYaml(spec: LegSpec, upstreamPort: number, redisUrl: string): string {
  const limits = `{ rpm: ${HIGH.rpm}, tpm: ${HIGH.tpm}, concurrency: ${HIGH.concurrency} }`;
  const state = spec.backend === 'redis' ? `{ backend: redis, redis: { url: "${redisUrl}", prefix: "bench:${randomBytes(4).toString('hex')}:" } }` : '{ backend: local }';
  return `
server: { host: 127.0.0.1, port: PORT, workers: ${WORKERS}, drain_timeout: 5s }
admin: { host: 127.0.0.1, port: ADMIN_PORT }
logging: { level: warn }
state: ${state}
auth: { mode: gateway, keys: [{ name: bench, key: "${API_KEY}"${spec.limits && SCOPES.includes('key') ? `, limits: ${limits}` : ''} }] }
${spec.limits && SCOPES.includes('global') ? `limits: ${limits}` : ''}
cache: { enabled: ${spec.cache}, ttl: 10m }
providers:
  - { name: upstream, type: openai, base_url: "http://127.0.0.1:${upstreamPort}/v1", api_keys: [sk-bench-upstream] }
models:
  - { name: ${GATEWAY_MODEL}, targets: [{ provider: upstream, model: ${UPSTREAM_MODEL} }] }
`;
}

/**
 * A wrk script whose every request has a prompt no other request had: a per-thread id (setup),
 * a per-thread counter, and a nonce per script so warm-up and measured runs never share one.
 */
function writeDistinctScript(dir: string): string {
  const body = JSON.stringify(chatRequest(GATEWAY_MODEL, false));
  const marker = 'Say hello to the benchmark.';
  const [head, tail] = body.split(marker) as [string, string];
  const nonce = randomBytes(6).toString('hex');
  const file = join(dir, `distinct-${nonce}.lua`);
  writeFileSync(
    file,
    `
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
local head = ${JSON.stringify(head)}
local tail = ${JSON.stringify(tail)}
local headers = { ["content-type"] = "application/json", ["authorization"] = "Bearer ${API_KEY}" }
function request()
  counter = counter + 1
  return wrk.format("POST", nil, headers, head .. "${marker} ${nonce}-" .. tid .. "-" .. counter .. tail)
end
`,
  );
  return file;
}

async function check(url: string, expect: { status: number; xCache?: string | null; limited: boolean }): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, body: JSON.stringify(chatRequest(GATEWAY_MODEL, false)) });
  const text = await res.text();
  const xCache = res.headers.get('x-cache');
  const limited = res.headers.get('x-ratelimit-limit-requests') !== null;
  if (res.status !== expect.status || (expect.xCache !== undefined && xCache !== expect.xCache) || limited !== expect.limited) {
    throw new Error(`${url}: unexpected answer (status ${res.status}, x-cache ${xCache}, rate-limit headers ${limited}): ${text.slice(0, 200)}`);
  }
}

async function measure(leg: Leg, scriptDir: string, allPids: number[]): Promise<void> {
  await runWrk({ url: leg.url, connections: CONNECTIONS, threads: WRK_THREADS, durationSeconds: WARMUP, script: writeDistinctScript(scriptDir) }).done;
  const foreign = startForeignLoadMeter(allPids);
  const cpuBefore = treeCpuSeconds(leg.pid);
  const supervisorBefore = processCpuSeconds(leg.pid);
  const wrk = await runWrk({ url: leg.url, connections: CONNECTIONS, threads: WRK_THREADS, durationSeconds: DURATION, script: writeDistinctScript(scriptDir) }).done;
  const cpuAfter = treeCpuSeconds(leg.pid);
  const supervisorAfter = processCpuSeconds(leg.pid);
  leg.wrk.push(wrk);
  const perRequest = (before: number | undefined, after: number | undefined) => (before === undefined || after === undefined || wrk.requests === 0 ? Number.NaN : ((after - before) * 1e6) / wrk.requests);
  leg.cpuUsPerRequest.push(perRequest(cpuBefore, cpuAfter));
  leg.supervisorCpuUsPerRequest.push(perRequest(supervisorBefore, supervisorAfter));
  leg.foreignPercent.push(foreign() ?? Number.NaN);
  log(`  ${leg.spec.name}: ${Math.round(wrk.rps)} rps, ${wrk.failed} failed, ${fmt(leg.cpuUsPerRequest.at(-1), 1)} CPU us/request`);
}


function throughputTable(legs: Leg[]): string {
  const rps = (leg: Leg) => median(leg.wrk.map((w) => w.rps));
  const off = legs.find((leg) => leg.spec.backend === 'none');
  const lines = [
    `| leg | rps (wrk c=${CONNECTIONS}) | failed | × off | gatewayd CPU µs/req | of which supervisor | target | verdict | other load % |`,
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const leg of legs) {
    const ratio = off === undefined || leg === off ? undefined : rps(leg) / rps(off);
    const target = leg.spec.backend === 'local' ? 0.8 : leg.spec.backend === 'redis' ? 0.7 : undefined;
    const judged = target !== undefined && leg.spec.cache;
    const failed = leg.wrk.reduce((n, w) => n + w.failed, 0);
    lines.push(
      `| ${leg.spec.name} | ${fmt(rps(leg))} | ${failed} | ${ratio === undefined ? '' : ratio.toFixed(2)} | ${fmt(median(leg.cpuUsPerRequest), 1)} | ${fmt(median(leg.supervisorCpuUsPerRequest), 1)} | ${target === undefined ? '' : `≥ ${target}`} | ${judged ? verdict(ratio === undefined ? undefined : ratio >= (target as number) && failed === 0) : ''} | ${fmt(median(leg.foreignPercent))} |`,
    );
  }
  return lines.join('\n');
}

interface LatencyRow {
  name: string;
  result: LatencyResult;
}

function latencyTable(rows: LatencyRow[]): string {
  const upstream = rows.find((r) => r.name.startsWith('upstream call'));
  const lines = ['| c=1, sequential keep-alive | p50 µs | p90 µs | p99 µs | p50 vs upstream call through gatewayd | errors |', '|---|---|---|---|---|---|'];
  for (const row of rows) {
    const vs = upstream && row !== upstream ? `${(row.result.us.p50 - upstream.result.us.p50 >= 0 ? '+' : '') + fmt(row.result.us.p50 - upstream.result.us.p50)} µs` : '';
    lines.push(`| ${row.name} | ${fmt(row.result.us.p50)} | ${fmt(row.result.us.p90)} | ${fmt(row.result.us.p99)} | ${vs} | ${row.result.errors} |`);
  }
  return lines.join('\n');
}

requireWrk();
requireNginx();
runScenario('limits-cache', async (cleanup, header) => {
  const upstream = await startNginxReturn200(CHAT_COMPLETION_BODY, 1);
  cleanup.add(upstream.stop);
  const redisUrl = await startRedis(cleanup);
  const legs: Leg[] = [];
  for (const spec of LEGS) {
    const gateway = await startDisposableGateway(legYaml(spec, upstream.port, redisUrl));
    cleanup.add(gateway.stop);
    const url = `http://127.0.0.1:${gateway.port}/v1/chat/completions`;
    // Each leg does what it claims: limit headers when limited, a miss when caching.
    await check(url, { status: 200, xCache: spec.cache ? 'MISS' : null, limited: spec.limits });
    legs.push({ spec, gateway, url, pid: gatewayPid(gateway), wrk: [], cpuUsPerRequest: [], supervisorCpuUsPerRequest: [], foreignPercent: [] });
  }
  const scriptDir = mkdtempSync(join(tmpdir(), 'gatewayd-bench-wrk-'));
  cleanup.add(() => rmSync(scriptDir, { recursive: true, force: true }));
  const pids = [...legs.map((leg) => leg.pid), upstream.pid];
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round}/${ROUNDS}: throughput`);
    for (const leg of roundOrder(legs, round)) await measure(leg, scriptDir, pids);
  }

  log('latency at c=1: cache hits versus upstream calls');
  const body = chatRequest(GATEWAY_MODEL, false);
  const headers = { authorization: `Bearer ${API_KEY}` };
  const probe = (url: string, requestBody: unknown, withKey: boolean) =>
    probeLatency({ url, body: requestBody, headers: withKey ? headers : {}, iterations: LAT_ITERATIONS, warmup: LAT_WARMUP, maxSeconds: 30 });
  const rows: LatencyRow[] = [];
  rows.push({ name: 'upstream directly (nginx)', result: await probe(`http://127.0.0.1:${upstream.port}/v1/chat/completions`, chatRequest(UPSTREAM_MODEL, false), false) });
  const off = legs.find((leg) => leg.spec.name === 'off');
  if (off) rows.push({ name: 'upstream call through gatewayd (cache off)', result: await probe(off.url, body, true) });
  for (const leg of legs.filter((l) => l.spec.cache)) {
    await check(leg.url, { status: 200, limited: true }); // stores the entry (or finds it)
    await check(leg.url, { status: 200, xCache: 'HIT', limited: true });
    rows.push({ name: `cache hit, ${leg.spec.name}`, result: await probe(leg.url, body, true) });
  }
  for (const row of rows) log(`  ${row.name}: p50 ${fmt(row.result.us.p50)} us${row.result.errors ? `, ${row.result.errors} errors: ${row.result.firstError}` : ''}`);

  return [
    `### limits and cache: overhead on non-stream chat completions, nginx \`return 200\` upstream, gatewayd ${WORKERS} workers`,
    '',
    `wrk -t${WRK_THREADS} -c${CONNECTIONS} -d${DURATION}s (after ${WARMUP}s warm-up), a distinct prompt per request (every cache lookup misses); ${ROUNDS} round(s), every other one in reverse leg order, medians. ${header}.`,
    `Limits: rpm/tpm/concurrency of scope(s) ${SCOPES.join(' + ')}, never binding. Cache: default max_entries. Verdicts on the limits + cache legs: ≥ 0.8 × off (local), ≥ 0.7 × off (redis). gatewayd CPU: supervisor + workers (the local store lives in the supervisor); Redis's own CPU is not in it but shares the cores.`,
    '',
    throughputTable(legs),
    '',
    `Latency at concurrency 1 (${LAT_ITERATIONS} sequential requests over one keep-alive connection after ${LAT_WARMUP} unmeasured, the same request each time):`,
    '',
    latencyTable(rows),
    '',
  ].join('\n');
});
