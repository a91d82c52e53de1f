/**
 * The shipped systemd units: `systemd-analyze verify` on the real files (only the gatewayd binary
 * path swapped for a stub, since verify insists that ExecStart binaries exist), then the directives
 * the operations contract depends on. Also the sysusers/tmpfiles snippets, applied to a temp root.
 */
import t from 'tap';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CONFIG_DEFAULTS } from '../../packages/shared/src/config/defaults.js';
import { readRepoFile, replaceAllRequired, repoPath, run } from './helpers.js';
import type { TapTest } from './helpers.js';
import { argv, flagValue, parseUnitFile, value, values, type UnitFile } from './unit-file.js';

const INSTALLED_BINARY = '/usr/bin/gatewayd';
const UNITS = ['systemd/gatewayd.service', 'systemd/gatewayd-daemon.service'];

/** A copy of the unit in a temp dir whose gatewayd binary is an executable stub. */
function stubbedCopy(t: TapTest, unitPath: string, extra = ''): string {
  const dir = t.testdir({});
  const stub = join(dir, 'bin', 'gatewayd');
  mkdirSync(dirname(stub), { recursive: true });
  writeFileSync(stub, '#!/bin/sh\nexit 0\n');
  chmodSync(stub, 0o755);
  const copy = join(dir, basename(unitPath));
  writeFileSync(copy, replaceAllRequired(readRepoFile(unitPath), INSTALLED_BINARY, stub) + extra);
  return copy;
}

function verify(file: string): { status: number | null; output: string } {
  const result = run('systemd-analyze', ['verify', file], { env: { ...process.env, SYSTEMD_LOG_COLOR: '0', SYSTEMD_PAGER: '' } });
  return { status: result.status, output: (result.stdout + result.stderr).trim() };
}

/** systemd's own parser for time spans ("45s", "1min 30s") in milliseconds. */
function timespanMs(span: string): number {
  const result = run('systemd-analyze', ['timespan', span]);
  const micros = /μs:\s*(\d+)/.exec(result.stdout);
  if (result.status !== 0 || !micros) throw new Error(`systemd cannot parse time span ${span}: ${result.stderr}`);
  return Number(micros[1]) / 1000;
}

function unit(path: string): UnitFile {
  return parseUnitFile(readRepoFile(path));
}

for (const path of UNITS) {
  t.test(`systemd-analyze verify ${path}`, async (t) => {
    const result = verify(stubbedCopy(t, path));
    // verify exits 0 on unknown keys and unparsable values ("..., ignoring"): any output is a finding.
    t.equal(result.output, '', 'no warnings or errors');
    t.equal(result.status, 0, 'exit status 0');
  });
}

t.test('the verify check itself catches mistakes (negative control)', async (t) => {
  const unknownKey = verify(stubbedCopy(t, UNITS[0]!, 'KillModee=mixed\n'));
  t.match(unknownKey.output, /Unknown key/, 'an unknown key is reported');
  const badValue = verify(stubbedCopy(t, UNITS[0]!, '[Service]\nKillMode=bogus\n'));
  t.match(badValue.output, /kill mode/i, 'an invalid value is reported');
  const missingBinary = verify(repoPath(UNITS[0]!));
  t.not(missingBinary.status, 0, 'a missing ExecStart binary fails verify (hence the stub)');
});

t.test('gatewayd.service runs the foreground supervisor with a synchronous reload', async (t) => {
  const u = unit('systemd/gatewayd.service');
  t.ok(['simple', 'exec'].includes(value(u, 'Service', 'Type') ?? ''), 'Type=simple or exec');
  const start = argv(value(u, 'Service', 'ExecStart') ?? '');
  t.same(start.slice(0, 2), [INSTALLED_BINARY, 'start'], 'ExecStart runs `gatewayd start`');
  t.notOk(start.includes('--daemon'), 'in the foreground');
  t.equal(flagValue(start, '--config'), '/etc/gatewayd/gatewayd.yaml');
  const pidFile = flagValue(start, '--pid-file');
  t.equal(pidFile, '/run/gatewayd/gatewayd.pid');
  const reload = argv(value(u, 'Service', 'ExecReload') ?? '');
  t.same(reload, [INSTALLED_BINARY, 'reload', '--pid-file', pidFile], 'ExecReload runs `gatewayd reload` on the same PID file');
  t.equal(`/run/${value(u, 'Service', 'RuntimeDirectory')}`, dirname(pidFile ?? ''), 'the PID file lives in the RuntimeDirectory');
});

t.test('gatewayd-daemon.service follows `start --daemon` through its PID file', async (t) => {
  const u = unit('systemd/gatewayd-daemon.service');
  t.equal(value(u, 'Service', 'Type'), 'forking');
  const start = argv(value(u, 'Service', 'ExecStart') ?? '');
  t.same(start.slice(0, 2), [INSTALLED_BINARY, 'start']);
  t.ok(start.includes('--daemon'), 'start --daemon');
  t.equal(flagValue(start, '--pid-file'), value(u, 'Service', 'PIDFile'), 'PIDFile= is the --pid-file');
  t.equal(flagValue(start, '--log-dir'), `/var/log/${value(u, 'Service', 'LogsDirectory')}`, '--log-dir is the LogsDirectory');
  t.same(argv(value(u, 'Service', 'ExecReload') ?? ''), [INSTALLED_BINARY, 'reload', '--pid-file', value(u, 'Service', 'PIDFile')]);
});

