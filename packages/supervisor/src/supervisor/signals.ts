import { rmSync } from 'node:fs';
import type { SupervisorLog } from '../log.js';
import type { PidFile } from '../pidfile.js';
import type { Supervisor } from './supervisor.js';

/**
 * SIGHUP rolling reload; SIGTERM/SIGINT graceful drain then exit; SIGQUIT fast exit; SIGUSR1
 * reopen log files (the supervisor's and, through `reopen-logs`, every worker's).
 */
export function installSignalHandlers(supervisor: Supervisor, log: SupervisorLog): void {
  const { logger } = log;
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: rolling reload');
    void supervisor.reload().then((result) => {
      if (!result.ok) logger.error({ err: result.error }, 'SIGHUP reload failed');
    });
  });
  process.on('SIGTERM', () => void supervisor.shutdown('graceful', 'SIGTERM'));
  process.on('SIGINT', () => void supervisor.shutdown('graceful', 'SIGINT'));
  process.on('SIGQUIT', () => void supervisor.shutdown('fast', 'SIGQUIT'));
  process.on('SIGUSR1', () => {
    log.reopen();
    for (const handle of supervisor.pool.all) supervisor.pool.send(handle, { type: 'reopen-logs' });
    logger.info('SIGUSR1: log files reopened');
  });
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
