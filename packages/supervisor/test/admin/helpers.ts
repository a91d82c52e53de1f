/**
 * Real-process helpers of the admin/metrics tests: `gatewayd start` in the foreground with extra
 * environment (the test-only synthetic traffic switches, secrets), and admin-port requests.
 */
import { spawn } from 'node:child_process';
import { CLI, httpRequest, waitFor, type Foreground, type HttpResult, type Sandbox, type TestLike } from '../helpers/gatewayd.js';
import { sampleValue } from './fixtures.js';

export const SYNTHETIC_REQUESTS_ENV = 'GATEWAYD_TEST_ONLY_SYNTHETIC_REQUESTS';
export const SYNTHETIC_HEALTH_ENV = 'GATEWAYD_TEST_ONLY_PROVIDER_HEALTH';
export const REPORT_INTERVAL_ENV = 'GATEWAYD_TEST_ONLY_METRICS_INTERVAL_MS';

/** `gatewayd start` (foreground) with `env` added; resolves once it logged "gatewayd ready". */
export async function startWithEnv(t: TestLike, sandbox: Sandbox, env: Record<string, string>): Promise<Foreground> {
  const child = spawn(process.execPath, [CLI, 'start', '--config', sandbox.configFile, '--pid-file', sandbox.pidFile], {
    cwd: sandbox.dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('spawn failed');
  sandbox.pids.add(child.pid);
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(() => gone || stdout.includes('"msg":"gatewayd ready"'), 30_000, 'gatewayd ready');
  if (gone) throw new Error(`gatewayd exited during startup\nstdout: ${stdout}\nstderr: ${stderr}`);
  for (const match of stdout.matchAll(/"pid":(\d+)/g)) sandbox.pids.add(Number(match[1]));
  return { child, pid: child.pid, output: () => stdout, errors: () => stderr, exited };
}

export function admin(sandbox: Sandbox, path: string, token?: string): Promise<HttpResult> {
  return httpRequest(sandbox.adminPort, path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
}

export async function adminJson<T>(sandbox: Sandbox, path: string, token?: string): Promise<T> {
  const res = await admin(sandbox, path, token);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as T;
}

export async function scrape(sandbox: Sandbox, token?: string): Promise<string> {
  const res = await admin(sandbox, '/metrics', token);
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status} ${res.body}`);
  return res.body;
}

/** Polls /metrics until `series` has exactly `value`. */
export async function waitForSample(sandbox: Sandbox, series: string, value: number, timeoutMs = 20_000): Promise<string> {
  let last = '';
  try {
    await waitFor(async () => sampleValue((last = await scrape(sandbox)), series) === value, timeoutMs, `${series} = ${value}`);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last value ${sampleValue(last, series)}`);
  }
  return last;
}

export { sampleValue };
