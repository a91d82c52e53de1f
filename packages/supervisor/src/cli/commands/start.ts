import { resolve } from 'node:path';
import { resolvePidFileForStart } from '../../pidfile.js';
import { loadSupervisorConfig } from '../../supervisor/config.js';
import { launchDaemon } from '../../supervisor/daemon.js';
import { configWarnings } from '../../supervisor/preflight.js';
import { runSupervisor } from '../../supervisor/run.js';
import { printError, printLine } from '../output.js';
import { DEFAULT_LOG_DIR, type StartArgs } from '../options.js';

/**
 * Foreground: runs the supervisor until it is signalled; the process then exits with its code.
 * --daemon: launches a detached supervisor and returns 0 once every worker serves, else 1.
 */
export async function runStart(args: StartArgs): Promise<number> {
  const logDir = resolve(args.logDir ?? DEFAULT_LOG_DIR);
  if (args.daemon && !args.daemonized) {
    // The daemon gets absolute paths: what the operator typed is relative to this shell.
    const startArgs = ['--pid-file', resolvePidFileForStart(args.pidFile), '--log-dir', logDir];
    if (args.config !== undefined) startArgs.push('--config', resolve(args.config));
    if (args.workers !== undefined) startArgs.push('--workers', String(args.workers));
    if (args.port !== undefined) startArgs.push('--port', String(args.port));
    printConfigWarnings(args);
    const result = await launchDaemon({ startArgs, logDir });
    if (result.code === 0) printLine(result.message);
    else process.stderr.write(`${result.message}\n`);
    for (const warning of result.warnings ?? []) printError(warning);
    return result.code;
  }
  const code = await runSupervisor({
    config: args.config,
    pidFile: args.pidFile,
    overrides: { workers: args.workers, port: args.port },
    logDir,
    daemonized: args.daemonized,
  });
  // The supervisor has stopped and cleaned up; nothing it left behind may keep the process alive.
  process.exit(code);
}

/**
 * The config's warnings (an unset ${VAR} and the key it disables, an open gateway beyond
 * loopback) on this terminal: a daemon only writes them to its log, where nobody starting
 * it would see them.
 */
function printConfigWarnings(args: StartArgs): void {
  let warnings: string[];
  try {
    const loaded = loadSupervisorConfig(args.config, { workers: args.workers, port: args.port });
    // The host's advice (tcp_migrate_req) stays in the log: it is not about this config.
    warnings = [...loaded.warnings, ...configWarnings(loaded.config)];
  } catch {
    return; // the daemon reports an invalid config itself
  }
  for (const warning of warnings) printError(`warning: ${warning}`);
}
