import type { Argv } from 'yargs';

function positiveInteger(name: string, max: number) {
  return (value: unknown): number | undefined => {
    if (value === undefined) return undefined;
    const n = value === '' ? Number.NaN : Number(value);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`--${name} must be an integer between 0 and ${max}, got ${String(value)}`);
    return n;
  };
}

/**
 * Seconds, fractions allowed; a value that is not a number is an error, not a wait that never ends.
 * The numeric options are read as strings: yargs' own `number` type turns `abc` into NaN before
 * the check could quote what was given.
 */
function seconds(name: string) {
  return (value: unknown): number | undefined => {
    if (value === undefined) return undefined;
    const n = value === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number of seconds (0 or more), got ${String(value)}`);
    return n;
  };
}

export function withPidFile<T>(y: Argv<T>) {
  return y.option('pid-file', {
    type: 'string',
    describe: 'PID file (default: first writable of /var/run/gatewayd.pid, ./run/gatewayd.pid, ./gatewayd.pid)',
  });
}

export function withConfig<T>(y: Argv<T>) {
  return y.option('config', {
    type: 'string',
    describe: 'config file (default: $GATEWAYD_CONFIG, ./etc/gatewayd.yaml, /etc/gatewayd/gatewayd.yaml)',
  });
}

export function withStartOptions<T>(y: Argv<T>) {
  return withPidFile(withConfig(y))
    .option('daemon', { type: 'boolean', describe: 'detach into the background; returns once every worker serves (restart: as the running gateway, unless given; --no-daemon: in the foreground)' })
    .option('workers', { type: 'string', requiresArg: true, describe: 'worker count (overrides server.workers)', coerce: positiveInteger('workers', 256) })
    .option('port', { type: 'string', requiresArg: true, describe: 'data port (overrides server.port)', coerce: positiveInteger('port', 65535) })
    .option('log-dir', { type: 'string', describe: 'daemon log directory (gatewayd.out.log, gatewayd.err.log; default: ./logs)' })
    .option('daemonized', { type: 'boolean', default: false, hidden: true })
    .check((argv) => {
      if (argv.workers === 0) throw new Error('--workers must be at least 1');
      return true;
    });
}

export function withStopOptions<T>(y: Argv<T>) {
  return withPidFile(y)
    .option('timeout', { type: 'string', requiresArg: true, describe: 'seconds to wait for the drain (default: server.drain_timeout + 5s)', coerce: seconds('timeout') })
    .option('force', { type: 'boolean', default: false, describe: 'SIGKILL the supervisor and its workers after the timeout' });
}

/** Where `start --daemon` writes gatewayd.out.log and gatewayd.err.log unless told. */
export const DEFAULT_LOG_DIR = 'logs';

export interface StartArgs {
  config?: string | undefined;
  pidFile?: string | undefined;
  /** undefined: not given (start: foreground; restart: as the running supervisor). */
  daemon?: boolean | undefined;
  workers?: number | undefined;
  port?: number | undefined;
  /** undefined: DEFAULT_LOG_DIR (restart: the running daemon's). */
  logDir?: string | undefined;
  daemonized: boolean;
}

export interface StopArgs {
  pidFile?: string | undefined;
  timeout?: number | undefined;
  force: boolean;
}
