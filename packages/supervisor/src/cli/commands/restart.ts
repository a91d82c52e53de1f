import { ConfigErrors, type GatewayConfig, type StatusReport } from '@gatewayd/shared';
import { loadSupervisorConfig } from '../../supervisor/config.js';
import { checkPortFree } from '../../supervisor/preflight.js';
import { printError } from '../output.js';
import type { StartArgs, StopArgs } from '../options.js';
import { locateSupervisor } from '../target.js';
import { runStart } from './start.js';
import { fetchStatus, runStop } from './stop.js';

/**
 * stop, then start with the same options; exits as start does. The config is checked first (an
 * invalid one leaves the running gateway alone instead of stopping it for nothing), and without
 * --config it is the file the running supervisor serves from, not the lookup chain's; likewise
 * its --workers and --port, and a daemon is started as a daemon again with its log directory,
 * unless given here.
 */
export async function runRestart(given: StartArgs & StopArgs): Promise<number> {
  const target = locateSupervisor(given.pidFile);
  const running = target.running ? await fetchStatus(target, 3_000) : undefined;
  // What the running supervisor was started with, unless this command says otherwise.
  const args = {
    ...given,
    config: given.config ?? running?.configFile,
    workers: given.workers ?? running?.overrides?.workers ?? undefined,
    port: given.port ?? running?.overrides?.port ?? undefined,
    daemon: given.daemon ?? (running?.daemon ?? null) !== null,
    logDir: given.logDir ?? running?.daemon?.logDir ?? undefined,
  };
  let config: GatewayConfig;
  let warnings: string[];
  try {
    // As start will load it: with --workers and --port (a --port onto the admin port is refused here).
    ({ config, warnings } = loadSupervisorConfig(args.config, { workers: args.workers, port: args.port }));
  } catch (err) {
    const problems = err instanceof ConfigErrors ? err.errors.map((e) => e.message) : [(err as Error).message];
    for (const problem of problems) printError(`invalid config: ${problem}`);
    return notRestarted();
  }
  // Running but silent (status timed out): which ports it holds is unknown, so nothing is probed.
  const busy = target.running && running === undefined ? null : await busyNewAddress(config, running?.listen);
  if (busy !== null) {
    printError(`cannot restart: ${busy}`);
    return notRestarted();
  }
  // start prints them (an unset ${VAR}, a key disabled by it): say where they come from.
  if (warnings.length > 0) printError('note: the restarted gateway reads the environment of this shell, not the one the running gateway was started from');
  const stopped = await runStop(args);
  if (stopped !== 0) return stopped;
  return runStart(args);
}

/** The port of a `host:port` or `[v6]:port` address; NaN for none. */
function portOf(address: string | null | undefined): number {
  return address ? Number(address.slice(address.lastIndexOf(':') + 1)) : Number.NaN;
}

function notRestarted(): number {
  printError('not restarted: the running gateway keeps serving');
  return 1;
}

/**
 * A data or admin port the new config moves to that something else holds: stopping first would
 * leave nothing serving. The ports the running gateway holds are its own to give up, on whatever
 * host (127.0.0.1 to localhost or 0.0.0.0 overlaps its own bind).
 */
async function busyNewAddress(config: GatewayConfig, current: StatusReport['listen'] | undefined): Promise<string | null> {
  const wanted: Array<[string, number]> = [[config.server.host, config.server.port]];
  if (config.admin.enabled) wanted.push([config.admin.host, config.admin.port]);
  const held = new Set([current?.data, current?.admin].map(portOf));
  for (const [host, port] of wanted) {
    if (held.has(port)) continue;
    const problem = await checkPortFree(host, port);
    if (problem !== null) return problem;
  }
  return null;
}
