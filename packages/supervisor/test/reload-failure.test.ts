/** Rolling reload that fails: bad config, new workers never ready. The old generation serves on. */
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { httpRequest, makeSandbox, runCli, startForeground, statusOf } from './helpers/gatewayd.js';

t.test('a bad-config reload exits 1 and the old workers keep serving', async (t) => {
  const sb = await makeSandbox(t);
  await startForeground(t, sb);
  const before = await statusOf(sb);
  writeFileSync(sb.configFile, 'server: { port: 70000 }\n');
  const result = await runCli(['reload', '--pid-file', sb.pidFile]);
  t.equal(result.code, 1);
  t.match(result.stderr, sb.configFile);
  t.match(result.stderr, 'server.port');
  t.match(result.stderr, 'the previous generation keeps serving');

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
