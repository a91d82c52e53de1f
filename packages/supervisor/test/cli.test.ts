/** CLI commands other than start/stop: test, status, version, and their exit codes. */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import t from 'tap';
import type { StatusReport } from '@gatewayd/shared';
import { CLI, httpRequest, makeSandbox, runCli, startForeground } from './helpers/gatewayd.js';

const fingerprint = (secret: string): string => createHash('sha256').update(secret).digest('hex').slice(0, 16);

t.test('test: a valid config prints the summary with key fingerprints, never the keys', async (t) => {
  const sb = await makeSandbox(t, {
    extra: [
      'auth:',
      '  mode: hybrid',
      '  keys:',
      '    - { name: team-a, key: "${TEAM_A_KEY}", limits: { rpm: 600 } }',
    ].join('\n'),
  });
  const secret = 'gw-test-secret-key-123456';
  const result = await runCli(['test', '--config', sb.configFile], { env: { ...process.env, TEAM_A_KEY: secret } });
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, `config: ${sb.configFile}`);
  t.match(result.stdout, `key team-a: ${fingerprint(secret)}`);
  t.match(result.stdout, 'local: mock');
  t.match(result.stdout, 'demo (aliases mock)');
  t.notMatch(result.stdout + result.stderr, secret, 'the key itself is never printed');
});

t.test('test: an invalid config exits 1 with file, key path and reason', async (t) => {
  const sb = await makeSandbox(t);
  writeFileSync(sb.configFile, ['server: { workers: 0 }', 'providers: [{ name: p, type: nosuch }]', ''].join('\n'));
  const result = await runCli(['test', '--config', sb.configFile]);
  t.equal(result.code, 1);
  t.match(result.stderr, new RegExp(`${sb.configFile}:1: server\\.workers: `));
  t.match(result.stderr, new RegExp(`${sb.configFile}:2: providers\\[0\\]\\.type: `));
  t.equal(result.stdout, '');
});

t.test('test and start: a Redis password with a bare "%" exits 1 naming the file, line and key, never the password', async (t) => {
  const sb = await makeSandbox(t, { extra: 'state:\n  backend: redis\n  redis: { url: "redis://:p%ZZw-SECRET@127.0.0.1:18637" }' });
  for (const [command, ...args] of [['test'], ['start', '--pid-file', sb.pidFile]] as const) {
    const result = await runCli([command, ...args, '--config', sb.configFile]);
    t.equal(result.code, 1, `${command}: ${result.stdout}`);
    t.match(result.stderr + result.stdout, new RegExp(`${sb.configFile}:\\d+: state\\.redis\\.url: the password must be percent-encoded`), command);
    t.notMatch(result.stdout + result.stderr, 'SECRET', command);
  }
});

t.test('test: a missing config file exits 1', async (t) => {
  const sb = await makeSandbox(t);
  const result = await runCli(['test', '--config', `${sb.dir}/nope.yaml`]);
  t.equal(result.code, 1);
  t.match(result.stderr, `${sb.dir}/nope.yaml`);
  t.match(result.stderr, 'file not found');
});

t.test('status exits 3 when not running; reload exits 1; stop exits 0', async (t) => {
  const sb = await makeSandbox(t);
  const text = await runCli(['status', '--pid-file', sb.pidFile]);
  t.equal(text.code, 3);
  t.match(text.stdout, 'gatewayd is not running');
  const json = await runCli(['status', '--json', '--pid-file', sb.pidFile]);
  t.equal(json.code, 3);
  t.equal(json.stdout, '', 'no JSON when there is no report');
  const reload = await runCli(['reload', '--pid-file', sb.pidFile]);
  t.equal(reload.code, 1);
  t.match(reload.stderr, 'gatewayd is not running');
  const stop = await runCli(['stop', '--pid-file', sb.pidFile]);
  t.equal(stop.code, 0);
});

t.test('status of a supervisor whose control socket does not answer: exit 4 (LSB "unknown"), one gatewayd prefix', async (t) => {
  const sb = await makeSandbox(t);
  const gw = await startForeground(t, sb);
  renameSync(sb.socketPath, `${sb.socketPath}.aside`);
  t.teardown(() => renameSync(`${sb.socketPath}.aside`, sb.socketPath));
  const result = await runCli(['status', '--pid-file', sb.pidFile]);
  t.equal(result.code, 4);
  t.match(result.stderr, new RegExp(`^gatewayd \\(pid ${gw.pid}\\) is running but its control socket`));
});

