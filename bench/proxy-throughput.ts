/**
 * bench/proxy-throughput: non-stream chat completions, side by side in one run, all against the same
 * nginx `return 200` upstream (fixed OpenAI chat.completion JSON):
 *   direct to the upstream | nginx reverse proxy (1 and N workers) | gatewayd (1 and N workers,
 *   `openai` provider) | Portkey's gateway (@portkey-ai/gateway, one process)
 * A fourth kind of leg, the "bare uWS+undici" proxy (lib/bare-proxy-main.ts), is a featureless Node
 * proxy on uWebSockets.js and undici (gatewayd's parts until it got its own upstream client): what
 * the straightforward design costs with no features at all.
 * Each leg: wrk c=64 (throughput) and a concurrency-1 latency probe (sequential keep-alive requests).
 * SPEC targets: gatewayd throughput >= 0.5 x nginx proxy (same process count); added p50 at c=1 < 0.2 ms.
 *
 *   pnpm --filter @gatewayd/bench proxy
 *   env: DURATION=10 WARMUP=5 CONNECTIONS=64 WRK_THREADS=2 WORKERS=2 ROUNDS=1 LAT_ITERATIONS=3000 LAT_WARMUP=1000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayUpstream } from './lib/gatewayd-legs.js';
import { gatewayPid, gatewaydOpenaiWorks, startGatewayLeg } from './lib/gatewayd-legs.js';
import { probeLatency, type LatencyResult } from './lib/latency-probe.js';
import { requireNginx, startNginxProxy, startNginxReturn200, type Nginx } from './lib/nginx.js';
import { cpuSeconds, startForeignLoadMeter } from './lib/cpu.js';
import { startBareProxy } from './lib/bare-proxy.js';
import { CHAT_COMPLETION_BODY, GATEWAY_MODEL, UPSTREAM_MODEL, chatRequest } from './lib/openai-fixtures.js';
import { portkeyHeaders, startPortkeyOrSkip } from './lib/portkey.js';
import { Cleanup } from './lib/processes.js';
import { envNumber, log, roundOrder, runScenario } from './lib/report.js';
import { delta, fmt, median, verdict } from './lib/stats.js';
import { requireWrk, runWrk, writePostScript, type WrkResult } from './lib/wrk.js';

const DURATION = envNumber('DURATION', 10);
// Node's JIT needs seconds of traffic to reach steady state (nginx needs none): measure after it.
const WARMUP = envNumber('WARMUP', 5);
const CONNECTIONS = envNumber('CONNECTIONS', 64);
const WRK_THREADS = envNumber('WRK_THREADS', 2);
const WORKERS = envNumber('WORKERS', 2);
const ROUNDS = envNumber('ROUNDS', 1);
const LAT_ITERATIONS = envNumber('LAT_ITERATIONS', 3000);
// Sequential requests before the measured ones, every leg alike: the first few hundred run measurably slower
// (about +50 us for gatewayd and the bare floor) even right after the wrk run, so 10 % of the run was too few.
const LAT_WARMUP = envNumber('LAT_WARMUP', 1000);
const LAT_MAX_SECONDS = 30;

interface Leg {
  name: string;
  kind: 'direct' | 'nginx' | 'bare' | 'gatewayd' | 'portkey';
  processes: number;
  url: string;
  body: unknown;
  headers: Record<string, string>;
  /** Roots of the server's process trees, for its CPU time (the upstream's is not counted). */
  pids: number[];
}

interface Measured {
  leg: Leg;
  wrk: WrkResult[];
  latency: LatencyResult[];
  /** Server CPU microseconds per request during the wrk run. */
  cpuUsPerRequest: number[];
  /** Share of the machine used by processes outside this bench while the leg ran (noise). */
  foreignPercent: number[];
}

