/** Rolling reload that fails: bad config, new workers never ready. The old generation serves on. */
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import { httpRequest, makeSandbox, runCli, startForeground, statusOf, waitFor } from './helpers/gatewayd.js';

t.test('a bad-config reload exits 1 and the old workers keep serving', async (t) => {
  const sb = await makeSandbox(t);
  const gateway = await startForeground(t, sb);
  const before = await statusOf(sb);
  writeFileSync(sb.configFile, 'server: { port: 70000 }\n');
  const result = await runCli(['reload', '--pid-file', sb.pidFile]);
  t.equal(result.code, 1);
  t.match(result.stderr, sb.configFile);
  t.match(result.stderr, 'server.port');
  t.match(result.stderr, 'the previous generation keeps serving');
  // The gateway's own log says so too, not only the operator's terminal.
  await waitFor(() => gateway.output().includes('"code":"GW_ERR_CONFIG_INVALID"'), 10_000, 'the failure in the gateway log');
  t.match(gateway.output(), /"msg":"gatewayd reload: rolling reload"/);
  t.match(gateway.output(), /"err":"[^"]*server\.port[^"]*","code":"GW_ERR_CONFIG_INVALID","msg":"reload failed; the previous generation keeps serving"/);

  const after = await statusOf(sb);
  t.equal(after.generation, 1);
  t.same(after.workers.map((w) => w.pid).sort(), before.workers.map((w) => w.pid).sort(), 'same worker pids');
  t.ok(after.workers.every((w) => w.state === 'ready'));
  t.equal(after.lastReload?.result, 'failure');
  t.match(after.lastReload?.error ?? '', 'server.port');
  for (let i = 0; i < 4; i++) t.equal((await httpRequest(sb.port, '/health')).status, 200, 'still answering');
});

t.test('a reload whose new workers never become ready exits 1; the old generation is untouched', async (t) => {
  const sb = await makeSandbox(t);
  await startForeground(t, sb);
  const before = await statusOf(sb);
  // Valid config, but no worker can start within 1 ms.
  sb.writeConfig({ readyTimeout: '1ms' });
  const result = await runCli(['reload', '--pid-file', sb.pidFile]);
  t.equal(result.code, 1);
  t.match(result.stderr, /reload failed: new worker 0 of generation 2 failed: .*did not become ready within 1ms/);

  const after = await statusOf(sb);
  t.equal(after.generation, 1);
  t.same(after.workers.map((w) => w.pid).sort(), before.workers.map((w) => w.pid).sort(), 'same worker pids, no new ones left');
  t.ok(after.workers.every((w) => w.state === 'ready'));
  t.equal((await httpRequest(sb.port, '/health')).status, 200);

  sb.writeConfig();
  const retry = await runCli(['reload', '--pid-file', sb.pidFile]);
  t.equal(retry.code, 0, 'a later good reload succeeds');
  t.equal((await statusOf(sb)).generation, 3, 'the failed attempt used up generation 2');
});

t.test('a reload failing at its second new worker drains the new worker already serving, never kills it', async (t) => {
  const sb = await makeSandbox(t, { workers: 2 });
  const fg = await startForeground(t, sb);
  const old = new Set((await statusOf(sb)).workers.map((w) => w.pid));
  const reload = runCli(['reload', '--pid-file', sb.pidFile]);
  // New workers start one at a time: the second is forked once the first serves. It is killed
  // before it can be ready, so the reload fails with the first new worker already on the port.
  const children = (): number[] => {
    try {
      return readFileSync(`/proc/${fg.pid}/task/${fg.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  let fresh: number[] = [];
  const deadline = Date.now() + 20_000;
  while ((fresh = children().filter((pid) => !old.has(pid))).length < 2 && Date.now() < deadline) await delay(2);
  t.equal(fresh.length, 2, 'the second new worker was forked');
  process.kill(fresh[1]!, 'SIGKILL');
  const result = await reload;
  t.equal(result.code, 1, 'the reload failed');
  const lines = () => fg.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  await waitFor(() => lines().some((l) => l.msg === 'worker draining' && l.workerPid === fresh[0]), 10_000, 'the serving new worker drains');
  const after = await statusOf(sb);
  t.same(after.workers.filter((w) => w.state === 'ready').map((w) => w.pid).sort(), [...old].sort(), 'the old generation serves on');
  t.equal((await httpRequest(sb.port, '/health')).status, 200);
});

t.test('a stop while a reload starts its workers: the reload reports the stop, not a worker failure', async (t) => {
  const sb = await makeSandbox(t);
  const gateway = await startForeground(t, sb);
  // SIGTERM the moment the reload starts its first new worker (a worker takes far longer to boot).
  gateway.child.stdout!.on('data', (data: string) => {
    if (data.includes('"msg":"reload: starting new workers"')) gateway.child.kill('SIGTERM');
  });
  const result = await runCli(['reload', '--pid-file', sb.pidFile]);
  t.equal(result.code, 1, result.stdout);
  t.match(result.stderr, /the supervisor is stopping/);
  t.notMatch(result.stderr, /exited before it was ready|GW_ERR_WORKER/);
  t.match(await gateway.exited, { code: 0 }, 'and the gateway stopped cleanly');
  t.notMatch(gateway.output(), /"msg":"reload failed/, 'no reload failure logged for a stop');
});
