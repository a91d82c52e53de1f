/**
 * The launchd plist: parsed by a real plist parser (python3's plistlib, which also rejects XML that
 * is not well-formed, such as "--" inside a comment), then checked key by key.
 */
import t from 'tap';
import { basename } from 'node:path';
import { CONFIG_DEFAULTS } from '../../packages/shared/src/config/defaults.js';
import { readRepoFile, repoPath, run } from './helpers.js';

const PLIST = 'launchd/io.gatewayd.gatewayd.plist';
const LOG_DIR = '/usr/local/var/log/gatewayd/';

interface LaunchdJob {
  Label?: unknown;
  ProgramArguments?: unknown;
  KeepAlive?: unknown;
  ThrottleInterval?: unknown;
  RunAtLoad?: unknown;
  StandardOutPath?: unknown;
  StandardErrorPath?: unknown;
  WorkingDirectory?: unknown;
  ExitTimeOut?: unknown;
  EnvironmentVariables?: Record<string, unknown>;
  UserName?: unknown;
}

function loadPlist(file: string): LaunchdJob {
  const script = 'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))';
  const result = run('python3', ['-c', script, file]);
  if (result.status !== 0) throw new Error(`plistlib rejected ${file}: ${result.stderr}`);
  return JSON.parse(result.stdout) as LaunchdJob;
}

t.test('the plist parses and runs the foreground supervisor', async (t) => {
  const job = loadPlist(repoPath(PLIST));
  t.equal(job.Label, basename(PLIST, '.plist'), 'Label matches the file name (launchctl convention)');
  t.match(job.Label, /^[a-z0-9-]+(\.[a-z0-9-]+){2,}$/, 'reverse-DNS label');
  const args = job.ProgramArguments as string[];
  t.ok(Array.isArray(args) && args.every((a) => typeof a === 'string'), 'ProgramArguments is a list of strings');
  t.match(args[0], /^\/.*\/gatewayd$/, 'absolute path of the gatewayd command');
  t.equal(args[1], 'start');
  t.notOk(args.includes('--daemon'), 'foreground: launchd supervises the process itself');
  t.match(args[args.indexOf('--config') + 1], /^\/.+\.yaml$/, 'explicit config file');
  t.match(args[args.indexOf('--pid-file') + 1], /^\/.+\.pid$/, 'explicit PID file');
  t.match(job.EnvironmentVariables?.PATH, /\/usr\/local\/bin/, 'PATH reaches a Homebrew node');
});

t.test('restart, stop and log settings', async (t) => {
  const job = loadPlist(repoPath(PLIST));
  t.equal(job.RunAtLoad, true, 'RunAtLoad');
  const keepAlive = job.KeepAlive;
  t.ok(keepAlive === true || (typeof keepAlive === 'object' && keepAlive !== null && (keepAlive as Record<string, unknown>).SuccessfulExit === false), 'KeepAlive restarts after failures');
  t.ok(Number.isInteger(job.ThrottleInterval) && (job.ThrottleInterval as number) > 0, 'ThrottleInterval set');
  t.ok(Number.isInteger(job.ExitTimeOut) && (job.ExitTimeOut as number) * 1000 > CONFIG_DEFAULTS.server.drain_timeout, `ExitTimeOut ${String(job.ExitTimeOut)}s above the default drain timeout`);
  t.equal(job.StandardOutPath, `${LOG_DIR}gatewayd.out.log`);
  t.equal(job.StandardErrorPath, `${LOG_DIR}gatewayd.err.log`);
  t.match(job.WorkingDirectory, /^\//, 'absolute WorkingDirectory');
});

t.test("the docs' launchd commands reach the supervisor as the user it runs as; the keys' variables have a place", async (t) => {
  const job = loadPlist(repoPath(PLIST));
  const ops = readRepoFile('docs/operations.md');
  const section = ops.slice(ops.indexOf('## launchd (macOS)'), ops.indexOf('\n## ', ops.indexOf('## launchd (macOS)') + 1));
  const commands = section.split('\n').filter((line) => /^(sudo( -u \S+)? )?gatewayd (status|reload|stop)\b/.test(line));
  t.ok(commands.length >= 2, 'status and reload are shown');
  // The control socket is 0600, its owner's: without UserName that is root.
  const as = job.UserName === undefined ? /^sudo gatewayd / : new RegExp(`^sudo -u ${String(job.UserName)} gatewayd `);
  for (const line of commands) t.match(line, as, line);
  t.match(section, /EnvironmentVariables/, 'where the config\'s ${VAR}s go under launchd');
  t.match(readRepoFile(PLIST), /\$\{VAR\}s \(provider keys, gateway keys\) go here too/, 'and the plist says so beside its EnvironmentVariables');
});

t.test('the parser check fails on malformed XML (negative control)', async (t) => {
  const dir = t.testdir({ 'bad.plist': '<?xml version="1.0"?><plist version="1.0"><dict><!-- a -- b --><key>Label</key></dict></plist>' });
  t.throws(() => loadPlist(`${dir}/bad.plist`), /plistlib rejected/);
});
