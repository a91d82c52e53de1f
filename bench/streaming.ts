/**
 * bench/streaming: OpenAI SSE chat completions from a streaming mock upstream (its own process;
 * CHUNKS content chunks DELAY_MS apart, each stamped with its send time), side by side in one run:
 *   direct | nginx reverse proxy (proxy_buffering off) | bare uWS+undici 1 process (the architecture
 *   floor: lib/bare-proxy-main.ts relaying each upstream read at once) | gatewayd 1 and N workers
 *   (`openai` provider) | Portkey's gateway
 * For each leg and client count: time to first token added vs direct, each chunk's one-way delay
 * (upstream send -> client arrival) added vs direct, and whether chunks arrive one by one (nothing
 * coalesced, median chunk not held back by 1 ms or more).
 * SPEC targets: streaming adds < 1 ms to time-to-first-token and forwards every chunk at once.
 *
 *   pnpm --filter @gatewayd/bench streaming
 *   env: CHUNKS=20 DELAY_MS=5 CLIENTS=1,16 STREAMS=20 JIT_WARMUP_STREAMS=2000 WARMUP_STREAMS=30 WORKERS=2
 */
import type { GatewayUpstream } from './lib/gatewayd-legs.js';
import { gatewayPid, gatewaydOpenaiWorks, startGatewayLeg } from './lib/gatewayd-legs.js';
import { startBareProxy } from './lib/bare-proxy.js';
import { startForeignLoadMeter } from './lib/cpu.js';
import { requireNginx, startNginxProxy } from './lib/nginx.js';
import { GATEWAY_MODEL, UPSTREAM_MODEL, WARMUP_USER, chatRequest } from './lib/openai-fixtures.js';
import { portkeyHeaders, startPortkeyOrSkip } from './lib/portkey.js';
import { Cleanup } from './lib/processes.js';
import { envNumber, log, runScenario } from './lib/report.js';
import { probeSse, type SseProbeResult } from './lib/sse-probe.js';
import { startSseUpstream } from './lib/sse-upstream.js';
import { delta, fmt, verdict, type Spread } from './lib/stats.js';

const CHUNKS = envNumber('CHUNKS', 20);
const DELAY_MS = envNumber('DELAY_MS', 5);
const STREAMS = envNumber('STREAMS', 20);
const WORKERS = envNumber('WORKERS', 2);
const CLIENTS = (process.env.CLIENTS ?? '1,16').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
const MAX_SECONDS = 60;
/**
 * Streams per leg, answered without delays, before measuring: V8 optimises a function only after
 * it ran often enough, and a gateway in production has long been past that point. 240 timed
 * streams left the request path in baseline code (perf: Builtins_BaselineOutOfLinePrologue, generic
 * LoadIC on top), measuring V8's tiering instead of the gateway.
 */
const JIT_WARMUP_STREAMS = envNumber('JIT_WARMUP_STREAMS', 2000);
/** Then streams per client at the real pace: upstream pools, timers, the measured connections. */
const WARMUP_STREAMS = envNumber('WARMUP_STREAMS', 30);
const WARMUP_CLIENTS = 8;

interface Leg {
  name: string;
  kind: 'direct' | 'nginx' | 'bare' | 'gatewayd' | 'portkey';
  url: string;
  body: unknown;
  headers: Record<string, string>;
  /** The server's own account of a failure (Portkey logs its exceptions to stdout/stderr). */
  serverLog?: () => string;
  /** Detached server process (the gatewayd daemon), so its CPU is not taken for foreign load. */
  detachedPid?: number;
}

interface Row {
  leg: Leg;
  clients: number;
  result: SseProbeResult;
  /** Share of the machine used by processes outside this bench while the leg ran (noise). */
  foreignPercent: number;
}

