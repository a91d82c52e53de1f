import { rmSync } from 'node:fs';
import type { SupervisorLog } from '../log.js';
import type { PidFile } from '../pidfile.js';
import type { Supervisor } from './supervisor.js';

/**
 * SIGTERM/SIGINT graceful drain then exit; SIGQUIT fast exit; SIGUSR1 reopen log files (the
 * supervisor's and, through `reopen-logs`, every worker's); SIGUSR2 unused, ignored with a log line.
 * SIGHUP: installHangupHandler.
 */
export function installSignalHandlers(supervisor: Supervisor, log: SupervisorLog): void {
  const { logger } = log;
  process.on('SIGTERM', () => void supervisor.shutdown('graceful', 'SIGTERM'));
  process.on('SIGINT', () => void supervisor.shutdown('graceful', 'SIGINT'));
  process.on('SIGQUIT', () => void supervisor.shutdown('fast', 'SIGQUIT'));
  process.on('SIGUSR1', () => {
    log.reopen();
    for (const handle of supervisor.pool.all) supervisor.pool.send(handle, { type: 'reopen-logs' });
    logger.info('SIGUSR1: log files reopened');
  });
  // Node's default action for SIGUSR2 is to terminate: a stray one (a habit from servers that
  // use it) would kill the supervisor without a word and leave its PID file and socket behind.
  process.on('SIGUSR2', () => logger.warn('SIGUSR2: not used by gatewayd, ignored (SIGHUP reloads, SIGUSR1 reopens the log files)'));
}

/** SIGHUP: rolling reload. Installed once the first generation serves (see EarlyHangup). */
export function installHangupHandler(supervisor: Supervisor, log: SupervisorLog): void {
  process.on('SIGHUP', () => {
    log.logger.info('SIGHUP: rolling reload');
    void supervisor.reload(); // a failure is logged where it fails (performReload)
  });
}

const ignore = (): void => {};

/**
 * SIGHUP before the supervisor serves: its default action (terminate) must not kill a supervisor
 * still reading its config, and the reload must not be lost, since the config may have been read
 * before the change it announces. It is remembered and done once the first generation serves.
 */
export class EarlyHangup {
  private seen = false;
  private readonly note = (): void => {
    this.seen = true;
  };

  constructor() {
    process.on('SIGHUP', this.note);
    // Until installSignalHandlers: a SIGUSR2 while the config is read must not kill the start either.
    process.on('SIGUSR2', ignore);
  }

  /** The real handler takes over (no gap: signals are dispatched by the event loop); a remembered SIGHUP reloads now. */
  handOver(supervisor: Supervisor, log: SupervisorLog): void {
    installHangupHandler(supervisor, log);
    process.off('SIGHUP', this.note);
    process.off('SIGUSR2', ignore);
    if (!this.seen) return;
    log.logger.info('SIGHUP during startup: rolling reload now that the workers serve');
    void supervisor.reload(); // a failure is logged where it fails (performReload)
  }

  /** The start failed: nothing to reload. */
  dispose(): void {
    process.off('SIGHUP', this.note);
    process.off('SIGUSR2', ignore);
  }
}

/**
 * Workers never outlive the supervisor: they exit when their IPC channel closes, and on every exit
 * path the supervisor controls it also kills them, and removes its PID file and socket.
 */
export function installExitGuards(supervisor: Supervisor, pidFile: PidFile, socketPath: string, log: SupervisorLog): void {
  const die = (kind: string, err: unknown): void => {
    log.logger.fatal({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, `${kind}; killing the workers and exiting`);
    supervisor.pool.killAllSync();
    pidFile.releaseSync();
    rmSync(socketPath, { force: true });
    log.flush();
    process.exit(1);
  };
  process.on('uncaughtException', (err) => die('uncaught exception', err));
  process.on('unhandledRejection', (reason) => die('unhandled promise rejection', reason));
  process.on('exit', () => supervisor.pool.killAllSync());
}