for (const path of UNITS) {
  t.test(`${path}: stop, restart, account, limits and hardening`, async (t) => {
    const u = unit(path);
    const get = (key: string) => value(u, 'Service', key);
    t.equal(get('KillMode'), 'mixed', 'SIGTERM to the supervisor only, which drains its workers');
    t.equal(get('KillSignal'), 'SIGTERM');
    const stopMs = timespanMs(get('TimeoutStopSec') ?? '');
    t.ok(stopMs > CONFIG_DEFAULTS.server.drain_timeout, `TimeoutStopSec ${stopMs}ms above the default drain timeout ${CONFIG_DEFAULTS.server.drain_timeout}ms`);
    t.equal(get('Restart'), 'on-failure');
    t.ok(timespanMs(get('RestartSec') ?? '') > 0, 'RestartSec set');
    t.equal(get('User'), 'gatewayd', 'dedicated user');
    t.equal(get('Group'), 'gatewayd', 'dedicated group');
    t.ok(Number(get('LimitNOFILE')) >= 65536, 'LimitNOFILE raised');
    for (const [key, expected] of Object.entries({
      NoNewPrivileges: 'yes', ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes', PrivateDevices: 'yes',
      ProtectKernelTunables: 'yes', ProtectKernelModules: 'yes', ProtectControlGroups: 'yes', RestrictNamespaces: 'yes',
      LockPersonality: 'yes', SystemCallArchitectures: 'native', CapabilityBoundingSet: '',
    })) {
      t.equal(get(key), expected, `${key}=${expected}`);
    }
    t.same(get('RestrictAddressFamilies')?.split(/\s+/).sort(), ['AF_INET', 'AF_INET6', 'AF_UNIX']);
    t.same(values(u, 'Service', 'MemoryDenyWriteExecute'), [], "MemoryDenyWriteExecute unset: V8's JIT needs W+X memory");
    t.equal(value(u, 'Install', 'WantedBy'), 'multi-user.target');
  });

  t.test(`${path}: systemd-analyze security rates the hardening OK`, async (t) => {
    // Exits non-zero when the exposure is above the threshold, given in tenths: 25 means 2.5 on
    // the 0 (locked down) to 10 (unprotected) scale it prints. The units score about 1.5.
    const result = run('systemd-analyze', ['security', '--offline=yes', '--threshold=25', '--no-pager', stubbedCopy(t, path)]);
    t.equal(result.status, 0, result.stdout.split('\n').find((l) => l.includes('Overall exposure')) ?? result.stderr);
  });
}

t.test('sysusers.d creates the gatewayd account the units run as', async (t) => {
  const root = sysusersRoot(t);
  const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
  t.match(passwd, /^gatewayd:x:\d+:\d+:[^:]*:\/var\/lib\/gatewayd:\/usr\/sbin\/nologin$/m, 'system user without a login shell');
  t.match(readFileSync(join(root, 'etc/group'), 'utf8'), /^gatewayd:x:\d+:/m, 'its group');
});

// tmpfiles chowns to gatewayd, which only root may do.
t.test('tmpfiles.d creates the directories for the gatewayd account', { skip: process.getuid?.() !== 0 && 'systemd-tmpfiles --create needs root to chown' }, async (t) => {
  const root = sysusersRoot(t);
  const result = run('systemd-tmpfiles', [`--root=${root}`, '--create', repoPath('systemd/tmpfiles.d/gatewayd.conf')]);
  t.equal(result.status, 0, result.stderr);
  const uid = /^gatewayd:x:(\d+):/m.exec(readFileSync(join(root, 'etc/passwd'), 'utf8'))?.[1];
  for (const dir of ['run/gatewayd', 'var/log/gatewayd', 'var/lib/gatewayd']) {
    const st = statSync(join(root, dir));
    t.ok(st.isDirectory(), `${dir} created`);
    t.equal(String(st.uid), uid, `${dir} owned by gatewayd`);
    t.equal(st.mode & 0o777, 0o750, `${dir} mode 0750`);
  }
  t.ok(statSync(join(root, 'etc/gatewayd')).isDirectory(), 'etc/gatewayd created');
});

/** A temp root in which systemd-sysusers created the gatewayd account. */
function sysusersRoot(t: TapTest): string {
  const root = t.testdir({ etc: {} });
  const result = run('systemd-sysusers', [`--root=${root}`, repoPath('systemd/sysusers.d/gatewayd.conf')]);
  if (result.status !== 0) throw new Error(`systemd-sysusers failed: ${result.stderr}`);
  return root;
}
