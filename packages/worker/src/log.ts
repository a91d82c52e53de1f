/**
 * Worker logging: pino, JSON lines by default, pino-pretty on request (used as a plain synchronous
 * formatter, no worker-thread transport). Daemon mode writes to init.logFile, reopened on
 * `reopen-logs` (logrotate).
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { GatewayConfig } from '@gatewayd/shared';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line, at any depth up to REDACT_DEPTH. */
const SECRET_KEYS = ['authorization', 'x-api-key', 'api_keys', 'key', 'token'];
const REDACT_DEPTH = 5;

/** pino's redact has no recursive wildcard: spell out `key`, `*.key`, `*.*.key`, ... */
export function redactPaths(keys: readonly string[] = SECRET_KEYS, depth = REDACT_DEPTH): string[] {
  const paths: string[] = [];
  for (const key of keys) {
    const bracketed = !/^[A-Za-z_$][\w$]*$/.test(key);
    const segment = bracketed ? `["${key}"]` : key;
    let prefix = '';
    for (let level = 0; level < depth; level++) {
      paths.push(prefix === '' ? segment : bracketed ? prefix + segment : `${prefix}.${segment}`);
      prefix = prefix === '' ? '*' : `${prefix}.*`;
    }
  }
  return paths;
}

export interface LoggerOptions {
  logging: GatewayConfig['logging'];
  workerId: number;
  generation: number;
  /** Daemon mode: append to this file instead of stdout. */
  logFile?: string;
  /** issue 5: rewrites each serialised line before it is written (secret values scrubbed, observe/secrets.ts). */
  scrub?: (line: string) => string;
}

export interface WorkerLogger {
  logger: Logger;
  /** Reopens the log file after rotation; a no-op when logging to stdout. */
  reopen(): void;
}

export async function createWorkerLogger(options: LoggerOptions): Promise<WorkerLogger> {
  const file = options.logFile
    ? pino.destination({ dest: options.logFile, append: true, sync: false, mkdir: true })
    : pino.destination({ dest: 1, sync: false });
  const stream: DestinationStream = options.logging.format === 'pretty' ? await prettyStream(file, !options.logFile && process.stdout.isTTY === true) : file;
  const logger = pino(
    {
      level: options.logging.level,
      base: { worker: options.workerId, generation: options.generation, pid: process.pid },
      redact: { paths: redactPaths(), censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      ...(options.scrub ? { hooks: { streamWrite: options.scrub } } : {}),
    },
    stream,
  );
  return {
    logger,
    reopen: () => {
      if (options.logFile) file.reopen();
    },
  };
}

/**
 * Formats each JSON line synchronously in this thread and hands it to the destination.
 * pino-pretty is loaded only when asked for: it costs ~40 ms of every worker start.
 */
async function prettyStream(destination: DestinationStream, colorize: boolean): Promise<DestinationStream> {
  const { prettyFactory } = await import('pino-pretty');
  const prettify = prettyFactory({ colorize, translateTime: 'SYS:standard', ignore: 'hostname' });
  return {
    write(line: string) {
      const out = prettify(line);
      if (out) destination.write(out);
    },
  };
}
