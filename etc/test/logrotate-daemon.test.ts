/**
 * End to end: the real `gatewayd start --daemon` (built CLI, packages/supervisor/dist) writing its
 * logs into a temp dir, rotated by the real logrotate with the shipped etc/logrotate.d/gatewayd
 * (paths and account moved into the temp dir). The supervisor and every worker must reopen the
 * JSON log on the postrotate SIGUSR1 and go on writing to the fresh file.
 */
import t from 'tap';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { readRepoFile, repoPath, replaceAllRequired, run, waitFor } from './helpers.js';

const CLI = repoPath('packages/supervisor/dist/cli/main.js');
const WORKERS = 2;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function gatewayd(args: string[], cwd: string) {
  return run(process.execPath, [CLI, ...args], { cwd });
}

t.test('logrotate + SIGUSR1: the daemon reopens its JSON log', async (t) => {
  t.ok(existsSync(CLI), `${CLI} is built (pnpm build)`);
  if (!existsSync(CLI)) return;
  // A short path: the control socket beside the PID file must fit a UNIX socket path (108 bytes).
  const dir = mkdtempSync(join(tmpdir(), 'gwlr-'));
  const logDir = join(dir, 'log');
  mkdirSync(logDir, { mode: 0o755 });
  chmodSync(logDir, 0o755); // logrotate refuses group/world-writable log directories
  const pidFile = join(dir, 'run', 'gatewayd.pid');
  const port = await freePort();
  writeFileSync(
    join(dir, 'gatewayd.yaml'),
    [
      `server: { host: 127.0.0.1, port: ${port}, workers: ${WORKERS} }`,
      'admin: { enabled: false }',
      'providers: [{ name: local, type: mock }]',
      'models: [{ name: demo, targets: [{ provider: local, model: demo }] }]',
      '',
    ].join('\n'),
  );

  const started = gatewayd(['start', '--daemon', '--config', join(dir, 'gatewayd.yaml'), '--pid-file', pidFile, '--log-dir', logDir], dir);
  t.teardown(() => {
    const stopped = gatewayd(['stop', '--pid-file', pidFile, '--timeout', '20', '--force'], dir);
    if (stopped.status !== 0) process.stderr.write(`gatewayd stop: ${stopped.stderr}\n`);
    rmSync(dir, { recursive: true, force: true });
  });
  t.equal(started.status, 0, `start --daemon: ${started.stdout}${started.stderr}`);
  if (started.status !== 0) return;

  const group = run('id', ['-gn']).stdout.trim();
  let conf = readRepoFile('etc/logrotate.d/gatewayd');
  conf = replaceAllRequired(conf, '/var/log/gatewayd/', `${logDir}/`);
  conf = replaceAllRequired(conf, '/run/gatewayd/gatewayd.pid', pidFile);
  conf = replaceAllRequired(conf, 'su gatewayd gatewayd', `su ${userInfo().username} ${group}`);
  writeFileSync(join(dir, 'logrotate.conf'), conf);

  const outLog = join(logDir, 'gatewayd.out.log');
  const rotated = run(process.env.LOGROTATE ?? 'logrotate', ['--force', '--state', join(dir, 'logrotate.state'), join(dir, 'logrotate.conf')]);
  t.equal(rotated.status, 0, rotated.stderr);

  const reopened = (): { supervisor: boolean; workers: number } => {
    const lines = readFileSync(outLog, 'utf8').split('\n').filter(Boolean);
    const messages = lines.map((line) => JSON.parse(line) as { msg?: string; worker?: number });
    return {
      supervisor: messages.some((m) => m.msg === 'SIGUSR1: log files reopened'),
      workers: new Set(messages.filter((m) => m.msg === 'log file reopened').map((m) => m.worker)).size,
    };
  };
  await waitFor(() => {
    const state = reopened();
    return state.supervisor && state.workers === WORKERS;
  }, 'the supervisor and every worker to log into the fresh file');
  t.pass(`the supervisor and ${WORKERS} workers write to the new gatewayd.out.log`);

  const old = readdirSync(logDir).filter((name) => name.startsWith('gatewayd.out.log-'));
  t.equal(old.length, 1, 'one rotated file');
  const oldText = readFileSync(join(logDir, old[0]!), 'utf8');
  t.match(oldText, /gatewayd ready/, 'the rotated file holds the start-up lines');
  t.notMatch(oldText, /reopened/, 'and nothing written after the rotation');
  t.equal(gatewayd(['status', '--pid-file', pidFile], dir).status, 0, 'the daemon still runs');
});
