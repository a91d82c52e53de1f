/**
 * A reload moves the admin plane with the config: to another port, off, on again. An address it
 * cannot bind leaves the admin API where it was (logged) and the data plane's reload stands.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort, httpRequest, makeSandbox, runCli, startForeground, statusOf, type Sandbox } from '../helpers/gatewayd.js';

async function serves(port: number): Promise<boolean> {
  try {
    return (await httpRequest(port, '/metrics')).status === 200;
  } catch {
    return false; // refused: nothing listens there
  }
}

/** Rewrites the sandbox's admin line and reloads; returns the reload's exit code. */
async function reloadWithAdmin(sb: Sandbox, admin: string): Promise<number | null> {
  const text = readFileSync(sb.configFile, 'utf8').replace(/^admin: .*$/m, `admin: ${admin}`);
  writeFileSync(sb.configFile, text);
  const result = await runCli(['reload', '--pid-file', sb.pidFile]);
  return result.code;
}

t.test('reload: the admin API follows admin.port and admin.enabled; a port in use leaves it where it was', async (t) => {
  const sb = await makeSandbox(t);
  const gw = await startForeground(t, sb);
  t.ok(await serves(sb.adminPort), 'served on the configured port');

  const second = await freePort();
  t.equal(await reloadWithAdmin(sb, `{ host: 127.0.0.1, port: ${second} }`), 0);
  t.ok(await serves(second), 'moved to the new port');
  t.notOk(await serves(sb.adminPort), 'the old port is closed');
  t.equal((await statusOf(sb)).listen.admin, `127.0.0.1:${second}`, 'status shows where it is');

  t.equal(await reloadWithAdmin(sb, `{ enabled: false, host: 127.0.0.1, port: ${second} }`), 0);
  t.notOk(await serves(second), 'admin.enabled false: closed');
  t.equal((await statusOf(sb)).listen.admin, null);

  const blocker = createServer();
  const taken = await freePort();
  await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  t.equal(await reloadWithAdmin(sb, `{ host: 127.0.0.1, port: ${taken} }`), 0, 'the data plane still reloads');
  t.equal((await statusOf(sb)).listen.admin, null, 'still closed');
  t.match(gw.output(), `the admin API cannot listen on 127.0.0.1:${taken}; it stays closed`);

  t.equal(await reloadWithAdmin(sb, `{ host: 127.0.0.1, port: ${second} }`), 0);
  t.ok(await serves(second), 'on again');
  t.equal(await reloadWithAdmin(sb, `{ host: 127.0.0.1, port: ${taken} }`), 0);
  t.ok(await serves(second), 'a port in use: it stays where it was');
  t.equal((await statusOf(sb)).listen.admin, `127.0.0.1:${second}`);
  t.match(gw.output(), `the admin API cannot listen on 127.0.0.1:${taken}; it stays on 127.0.0.1:${second}`);
  t.equal((await statusOf(sb)).generation, 6, 'five reloads, each a new generation');
});