async function startLegs(cleanup: Cleanup, upstream: Nginx, gatewayUpstream: GatewayUpstream): Promise<Leg[]> {
  const upstreamPort = upstream.port;
  const upstreamBody = chatRequest(UPSTREAM_MODEL, false);
  const path = '/v1/chat/completions';
  const legs: Leg[] = [{ name: 'direct to upstream', kind: 'direct', processes: 1, url: `http://127.0.0.1:${upstreamPort}${path}`, body: upstreamBody, headers: {}, pids: [upstream.pid] }];
  for (const workers of new Set([1, WORKERS])) {
    const proxy = await startNginxProxy(upstreamPort, { workers });
    cleanup.add(proxy.stop);
    legs.push({ name: `nginx proxy ${workers}w`, kind: 'nginx', processes: workers, url: `http://127.0.0.1:${proxy.port}${path}`, body: upstreamBody, headers: {}, pids: [proxy.pid] });
  }
  for (const processes of new Set([1, WORKERS])) {
    const bare = await startBareProxy(processes, upstreamPort, UPSTREAM_MODEL);
    cleanup.add(bare.stop);
    legs.push({ name: `bare uWS+undici ${processes}p`, kind: 'bare', processes, url: `http://127.0.0.1:${bare.port}${path}`, body: chatRequest(GATEWAY_MODEL, false), headers: {}, pids: bare.pids });
  }
  const standIn = gatewayUpstream.kind === 'mock' ? ' (mock stand-in)' : '';
  for (const workers of new Set([1, WORKERS])) {
    const gateway = await startGatewayLeg(workers, gatewayUpstream);
    cleanup.add(gateway.stop);
    legs.push({ name: `gatewayd ${workers}w${standIn}`, kind: 'gatewayd', processes: workers, url: `http://127.0.0.1:${gateway.port}${path}`, body: chatRequest(GATEWAY_MODEL, false), headers: {}, pids: [gatewayPid(gateway)] });
  }
  const portkey = await startPortkeyOrSkip();
  if (portkey) {
    cleanup.add(portkey.stop);
    legs.push({ name: 'portkey 1.15.2', kind: 'portkey', processes: 1, url: `http://127.0.0.1:${portkey.port}${path}`, body: upstreamBody, headers: portkeyHeaders(`http://127.0.0.1:${upstreamPort}/v1`), pids: [portkey.pid] });
  }
  return legs;
}

interface LegRun {
  wrk: WrkResult;
  latency: LatencyResult;
  cpuUsPerRequest: number;
  foreignPercent: number;
}

/** allPids: every leg's server, so CPU of the detached gatewayd daemons is not taken for foreign load. */
async function measure(leg: Leg, scriptDir: string, allPids: number[]): Promise<LegRun> {
  const script = writePostScript(mkdtempSync(join(scriptDir, 'leg-')), leg.body, leg.headers);
  await runWrk({ url: leg.url, connections: CONNECTIONS, threads: WRK_THREADS, durationSeconds: WARMUP, script }).done;
  const foreign = startForeignLoadMeter(allPids);
  const cpuBefore = cpuSeconds(leg.pids);
  const wrk = await runWrk({ url: leg.url, connections: CONNECTIONS, threads: WRK_THREADS, durationSeconds: DURATION, script }).done;
  const cpuAfter = cpuSeconds(leg.pids);
  const cpuUsPerRequest = cpuBefore === undefined || cpuAfter === undefined || wrk.requests === 0 ? Number.NaN : ((cpuAfter - cpuBefore) * 1e6) / wrk.requests;
  const latency = await probeLatency({ url: leg.url, body: leg.body, headers: leg.headers, iterations: LAT_ITERATIONS, warmup: LAT_WARMUP, maxSeconds: LAT_MAX_SECONDS });
  const foreignPercent = foreign() ?? Number.NaN;
  log(`  ${leg.name}: ${Math.round(wrk.rps)} rps (${wrk.failed} failed), ${fmt(cpuUsPerRequest)} CPU us/request, other load ${fmt(foreignPercent)}%, c=1 p50 ${fmt(latency.us.p50)} us${latency.errors ? `, ${latency.errors} errors: ${latency.firstError}` : ''}`);
  return { wrk, latency, cpuUsPerRequest, foreignPercent };
}


