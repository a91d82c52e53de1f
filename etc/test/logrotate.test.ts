/**
 * etc/logrotate.d/gatewayd run by the real logrotate on a copy whose paths point into a temp dir
 * (and whose `su` account is the current user): a dry run must be clean, and a forced rotation must
 * rename the JSON log, signal the PID file's process with SIGUSR1 so it reopens, and copy-truncate
 * the stderr log in place. The process is a stand-in that reopens its log on SIGUSR1 like gatewayd.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { readRepoFile, replaceAllRequired, run, waitFor } from './helpers.js';
import type { TapTest } from './helpers.js';

const LOGROTATE = process.env.LOGROTATE ?? 'logrotate';

interface Layout {
  dir: string;
  logDir: string;
  pidFile: string;
  conf: string;
  state: string;
}

/** The shipped file with only its locations and account moved into a temp dir. */
function layout(t: TapTest): Layout {
  const dir = t.testdir({ log: {}, run: {} });
  const logDir = join(dir, 'log');
  // logrotate refuses a log directory writable by a group other than root, or by everyone.
  chmodSync(logDir, 0o755);
  const group = run('id', ['-gn']).stdout.trim();
  let text = readRepoFile('etc/logrotate.d/gatewayd');
  text = replaceAllRequired(text, '/var/log/gatewayd/', `${logDir}/`);
  text = replaceAllRequired(text, '/run/gatewayd/gatewayd.pid', join(dir, 'run', 'gatewayd.pid'));
  text = replaceAllRequired(text, 'su gatewayd gatewayd', `su ${userInfo().username} ${group}`);
  const conf = join(dir, 'gatewayd.logrotate');
  writeFileSync(conf, text);
  return { dir, logDir, pidFile: join(dir, 'run', 'gatewayd.pid'), conf, state: join(dir, 'logrotate.state') };
}

function rotatedFiles(logDir: string, base: string): string[] {
  return readdirSync(logDir).filter((name) => name.startsWith(`${base}-`));
}

/**
 * Stand-in for gatewayd: appends to its log and reopens it on SIGUSR1; stderr is an inherited fd.
 * SIGUSR2 makes it write to stderr (logrotate handles the two files one after the other).
 */
const STAND_IN = `
const fs = require('node:fs');
const file = process.argv[1];
let fd = fs.openSync(file, 'a');
let reopened = 0;
fs.writeSync(fd, 'log line before rotation\\n');
process.stderr.write('stderr line before rotation\\n');
process.on('SIGUSR1', () => {
  fs.closeSync(fd);
  fd = fs.openSync(file, 'a');
  reopened += 1;
  fs.writeSync(fd, 'log line after reopen ' + reopened + '\\n');
});
// The test's cue for a stderr line once logrotate is done with both files.
process.on('SIGUSR2', () => process.stderr.write('stderr line after rotation\\n'));
setInterval(() => {}, 60000);
process.stdout.write('ready\\n');
`;

t.test('logrotate --debug accepts the file', async (t) => {
  const l = layout(t);
  writeFileSync(join(l.logDir, 'gatewayd.out.log'), 'x\n');
  writeFileSync(join(l.logDir, 'gatewayd.err.log'), 'x\n');
  const result = run(LOGROTATE, ['--debug', '--state', l.state, l.conf]);
  t.equal(result.status, 0, result.stderr);
  t.notMatch(result.stdout + result.stderr, /error/i, 'no error reported');
  t.match(result.stdout + result.stderr, /gatewayd\.out\.log/, 'the JSON log is considered');
  t.match(result.stdout + result.stderr, /gatewayd\.err\.log/, 'the stderr log is considered');
});

t.test('a forced rotation renames + signals the JSON log and copy-truncates stderr', async (t) => {
  const l = layout(t);
  const outLog = join(l.logDir, 'gatewayd.out.log');
  const errLog = join(l.logDir, 'gatewayd.err.log');
  const errFd = openSync(errLog, 'a'); // O_APPEND, as the daemon's stderr is opened
  const child = spawn(process.execPath, ['-e', STAND_IN, outLog], { stdio: ['ignore', 'pipe', errFd] });
  closeSync(errFd);
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  let stdout = '';
  if (!child.stdout) throw new Error('no stdout pipe');
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await waitFor(() => stdout.includes('ready'), 'the stand-in to install its SIGUSR1 handler');
  writeFileSync(l.pidFile, `${child.pid}\n`);

  const result = run(LOGROTATE, ['--force', '--verbose', '--state', l.state, l.conf]);
  t.equal(result.status, 0, result.stderr);
  t.notMatch(result.stderr, /error/i, 'no error reported');

  await waitFor(() => readFileSync(outLog, 'utf8').includes('after reopen 1'), 'the reopened log to be written');
  child.kill('SIGUSR2');
  await waitFor(() => readFileSync(errLog, 'utf8').includes('after rotation'), 'stderr to be written after the truncation');
  t.equal(child.exitCode, null, 'SIGUSR1 was handled, the process still runs');

  const rotatedOut = rotatedFiles(l.logDir, 'gatewayd.out.log');
  t.equal(rotatedOut.length, 1, 'one rotated JSON log');
  t.equal(readFileSync(join(l.logDir, rotatedOut[0]!), 'utf8'), 'log line before rotation\n', 'the old lines moved with the file');
  t.equal(readFileSync(outLog, 'utf8'), 'log line after reopen 1\n', 'new lines go to a fresh file, after exactly one SIGUSR1');
  t.equal(statSync(outLog).mode & 0o777, 0o640, 'the fresh file is created 0640');

  const rotatedErr = rotatedFiles(l.logDir, 'gatewayd.err.log');
  t.equal(rotatedErr.length, 1, 'one rotated stderr log');
  t.equal(readFileSync(join(l.logDir, rotatedErr[0]!), 'utf8'), 'stderr line before rotation\n', 'stderr lines copied out');
  t.equal(readFileSync(errLog, 'utf8'), 'stderr line after rotation\n', 'the inherited O_APPEND fd writes at the start of the truncated file');
});

t.test('postrotate tolerates a missing PID file (gatewayd not running)', async (t) => {
  const l = layout(t);
  writeFileSync(join(l.logDir, 'gatewayd.out.log'), 'old\n');
  const result = run(LOGROTATE, ['--force', '--state', l.state, l.conf]);
  t.equal(result.status, 0, result.stderr);
  t.equal(rotatedFiles(l.logDir, 'gatewayd.out.log').length, 1, 'rotated anyway');
});
