import pino, { type DestinationStream, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface SupervisorLog {
  logger: Logger;
  /** Reopens the log file after logrotate moved it (SIGUSR1); a no-op on stdout. */
  reopen(): void;
  flush(): void;
}

/**
 * Never log secrets: the same keys the worker redacts, at any depth up to 5. The supervisor only
 * logs key fingerprints itself; this is the safety net for an object logged by mistake.
 */
const SECRET_KEYS = ['authorization', 'x-api-key', 'api_keys', 'key', 'token'];
const REDACT_DEPTH = 5;

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SECRET_KEYS) {
    const bracketed = !/^[A-Za-z_$][\w$]*$/.test(key);
    const segment = bracketed ? `["${key}"]` : key;
    let prefix = '';
    for (let level = 0; level < REDACT_DEPTH; level++) {
      paths.push(prefix === '' ? segment : bracketed ? prefix + segment : `${prefix}.${segment}`);
      prefix = prefix === '' ? '*' : `${prefix}.*`;
    }
  }
  return paths;
}

/** pino-pretty as a plain synchronous formatter (no worker-thread transport in a supervisor). */
function prettyStream(destination: DestinationStream, colorize: boolean): DestinationStream {
  const prettify = prettyFactory({ colorize, translateTime: 'SYS:standard', ignore: 'hostname' });
  return {
    write(line: string) {
      const out = prettify(line);
      if (out) destination.write(out);
    },
  };
}

/**
 * JSON lines by default, pretty when configured. With `file` (daemon mode) the logs go to a
 * destination that can be reopened, so logrotate can move the file and send SIGUSR1. Writes are
 * synchronous: the supervisor logs little, and its last lines before exit must not be lost.
 */
export function createSupervisorLog(options: { level: LogLevel; format: 'json' | 'pretty'; file?: string }): SupervisorLog {
  const destination = pino.destination(options.file ? { dest: options.file, append: true, mkdir: true, sync: true } : { dest: 1, sync: true });
  const stream = options.format === 'pretty' ? prettyStream(destination, !options.file && process.stdout.isTTY === true) : destination;
  const logger = pino(
    {
      level: options.level,
      base: { role: 'supervisor', pid: process.pid },
      redact: { paths: redactPaths(), censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stream,
  );
  return {
    logger,
    reopen: () => {
      if (options.file) destination.reopen();
    },
    flush: () => {
      try {
        destination.flushSync();
      } catch {
        // nothing buffered, or already closed
      }
    },
  };
}
