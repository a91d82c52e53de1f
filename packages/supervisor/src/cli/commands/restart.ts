import { ConfigErrors } from '@gatewayd/shared';
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
 * --config it is the file the running supervisor serves from, not the lookup chain's. --workers
 * and --port are what this command is given, as for start: not the running supervisor's.
 */
export async function runRestart(args: StartArgs & StopArgs): Promise<number> {
  const config = args.config ?? (await runningConfigFile(args.pidFile));
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

/** The config file of the supervisor behind the pid file, if one runs and answers. */
async function runningConfigFile(pidFile: string | undefined): Promise<string | undefined> {
  const target = locateSupervisor(pidFile);
  if (!target.running) return undefined;
  try {
    const response = await sendControlRequest(target.socketPath, { cmd: 'status' }, 3_000);
    return response.ok && response.cmd === 'status' ? response.status.configFile : undefined;
  } catch {
    return undefined;
  }
}