async function startLegs(cleanup: Cleanup, upstreamPort: number, gatewayUpstream: GatewayUpstream): Promise<Leg[]> {
  const path = '/v1/chat/completions';
  const body = chatRequest(UPSTREAM_MODEL, true);
  const legs: Leg[] = [{ name: 'direct to upstream', kind: 'direct', url: `http://127.0.0.1:${upstreamPort}${path}`, body, headers: {} }];
  const proxy = await startNginxProxy(upstreamPort, { workers: 1, buffering: false });
  cleanup.add(proxy.stop);
  legs.push({ name: 'nginx proxy 1w, buffering off', kind: 'nginx', url: `http://127.0.0.1:${proxy.port}${path}`, body, headers: {} });
  const bare = await startBareProxy(1, upstreamPort, UPSTREAM_MODEL);
  cleanup.add(bare.stop);
  legs.push({ name: 'bare uWS+undici 1p', kind: 'bare', url: `http://127.0.0.1:${bare.port}${path}`, body: chatRequest(GATEWAY_MODEL, true), headers: {} });
  const standIn = gatewayUpstream.kind === 'mock' ? ' (mock stand-in)' : '';
  for (const workers of new Set([1, WORKERS])) {
    const gateway = await startGatewayLeg(workers, gatewayUpstream);
    cleanup.add(gateway.stop);
    legs.push({ name: `gatewayd ${workers}w${standIn}`, kind: 'gatewayd', url: `http://127.0.0.1:${gateway.port}${path}`, body: chatRequest(GATEWAY_MODEL, true), headers: {}, detachedPid: gatewayPid(gateway) });
  }
  const portkey = await startPortkeyOrSkip();
  if (portkey) {
    cleanup.add(portkey.stop);
    legs.push({ name: 'portkey 1.15.2', kind: 'portkey', url: `http://127.0.0.1:${portkey.port}${path}`, body, headers: portkeyHeaders(`http://127.0.0.1:${upstreamPort}/v1`), serverLog: portkey.output });
  }
  return legs;
}

async function measure(leg: Leg, clients: number, detachedPids: number[]): Promise<Row> {
  const common = { url: leg.url, body: leg.body, headers: leg.headers, clients, expectedChunks: CHUNKS, lateAfterMs: DELAY_MS };
  // Warm-up: JIT, upstream pools. At least 8 connections, so that SO_REUSEPORT spreads them over
  // every worker (the measured run's connections may land on any of them).
  const jitWarmupBody = { ...(leg.body as Record<string, unknown>), user: WARMUP_USER };
  await probeSse({ ...common, body: jitWarmupBody, clients: WARMUP_CLIENTS, streams: Math.ceil(JIT_WARMUP_STREAMS / WARMUP_CLIENTS), maxSeconds: 60 });
  await probeSse({ ...common, clients: Math.max(clients, WARMUP_CLIENTS), streams: WARMUP_STREAMS, maxSeconds: 30 });
  const foreign = startForeignLoadMeter(detachedPids);
  const result = await probeSse({ ...common, streams: STREAMS, maxSeconds: MAX_SECONDS });
  const foreignPercent = foreign() ?? Number.NaN;
  log(`  ${leg.name}, ${clients} client(s): ${result.streamsOk} ok, ${result.streamsFailed} failed, TTFT p50 ${fmt(result.ttftUs.p50)} us, chunk delay p50 ${fmt(result.chunkDelayUs.p50)} us, other load ${fmt(foreignPercent)}%${result.firstError ? `; first error: ${result.firstError.slice(0, 200)}` : ''}`);
  return { leg, clients, result, foreignPercent };
}

