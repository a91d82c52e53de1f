/**
 * bench/reload-under-load: constant load against the mock provider while 20 rolling reloads run.
 * Counts failed requests (connect errors, resets/read errors, timeouts, non-2xx) as wrk reports them,
 * for three client kinds (a new connection per request, keep-alive, keep-alive SSE streams spanning
 * reloads) under net.ipv4.tcp_migrate_req = 0 and 1. Target: 0 failures with 1.
 *
 *   pnpm --filter @gatewayd/bench reload-under-load        (needs root for sysctl, and wrk)
 *   RELOADS=20 CONNECTIONS=32 env vars tune it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSysctl, startGateway, writeSysctl } from './lib/gatewayd.js';
import { requireWrk, runWrk, writePostScript, type WrkResult } from './lib/wrk.js';

const RELOADS = Number(process.env.RELOADS ?? 20);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const SYSCTL = 'net.ipv4.tcp_migrate_req';

const CONFIG = `
server: { host: 127.0.0.1, port: PORT, workers: 2, drain_timeout: 10s }
admin: { host: 127.0.0.1, port: ADMIN_PORT }
logging: { level: warn }
providers: [{ name: local, type: mock, chunks: 1 }]
models: [{ name: demo, targets: [{ provider: local, model: demo }] }]
`;

interface Scenario {
  name: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

const SCENARIOS: Scenario[] = [
  { name: 'new connection per request', body: chat(false), headers: { connection: 'close' } },
  { name: 'keep-alive', body: chat(false), headers: {} },
  { name: 'keep-alive SSE, 10 chunks x 30 ms', body: chat(true), headers: { 'x-mock-chunks': '10', 'x-mock-chunk-delay-ms': '30' } },
];

function chat(stream: boolean): Record<string, unknown> {
  return { model: 'demo', stream, messages: [{ role: 'user', content: 'hello from the reload bench' }] };
}

interface Row {
  migrate: string;
  scenario: string;
  reloadsOk: number;
  result: WrkResult;
}

async function runOne(migrate: string, scenario: Scenario, scriptDir: string): Promise<Row> {
  const gateway = await startGateway(CONFIG);
  try {
    const script = writePostScript(scriptDir, scenario.body, scenario.headers);
    const load = runWrk({ url: `http://127.0.0.1:${gateway.port}/v1/chat/completions`, connections: CONNECTIONS, durationSeconds: 600, script });
    await new Promise((r) => setTimeout(r, 1000)); // steady state before the first reload
    let reloadsOk = 0;
    for (let i = 0; i < RELOADS; i++) {
      const reload = await gateway.cli('reload', '--pid-file', gateway.pidFile);
      if (reload.code === 0) reloadsOk++;
      else process.stderr.write(`reload ${i + 1} failed: ${reload.stdout}${reload.stderr}\n`);
    }
    await new Promise((r) => setTimeout(r, 1000)); // the last generation serves under load too
    load.stop();
    return { migrate, scenario: scenario.name, reloadsOk, result: await load.done };
  } finally {
    await gateway.stop();
  }
}

async function main(): Promise<void> {
  requireWrk();
  const original = readSysctl(SYSCTL);
  const scriptDir = mkdtempSync(join(tmpdir(), 'gatewayd-bench-wrk-'));
  const rows: Row[] = [];
  const settings = original === undefined ? [] : ['0', '1'];
  if (settings.length === 0) process.stderr.write(`${SYSCTL} is not available here; running with the system setting only\n`);
  try {
    for (const migrate of settings.length ? settings : ['n/a']) {
      if (migrate !== 'n/a' && !writeSysctl(SYSCTL, migrate)) throw new Error(`cannot set ${SYSCTL}=${migrate} (run as root)`);
      for (const scenario of SCENARIOS) {
        const row = await runOne(migrate, scenario, scriptDir);
        rows.push(row);
        process.stderr.write(`${SYSCTL}=${migrate} ${scenario.name}: ${row.result.requests} requests, ${row.result.failed} failed\n`);
      }
    }
  } finally {
    if (original !== undefined) writeSysctl(SYSCTL, original);
  }
  console.log(`\nreload under load: ${RELOADS} rolling reloads, 2 workers, wrk -c${CONNECTIONS}, mock provider\n`);
  console.log('| tcp_migrate_req | clients | reloads ok | requests | rps | failed | connect | read/reset | timeout | non-2xx |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const { migrate, scenario, reloadsOk, result: r } of rows) {
    console.log(`| ${migrate} | ${scenario} | ${reloadsOk}/${RELOADS} | ${r.requests} | ${Math.round(r.rps)} | ${r.failed} | ${r.connectErrors} | ${r.readErrors + r.writeErrors} | ${r.timeouts} | ${r.non2xx} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
