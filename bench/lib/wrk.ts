/** Runs wrk (Debian package) and parses what it counts: requests, socket errors, non-2xx. */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WrkResult {
  requests: number;
  rps: number;
  latencyP50Ms: number | undefined;
  latencyP99Ms: number | undefined;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  timeouts: number;
  non2xx: number;
  /** Every request that did not get a 2xx answer: socket errors of any kind plus non-2xx. */
  failed: number;
  raw: string;
}

export function requireWrk(): void {
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed: apt-get install -y wrk');
}

/** A wrk Lua script sending one POST with a JSON body, optionally closing the connection each time. */
export function writePostScript(dir: string, body: unknown, headers: Record<string, string>): string {
  const file = join(dir, `post-${Object.keys(headers).length}-${Date.now()}.lua`);
  const lines = [
    'wrk.method = "POST"',
    `wrk.body = ${JSON.stringify(JSON.stringify(body))}`,
    'wrk.headers["content-type"] = "application/json"',
    ...Object.entries(headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

export function parseWrk(raw: string): WrkResult {
  const num = (re: RegExp) => Number(re.exec(raw)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw);
  const pct = (p: string) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s|m)`).exec(raw);
    return m ? toMs(m[1]!, m[2]!) : undefined;
  };
  const connectErrors = Number(socket?.[1] ?? 0);
  const readErrors = Number(socket?.[2] ?? 0);
  const writeErrors = Number(socket?.[3] ?? 0);
  const timeouts = Number(socket?.[4] ?? 0);
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/);
  return {
    requests: num(/(\d+) requests in/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    latencyP50Ms: pct('50'),
    latencyP99Ms: pct('99'),
    connectErrors,
    readErrors,
    writeErrors,
    timeouts,
    non2xx,
    failed: connectErrors + readErrors + writeErrors + timeouts + non2xx,
    raw,
  };
}

export interface WrkOptions {
  url: string;
  connections: number;
  threads?: number;
  durationSeconds: number;
  script?: string;
  timeoutSeconds?: number;
}

/** Starts wrk; resolves with its parsed report when it ends (on its own or after stop()). */
export function runWrk(options: WrkOptions): { done: Promise<WrkResult>; stop: () => void } {
  const args = [
    `-t${options.threads ?? 1}`,
    `-c${options.connections}`,
    `-d${options.durationSeconds}s`,
    `--timeout`, `${options.timeoutSeconds ?? 10}s`,
    '--latency',
    ...(options.script ? ['-s', options.script] : []),
    options.url,
  ];
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<WrkResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', () => resolve(parseWrk(out)));
  });
  // wrk prints its report when interrupted, so a run can end exactly when the scenario is over.
  return { done, stop: () => child.kill('SIGINT') };
}