function table(rows: Row[], clients: number, standIn: boolean): string {
  const here = rows.filter((r) => r.clients === clients);
  const direct = here.find((r) => r.leg.kind === 'direct')?.result;
  const pair = (a: number, b: number) => `${fmt(a)} / ${fmt(b)}`;
  const added = (r: SseProbeResult, pick: (x: SseProbeResult) => Spread) =>
    direct && r !== direct ? `${delta(pick(r).p50, pick(direct).p50)} / ${delta(pick(r).p99, pick(direct).p99)}` : '';
  const lines = [
    `**${clients} concurrent client(s)** × ${STREAMS} streams each`,
    '',
    `| leg | streams ok / failed | TTFT p50 / p99 µs | added TTFT p50 / p99 µs | 1st chunk delay p50 µs (added) | chunk delay p50 / p99 µs | added chunk delay p50 / p99 µs | gap p50 / p99 µs | late (> ${DELAY_MS} ms) | coalesced | TTFT +< 1 ms | every chunk at once | other load % |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { leg, result: r, foreignPercent } of here) {
    const judged = leg.kind === 'gatewayd' && !standIn && direct !== undefined && r.streamsOk > 0;
    const ttftPass = judged ? r.ttftUs.p50 - direct.ttftUs.p50 < 1000 : undefined;
    // "At once": no chunk shares a read with an earlier one, and the median chunk is not held back (< 1 ms added).
    const atOncePass = judged ? r.coalesced === 0 && r.chunkDelayUs.p50 - direct.chunkDelayUs.p50 < 1000 : undefined;
    const stamped = r.chunkDelayUs.count > 0;
    const cells = [
      leg.name,
      `${r.streamsOk} / ${r.streamsFailed}`,
      pair(r.ttftUs.p50, r.ttftUs.p99),
      added(r, (x) => x.ttftUs),
      stamped ? `${fmt(r.firstChunkDelayUs.p50)}${direct && r !== direct ? ` (${delta(r.firstChunkDelayUs.p50, direct.firstChunkDelayUs.p50)})` : ''}` : 'n/a',
      stamped ? pair(r.chunkDelayUs.p50, r.chunkDelayUs.p99) : 'n/a',
      stamped ? added(r, (x) => x.chunkDelayUs) : 'n/a',
      pair(r.gapUs.p50, r.gapUs.p99),
      stamped ? String(r.lateChunks) : 'n/a',
      String(r.coalesced),
      judged ? verdict(ttftPass) : '',
      judged ? verdict(atOncePass) : '',
      fmt(foreignPercent),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The first exception line and the frame after it in a server's output, if it logged one. */
function serverException(output: string): string | undefined {
  const m = /^.*(?:Error|error)\b.*$\n?(.*)/m.exec(output);
  return m ? `${m[0].trim().replace(/\s+/g, ' ').slice(0, 400)}` : undefined;
}

function failures(rows: Row[]): string[] {
  const quote = (text: string) => `\`${text.replace(/`/g, "'").slice(0, 400)}\``;
  const notes = rows
    .filter((r) => r.result.firstError !== undefined)
    .map((r) => {
      const logged = r.leg.serverLog ? serverException(r.leg.serverLog()) : undefined;
      return `- ${r.leg.name}, ${r.clients} client(s): ${r.result.streamsFailed} failed; first error: ${quote(r.result.firstError!)}${logged ? `; server log: ${quote(logged)}` : ''}`;
    });
  return notes.length ? ['', 'Failures:', ...notes] : [];
}

requireNginx();
runScenario('streaming', async (cleanup, header) => {
  const upstream = await startSseUpstream({ chunks: CHUNKS, delayMs: DELAY_MS });
  cleanup.add(upstream.stop);
  const probe = await gatewaydOpenaiWorks(upstream.baseUrl);
  const gatewayUpstream: GatewayUpstream = probe.ok ? { kind: 'openai', baseUrl: upstream.baseUrl } : { kind: 'mock', chunks: CHUNKS, chunkDelayMs: DELAY_MS };
  if (!probe.ok) log(`gatewayd's openai provider does not answer yet (${probe.detail}); gatewayd legs use the mock provider as a stand-in`);
  const legs = await startLegs(cleanup, upstream.port, gatewayUpstream);
  const rows: Row[] = [];
  for (const clients of CLIENTS) {
    log(`${clients} client(s)`);
    const detachedPids = legs.flatMap((leg) => (leg.detachedPid === undefined ? [] : [leg.detachedPid]));
    for (const leg of legs) rows.push(await measure(leg, clients, detachedPids));
  }
  const standIn = gatewayUpstream.kind === 'mock';
  return [
    `### streaming: OpenAI SSE, ${CHUNKS} content chunks ${DELAY_MS} ms apart per stream, stamped by the upstream`,
    '',
    `Chunk delay: upstream send to client arrival (CLOCK_MONOTONIC, same host); the 1st chunk leaves the upstream with the response headers, so its delay is the response-path share of the added TTFT. Added = leg minus direct at the same percentile. Other load %: machine CPU used outside this bench during the leg. ${header}.`,
    ...(standIn ? ['', '**gatewayd legs use the built-in mock provider (unstamped chunks): its openai provider did not answer yet. Targets not judged.**'] : []),
    '',
    ...CLIENTS.flatMap((clients) => [table(rows, clients, standIn), '']),
    ...failures(rows),
    '',
  ].join('\n');
});
