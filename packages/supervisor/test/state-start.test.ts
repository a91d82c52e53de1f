/**
 * A state backend the workers cannot reach at startup, through real gateway processes and a real
 * redis-server (or a closed port): `start` (daemon and foreground) still starts (exit 0) but says
 * so on the terminal, with the cause and the on_error policy and never the password; `status` and
 * /admin/stats show it unavailable (then ok once Redis answers); /health/ready is 503 while it is
 * down with on_error closed (limited requests are refused), and stays 200 with on_error open.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import type { StatusReport } from '@gatewayd/shared';
import { startRedis } from '../../worker/test/state/redis-server.js';
import { freePort, httpRequest, makeSandbox, readPidOf, runCli, startForeground, statusOf, waitFor, type Sandbox } from './helpers/gatewayd.js';

const KEY = 'gw-state-start-key-0001';
const PASSWORD = 'right-pass-7h8j9k';
const WRONG = 'wrong-pass-1q2w3e';

function stateYaml(url: string, onError: 'open' | 'closed'): string {
  return [
    `state: { backend: redis, on_error: ${onError}, redis: { url: "${url}", timeout: 250ms } }`,
    'auth:',
    '  mode: hybrid',
    '  keys:',
    `    - { name: team, key: "${KEY}", limits: { rpm: 600, concurrency: 20 } }`,
    'cache: { enabled: true }',
  ].join('\n');
}

const chat = (sb: Sandbox) =>
  httpRequest(sb.port, '/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hello' }] }),
  });

async function stats(sb: Sandbox): Promise<{ stateHealth: NonNullable<StatusReport['stateHealth']> }> {
  const answer = await httpRequest(sb.adminPort, '/admin/stats');
  return JSON.parse(answer.body) as { stateHealth: NonNullable<StatusReport['stateHealth']> };
}

t.test('daemon, Redis on a closed port, on_error closed: warned at start, shown by status and stats, not ready', async (t) => {
  const closed = await freePort();
  const sb = await makeSandbox(t, { extra: stateYaml(`redis://127.0.0.1:${closed}`, 'closed') });
  const started = await runCli(['start', '--daemon', '--config', sb.configFile, '--pid-file', sb.pidFile, '--log-dir', sb.logDir], { cwd: sb.dir });
  const pid = readPidOf(sb.pidFile);
  if (pid !== undefined) sb.pids.add(pid);
  t.equal(started.code, 0, 'it still starts: recovery is automatic');
  t.match(started.stdout, `gatewayd started (pid ${pid})`);
  const warnings = started.stderr.split('\n').filter((line) => line.includes('state backend'));
  t.equal(warnings.length, 1, `one warning line whatever the number of workers: ${started.stderr}`);
  t.match(warnings[0], /^gatewayd: warning: state backend redis unavailable at startup \(.*ECONNREFUSED.*\): on_error: closed: limited requests get 503/);

  const status = await statusOf(sb);
  t.equal(status.stateHealth?.status, 'unavailable');
  t.match(status.stateHealth?.reason, /ECONNREFUSED/);
  t.ok(status.stateHealth?.since && !Number.isNaN(Date.parse(status.stateHealth.since)), 'since when');
  const human = await runCli(['status', '--pid-file', sb.pidFile]);
  t.match(human.stdout, /state backend: +redis: unavailable since \S+ \(connect ECONNREFUSED [^)]*\); on_error: closed/);
  t.match((await stats(sb)).stateHealth, { backend: 'redis', status: 'unavailable', reason: /ECONNREFUSED/, onError: 'closed' });

  const ready = await httpRequest(sb.port, '/health/ready');
  t.equal(ready.status, 503, 'a load balancer routes elsewhere');
  t.same(JSON.parse(ready.body), { status: 'unavailable', stateBackend: { backend: 'redis', onError: 'closed', cause: 'ECONNREFUSED' } });
  t.equal((await chat(sb)).status, 503, 'as the limited requests are refused');
  t.equal((await runCli(['stop', '--pid-file', sb.pidFile])).code, 0);
});

t.test('foreground, Redis refuses the password, on_error open: warned without the password, still ready; ok once Redis takes it', async (t) => {
  const redis = await startRedis(t);
  const cli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' });
  cli('config', 'set', 'requirepass', PASSWORD);
  const sb = await makeSandbox(t, { extra: stateYaml(`redis://default:${WRONG}@127.0.0.1:${redis.port}`, 'open') });
  const gw = await startForeground(t, sb);
  await waitFor(() => gw.errors().includes('\n'), 5_000, 'the warning line');
  t.match(gw.errors(), /^gatewayd: warning: state backend redis unavailable at startup \(WRONGPASS[^)]*\): on_error: open: limits and cache are off until Redis answers/);
  t.notMatch(gw.errors() + gw.output(), WRONG, 'never the password');

  t.match((await statusOf(sb)).stateHealth, { status: 'unavailable', reason: /^WRONGPASS/, onError: 'open' });
  const ready = await httpRequest(sb.port, '/health/ready');
  t.equal(ready.status, 200, 'on_error open admits requests: still ready');
  t.equal((await chat(sb)).status, 200);

  // Redis now takes that password: the workers reconnect by themselves.
  cli('-a', PASSWORD, '--no-auth-warning', 'config', 'set', 'requirepass', WRONG);
  await waitFor(async () => (await statusOf(sb)).stateHealth?.status === 'ok', 15_000, 'status ok');
  t.match((await stats(sb)).stateHealth, { status: 'ok', since: null, reason: null });
  t.match((await runCli(['status', '--pid-file', sb.pidFile])).stdout, /state backend: +redis: ok\n/);
  gw.child.kill('SIGTERM');
  t.equal((await gw.exited).code, 0);
});

t.test('on_error closed: ready with Redis up, 503 while it is down, ready again once it is back; no warning at start', async (t) => {
  const redis = await startRedis(t);
  const sb = await makeSandbox(t, { workers: 1, extra: stateYaml(redis.url, 'closed') });
  const started = await runCli(['start', '--daemon', '--config', sb.configFile, '--pid-file', sb.pidFile, '--log-dir', sb.logDir], { cwd: sb.dir });
  const pid = readPidOf(sb.pidFile);
  if (pid !== undefined) sb.pids.add(pid);
  t.equal(started.code, 0, started.stderr);
  t.equal(started.stderr, '', 'nothing to warn about');
  t.match((await statusOf(sb)).stateHealth, { status: 'ok' });
  t.equal((await httpRequest(sb.port, '/health/ready')).status, 200);

  await redis.kill();
  // A call fails (or the lost connection outlives the timeout): the worker turns unready.
  await waitFor(async () => (await chat(sb)).status === 503 && (await httpRequest(sb.port, '/health/ready')).status === 503, 10_000, 'not ready');
  t.match(JSON.parse((await httpRequest(sb.port, '/health/ready')).body), { status: 'unavailable', stateBackend: { backend: 'redis', onError: 'closed' } });
  t.match((await statusOf(sb)).stateHealth, { status: 'unavailable' });

  await redis.restart();
  await waitFor(async () => (await httpRequest(sb.port, '/health/ready')).status === 200, 15_000, 'ready again');
  t.match((await statusOf(sb)).stateHealth, { status: 'ok' });
  t.equal((await runCli(['stop', '--pid-file', sb.pidFile])).code, 0);
});
