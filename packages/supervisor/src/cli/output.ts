import type { StateHealthView, StatusReport } from '@gatewayd/shared';
import { stateOutageEffect } from '@gatewayd/shared/state';

export function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** `gatewayd: <line>` on stderr; a line that already names gatewayd (`gatewayd (pid 12) ...`) as is. */
export function printError(line: string): void {
  process.stderr.write(line.startsWith('gatewayd ') ? `${line}\n` : `gatewayd: ${line}\n`);
}

export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  const s = seconds % 60;
  return [d ? `${d}d` : '', d || h ? `${h}h` : '', d || h || m ? `${m}m` : '', `${s}s`].filter(Boolean).join(' ');
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd());
}

/** "1234 requests, 5 errors (0.4%), 100 prompt + 80 completion tokens, $0.0123". */
export function formatTraffic(t: NonNullable<StatusReport['traffic']>): string {
  const ratio = t.requests > 0 ? ` (${((100 * t.errors) / t.requests).toFixed(1)}%)` : '';
  return `${t.requests} requests, ${t.errors} errors${ratio}, ${t.promptTokens} prompt + ${t.completionTokens} completion tokens, $${t.costUsd.toFixed(4)}`;
}

/** "redis: ok", "redis: unavailable since <time> (<reason>); on_error: ...": the `state backend` line. */
export function formatStateHealth(backend: string, health: StateHealthView | undefined): string {
  if (health === undefined) return backend; // an older supervisor
  if (health.status === 'ok') return `${backend}: ok`;
  if (health.status === 'unknown') return `${backend}: no worker reports it (none uses it without a limit or the cache)`;
  return `${backend}: unavailable since ${health.since ?? '?'}${health.reason ? ` (${health.reason})` : ''}; ${stateOutageEffect(health.onError)}`;
}

/** The start warning of a state backend the workers could not reach (start prints it on stderr). */
export function stateStartWarning(health: StateHealthView): string | null {
  if (health.status !== 'unavailable') return null;
  return `warning: state backend ${health.backend} unavailable at startup${health.reason ? ` (${health.reason})` : ''}: ${stateOutageEffect(health.onError)}; gatewayd keeps serving and reconnects by itself`;
}

/** The human `status` view; `status --json` prints the StatusReport itself. */
export function formatStatus(status: StatusReport): string[] {
  const reload = status.lastReload
    ? `${status.lastReload.at} ${status.lastReload.result}${status.lastReload.error ? `: ${status.lastReload.error}` : ''}`
    : 'never';
  const lines = [
    `gatewayd is running (pid ${status.pid})`,
    `  uptime:          ${formatUptime(status.uptimeSeconds)} (since ${status.startedAt})`,
    `  generation:      ${status.generation}`,
    `  config:          ${status.configFile}`,
    `  pid file:        ${status.pidFile}`,
    `  listen:          data ${status.listen.data}, admin ${status.listen.admin ?? '-'}`,
    `  http engine:     ${status.httpEngine}`,
    `  state backend:   ${formatStateHealth(status.stateBackend, status.stateHealth)}`,
    `  worker restarts: ${status.workerRestarts}${status.crashLoop ? ' (crash loop: restarting at the maximum backoff)' : ''}`,
    // issue 5: headline figures, the same totals as GET /admin/stats
    ...(status.traffic ? [`  traffic:         ${formatTraffic(status.traffic)}`] : []),
    `  last reload:     ${reload}`,
    `  workers:         ${status.workers.length}`,
  ];
  const rows = [['ID', 'PID', 'GEN', 'STATE', 'IN-FLIGHT', 'STREAMS', 'RESTARTS']];
  for (const w of status.workers) {
    rows.push([String(w.id), String(w.pid), String(w.generation), w.state, String(w.inFlight), String(w.activeStreams), String(w.restarts)]);
  }
  for (const line of table(rows)) lines.push(`    ${line}`);
  // issue 5: per model and per gateway key, the figures of GET /admin/stats.
  for (const [title, breakdown] of [['models', status.trafficByModel], ['keys', status.trafficByKey]] as const) {
    if (!breakdown || Object.keys(breakdown).length === 0) continue;
    lines.push(`  ${title}:`);
    const head = [title === 'models' ? 'MODEL' : 'KEY', 'REQUESTS', 'ERRORS', 'PROMPT', 'COMPLETION', 'COST', 'CACHE-HIT'];
    const trafficTable = [head];
    for (const [name, r] of Object.entries(breakdown)) {
      trafficTable.push([name, String(r.requests), String(r.errors), String(r.promptTokens), String(r.completionTokens), `$${r.costUsd.toFixed(4)}`, r.cacheHitRatio === null ? '-' : `${(100 * r.cacheHitRatio).toFixed(1)}%`]);
    }
    for (const line of table(trafficTable)) lines.push(`    ${line}`);
  }
  return lines;
}
