import { rmSync } from 'node:fs';
import type { SupervisorLog } from '../log.js';
import type { PidFile } from '../pidfile.js';
import type { Supervisor } from './supervisor.js';

/**
 * SIGTERM/SIGINT graceful drain then exit; SIGQUIT fast exit; SIGUSR1 reopen log files (the
 * supervisor's and, through `reopen-logs`, every worker's). SIGHUP: installHangupHandler.
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
}

/** SIGHUP: rolling reload. Installed once the first generation serves (see EarlyHangup). */
export function installHangupHandler(supervisor: Supervisor, log: SupervisorLog): void {
  process.on('SIGHUP', () => {
    log.logger.info('SIGHUP: rolling reload');
    void supervisor.reload(); // a failure is logged where it fails (performReload)
  });
}

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
  }

  /** The real handler takes over (no gap: signals are dispatched by the event loop); a remembered SIGHUP reloads now. */
  handOver(supervisor: Supervisor, log: SupervisorLog): void {
    installHangupHandler(supervisor, log);
    process.off('SIGHUP', this.note);
    if (!this.seen) return;
    log.logger.info('SIGHUP during startup: rolling reload now that the workers serve');
    void supervisor.reload(); // a failure is logged where it fails (performReload)
  }

  /** The start failed: nothing to reload. */
  dispose(): void {
    process.off('SIGHUP', this.note);
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
