import { CONFIG_DEFAULTS, type StatusReport } from '@gatewayd/shared';
import { sendControlRequest } from '../../control/client.js';
import { removeStaleArtifacts } from '../../pidfile.js';
import { isProcessAlive, signalProcess, waitForProcessExit } from '../../process.js';
import { DRAIN_KILL_GRACE_MS } from '../../supervisor/drain.js';
import { printError, printLine } from '../output.js';
import type { StopArgs } from '../options.js';
import { locateSupervisor, notRunningMessage, type SupervisorTarget } from '../target.js';

export async function fetchStatus(target: SupervisorTarget, timeoutMs: number): Promise<StatusReport | undefined> {
  try {
    const response = await sendControlRequest(target.socketPath, { cmd: 'status' }, timeoutMs);
    return response.ok && response.cmd === 'status' ? response.status : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The supervisor's own deadline is drain_timeout + 5s; wait that long by default. The serving
 * generation's drain_timeout, as the supervisor reports it: the file on disk may have changed
 * since it was loaded.
 */
function defaultTimeoutMs(status: StatusReport | undefined): number {
  return (status?.drainTimeoutMs ?? CONFIG_DEFAULTS.server.drain_timeout) + DRAIN_KILL_GRACE_MS;
}

/** SIGTERM (graceful drain), then poll until the supervisor is gone; --force SIGKILLs after the timeout. */
export async function runStop(args: StopArgs): Promise<number> {
  const target = locateSupervisor(args.pidFile);
  if (!target.running || target.pid === undefined) {
    printLine(notRunningMessage(target));
    return 0;
  }
  const pid = target.pid;
  const status = await fetchStatus(target, 1_000);
  const timeoutMs = args.timeout !== undefined ? args.timeout * 1000 : defaultTimeoutMs(status);
  if (!signalProcess(pid, 'SIGTERM') && isProcessAlive(pid)) {
    // Alive but not ours to signal: waiting would only end in a misleading timeout.
    printError(`cannot signal gatewayd (pid ${pid}): permission denied (run stop as the supervisor's user)`);
    return 1;
  }
  if (await waitForProcessExit(pid, timeoutMs)) {
    printLine(`gatewayd stopped (pid ${pid})`);
    return 0;
  }
  const waited = `${Math.round(timeoutMs / 100) / 10}s`;
  if (!args.force) {
    printError(`gatewayd (pid ${pid}) did not stop within ${waited}; use stop --force to kill it`);
    return 1;
  }
  signalProcess(pid, 'SIGKILL');
  // Workers exit on their own when the supervisor's IPC channel closes; this is the backstop.
  for (const worker of status?.workers ?? []) if (isProcessAlive(worker.pid)) signalProcess(worker.pid, 'SIGKILL');
  if (!(await waitForProcessExit(pid, 5_000))) {
    // Its PID file, lock and socket stay: they are how it is found while it lives.
    printError(`gatewayd (pid ${pid}) did not stop within ${waited} and could not be killed`);
    return 1;
  }
  removeStaleArtifacts(target.pidFile);
  printLine(`gatewayd (pid ${pid}) did not stop within ${waited}; killed it`);
  return 0;
}