function table(results: Measured[], standIn: boolean): string {
  const rps = (m: Measured) => median(m.wrk.map((w) => w.rps));
  const cpu = (m: Measured) => median(m.cpuUsPerRequest);
  const p50 = (m: Measured) => median(m.latency.map((l) => l.us.p50));
  const p99 = (m: Measured) => median(m.latency.map((l) => l.us.p99));
  const direct = results.find((m) => m.leg.kind === 'direct');
  const nginxFor = (processes: number) => results.find((m) => m.leg.kind === 'nginx' && m.leg.processes === processes);
  const bareFor = (processes: number) => results.find((m) => m.leg.kind === 'bare' && m.leg.processes === processes);
  const lines = [
    `| leg | processes | rps (wrk c=${CONNECTIONS}) | failed | × nginx proxy rps (same processes) | server CPU µs/req | × nginx proxy CPU/req | × bare floor rps | p50 µs (c=1) | p99 µs (c=1) | added p50 µs vs direct | throughput ≥ 0.5× nginx | added p50 < 200 µs | other load % |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const m of results) {
    const nginx = m.leg.kind === 'direct' || m.leg.kind === 'nginx' ? undefined : nginxFor(m.leg.processes);
    const ratio = nginx ? rps(m) / rps(nginx) : undefined;
    const cpuRatio = nginx ? cpu(m) / cpu(nginx) : undefined;
    const bare = m.leg.kind === 'gatewayd' ? bareFor(m.leg.processes) : undefined;
    const added = direct && m !== direct ? p50(m) - p50(direct) : undefined;
    const judged = m.leg.kind === 'gatewayd' && !standIn;
    const failed = m.wrk.reduce((n, w) => n + w.failed, 0) + m.latency.reduce((n, l) => n + l.errors, 0);
    const cells = [
      m.leg.name,
      String(m.leg.processes),
      fmt(rps(m)),
      String(failed),
      ratio === undefined ? '' : ratio.toFixed(2),
      fmt(cpu(m), 1),
      cpuRatio === undefined ? '' : fmt(cpuRatio, 1),
      bare === undefined ? '' : (rps(m) / rps(bare)).toFixed(2),
      fmt(p50(m)),
      fmt(p99(m)),
      m === direct ? '' : delta(p50(m), direct ? p50(direct) : undefined),
      judged ? verdict(ratio === undefined ? undefined : ratio >= 0.5) : '',
      judged ? verdict(added === undefined ? undefined : added < 200) : '',
      fmt(median(m.foreignPercent)),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

requireWrk();
requireNginx();
runScenario('proxy-throughput', async (cleanup, header) => {
  const upstream = await startNginxReturn200(CHAT_COMPLETION_BODY, 1);
  cleanup.add(upstream.stop);
  const baseUrl = `http://127.0.0.1:${upstream.port}/v1`;
  const probe = await gatewaydOpenaiWorks(baseUrl);
  const gatewayUpstream: GatewayUpstream = probe.ok ? { kind: 'openai', baseUrl } : { kind: 'mock', chunks: 1, chunkDelayMs: 0 };
  if (!probe.ok) log(`gatewayd's openai provider does not answer yet (${probe.detail}); gatewayd legs use the mock provider as a stand-in`);
  const legs = await startLegs(cleanup, upstream, gatewayUpstream);
  const results: Measured[] = legs.map((leg) => ({ leg, wrk: [], latency: [], cpuUsPerRequest: [], foreignPercent: [] }));
  const scriptDir = mkdtempSync(join(tmpdir(), 'gatewayd-bench-wrk-'));
  cleanup.add(() => rmSync(scriptDir, { recursive: true, force: true }));
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round}/${ROUNDS}`);
    for (const m of roundOrder(results, round)) {
      const run = await measure(m.leg, scriptDir, legs.flatMap((leg) => leg.pids));
      m.wrk.push(run.wrk);
      m.latency.push(run.latency);
      m.cpuUsPerRequest.push(run.cpuUsPerRequest);
      m.foreignPercent.push(run.foreignPercent);
    }
  }
  const standIn = gatewayUpstream.kind === 'mock';
  return [
    `### proxy throughput: non-stream chat completions, nginx \`return 200\` upstream (1 worker)`,
    '',
    `wrk -t${WRK_THREADS} -c${CONNECTIONS} -d${DURATION}s (after ${WARMUP}s warm-up); c=1: ${LAT_ITERATIONS} sequential keep-alive requests after ${LAT_WARMUP} unmeasured; ${ROUNDS} round(s), every other one in reverse leg order, medians. ${header}.`,
    'Server CPU µs/req: user+system CPU of the leg\'s own process tree (not the upstream\'s) during the wrk run, per request; steadier than rps when other work shares the cores, though contention inflates it too. Other load %: machine CPU used by processes outside this bench during the leg (of all cores); high means a noisy row.',
    ...(standIn ? ['', '**gatewayd legs use the built-in mock provider (no upstream hop): its openai provider did not answer yet. Targets not judged.**'] : []),
    '',
    table(results, standIn),
    '',
  ].join('\n');
});