t.test('status --json reports the running supervisor', async (t) => {
  const sb = await makeSandbox(t);
  const gw = await startForeground(t, sb);
  // Some traffic so the counters are not all zero by construction.
  t.equal((await httpRequest(sb.port, '/health')).status, 200);
  const result = await runCli(['status', '--json', '--pid-file', sb.pidFile]);
  t.equal(result.code, 0, result.stderr);
  const status = JSON.parse(result.stdout) as StatusReport;
  t.equal(status.pid, gw.pid);
  t.equal(status.generation, 1);
  t.equal(status.configFile, sb.configFile);
  t.equal(status.pidFile, sb.pidFile);
  t.equal(status.drainTimeoutMs, 1_000, 'the serving drain_timeout, which stop waits for by default');
  t.equal(status.listen.data, `127.0.0.1:${sb.port}`);
  t.ok(status.httpEngine === 'native' || status.httpEngine === 'fallback', `engine ${status.httpEngine}`);
  t.equal(status.stateBackend, 'local');
  t.equal(status.workerRestarts, 0);
  t.equal(status.lastReload, null);
  t.type(status.uptimeSeconds, 'number');
  t.equal(status.workers.length, 2);
  for (const w of status.workers) sb.pids.add(w.pid);
  t.same(status.workers.map((w) => w.id).sort(), [0, 1]);
  for (const w of status.workers) {
    t.equal(w.state, 'ready');
    t.equal(w.generation, 1);
    t.type(w.inFlight, 'number');
    t.type(w.activeStreams, 'number');
    t.equal(w.restarts, 0);
  }
  t.equal(status.workers.reduce((n, w) => n + w.requestsTotal, 0), 1, 'the /health request is counted');

  const text = await runCli(['status', '--pid-file', sb.pidFile]);
  t.equal(text.code, 0);
  t.match(text.stdout, `gatewayd is running (pid ${gw.pid})`);
  t.match(text.stdout, /http engine: +(native|fallback)/);
  t.match(text.stdout, /state backend: +local/);
  for (const w of status.workers) t.match(text.stdout, new RegExp(`\\b${w.pid}\\b`));
});

t.test('a numeric option that is not a number is refused, quoting what was given', async (t) => {
  const result = await runCli(['stop', '--timeout', 'abc', '--pid-file', '/nonexistent/gatewayd.pid']);
  t.equal(result.code, 1);
  t.match(result.stderr, '--timeout must be a number of seconds (0 or more), got abc', 'quoting what was given, not NaN');
  for (const [option, given] of [['--port', 'abc'], ['--port', ''], ['--workers', 'x2']]) {
    const refused = await runCli(['start', option!, given!, '--pid-file', '/nonexistent/gatewayd.pid']);
    t.equal(refused.code, 1, `${option} ${JSON.stringify(given)}`);
    t.match(refused.stderr, `${option} must be an integer between 0 and`);
    t.match(refused.stderr, new RegExp(`got ${given}\\n`));
  }
});

