import { ConfigErrors, type StatusReport } from '@gatewayd/shared';
import { loadSupervisorConfig } from '../../supervisor/config.js';
import { sendControlRequest } from '../../control/client.js';
import { printError } from '../output.js';
import type { StartArgs, StopArgs } from '../options.js';
import { locateSupervisor } from '../target.js';
import { runStart } from './start.js';
import { runStop } from './stop.js';

/**
 * stop, then start with the same options; exits as start does. The config is checked first (an
 * invalid one leaves the running gateway alone instead of stopping it for nothing), and without
 * --config it is the file the running supervisor serves from, not the lookup chain's; likewise
 * its --workers and --port, and a daemon is started as a daemon again with its log directory,
 * unless given here.
 */
export async function runRestart(given: StartArgs & StopArgs): Promise<number> {
  const running = await runningStatus(given.pidFile);
  // What the running supervisor was started with, unless this command says otherwise.
  const args = {
    ...given,
    config: given.config ?? running?.configFile,
    workers: given.workers ?? running?.overrides?.workers ?? undefined,
    port: given.port ?? running?.overrides?.port ?? undefined,
    daemon: given.daemon ?? (running?.daemon ?? null) !== null,
    logDir: given.logDir ?? running?.daemon?.logDir ?? undefined,
  };
  const config = args.config;
  try {
    // As start will load it: with --workers and --port (a --port onto the admin port is refused here).
    loadSupervisorConfig(config, { workers: args.workers, port: args.port });
  } catch (err) {
    const problems = err instanceof ConfigErrors ? err.errors.map((e) => e.message) : [(err as Error).message];
    for (const problem of problems) printError(`invalid config: ${problem}`);
    printError('not restarted: the running gateway keeps serving');
    return 1;
  }
  const stopped = await runStop(args);
  if (stopped !== 0) return stopped;
  return runStart({ ...args, config });
}

/** The status of the supervisor behind the pid file, if one runs and answers. */
async function runningStatus(pidFile: string | undefined): Promise<StatusReport | undefined> {
  const target = locateSupervisor(pidFile);
  if (!target.running) return undefined;
  try {
    const response = await sendControlRequest(target.socketPath, { cmd: 'status' }, 3_000);
    return response.ok && response.cmd === 'status' ? response.status : undefined;
  } catch {
    return undefined;
  }
}