t.test('a reader that closes the pipe early does not change the exit code (EPIPE)', async (t) => {
  const sb = await makeSandbox(t);
  // The read end is closed before the CLI writes anything: every write of it meets EPIPE.
  const child = spawn(process.execPath, [CLI, 'test', '--config', sb.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  t.equal(code, 0, stderr);
  t.notMatch(stderr, 'EPIPE');
});

t.test('version prints the version', async (t) => {
  const result = await runCli(['version']);
  t.equal(result.code, 0);
  t.match(result.stdout, /^gatewayd \d+\.\d+\.\d+ \(node v\d+/);
});

t.test('an unknown command or flag exits non-zero with usage', async (t) => {
  const result = await runCli(['frobnicate']);
  t.not(result.code, 0);
  const flag = await runCli(['status', '--bogus-flag']);
  t.not(flag.code, 0);
  t.match(flag.stderr, 'bogus-flag');
});

t.test('restart: an invalid config leaves the running gateway serving; without --config it restarts on the file it serves', async (t) => {
  const sb = await makeSandbox(t);
  const started = await runCli(['start', '--daemon', '--config', sb.configFile, '--workers', '1', '--pid-file', sb.pidFile, '--log-dir', sb.logDir]);
  t.equal(started.code, 0, started.stderr);
  t.teardown(() => runCli(['stop', '--pid-file', sb.pidFile, '--force']).then(() => undefined));
  const statusOf = async () => JSON.parse((await runCli(['status', '--json', '--pid-file', sb.pidFile])).stdout) as StatusReport;
  const before = await statusOf();
  sb.pids.add(before.pid);

  const good = sb.configFile + '.good';
  writeFileSync(good, readFileSync(sb.configFile));
  writeFileSync(sb.configFile, 'server: { wrokers: 2 }\n');
  const refused = await runCli(['restart', '--daemon', '--pid-file', sb.pidFile, '--log-dir', sb.logDir]);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /server\.wrokers: unknown key/);
  t.match(refused.stderr, /not restarted: the running gateway keeps serving/);
  t.equal((await statusOf()).pid, before.pid, 'the same supervisor still runs');
  t.equal((await httpRequest(sb.port, '/health')).status, 200, 'and serves');

  writeFileSync(sb.configFile, readFileSync(good));
  const clash = await runCli(['restart', '--daemon', '--port', String(sb.adminPort), '--pid-file', sb.pidFile, '--log-dir', sb.logDir]);
  t.equal(clash.code, 1, '--port onto the admin port is checked first too');
  t.equal((await statusOf()).pid, before.pid, 'and the gateway was not stopped');
  t.same(before.daemon, { logDir: resolve(sb.logDir) }, 'status names the daemon\'s log directory');
  // From another directory, without --config, --daemon or --log-dir: the running supervisor's
  // file (not ./etc/gatewayd.yaml), as a daemon again (the command returns), logging where it did.
  const restarted = await runCli(['restart', '--pid-file', sb.pidFile], { cwd: '/', timeoutMs: 30_000 });
  t.equal(restarted.code, 0, restarted.stderr);
  const after = await statusOf();
  sb.pids.add(after.pid);
  t.not(after.pid, before.pid, 'a new supervisor');
  t.equal(after.configFile, sb.configFile, 'on the same config file');
  t.same(after.overrides, { workers: 1, port: null }, 'with the same --workers');
  t.same(after.daemon, { logDir: resolve(sb.logDir) }, 'a daemon again, with the same log directory');
  t.equal(after.workers.length, 1);
  t.match(readFileSync(join(sb.logDir, 'gatewayd.out.log'), 'utf8'), new RegExp(`"pid":${after.pid}\\b`), 'the new supervisor logs to the daemon log');
});

t.test('start --port onto the admin port is refused before anything listens', async (t) => {
  const sb = await makeSandbox(t);
  const result = await runCli(['start', '--config', sb.configFile, '--port', String(sb.adminPort), '--pid-file', sb.pidFile]);
  t.equal(result.code, 1);
  t.match(result.stderr + result.stdout, /admin\.port \d+ is the same as server\.port .*\(server\.port from --port\)/);
});


t.test('a PID file whose socket path would be too long for a UNIX socket: a clear refusal, nothing left behind', async (t) => {
  const sb = await makeSandbox(t);
  // The kernel would bind a truncated name: a stray socket one level up.
  const deep = join(sb.dir, 'd'.repeat(60), 'e'.repeat(40));
  mkdirSync(deep, { recursive: true });
  const result = await runCli(['start', '--config', sb.configFile, '--pid-file', join(deep, 'gatewayd.pid')]);
  t.equal(result.code, 1);
  t.match(result.stderr, /the path is \d+ bytes, and a UNIX socket path may have at most \d+: use a --pid-file in a shorter directory/);
  t.same(readdirSync(deep), [], 'no PID file, no socket');
  t.same(readdirSync(join(sb.dir, 'd'.repeat(60))), ['e'.repeat(40)], 'no truncated socket beside it');
});

t.test('a foreground start that fails says why once where stdout and stderr are one (a terminal, the journal), on stderr when apart', async (t) => {
  const sb = await makeSandbox(t);
  const blocker = createServer();
  await new Promise<void>((done) => blocker.listen(sb.port, '127.0.0.1', done));
  t.teardown(() => new Promise<void>((done) => blocker.close(() => done())));
  const shared = join(sb.dir, 'both.out');
  const fd = openSync(shared, 'w');
  const child = spawn(process.execPath, [CLI, 'start', '--config', sb.configFile, '--pid-file', sb.pidFile], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const [code] = (await once(child, 'exit')) as [number];
  t.equal(code, 1);
  t.equal(readFileSync(shared, 'utf8').split('is already in use').length - 1, 1, 'the reason once, in the log line');
  const apart = await runCli(['start', '--config', sb.configFile, '--pid-file', sb.pidFile]);
  t.equal(apart.code, 1);
  t.match(apart.stderr, `port 127.0.0.1:${sb.port} is already in use`, 'on stderr when it is not where the log goes');
});
