import { existsSync } from 'node:fs';
import { isGatewaydProcess, isProcessAlive } from '../process.js';
import { readPidFile, resolvePidFileForLookup, socketPathFor } from '../pidfile.js';

/** Where the commands find a running supervisor: its PID file, pid and control socket. */
export interface SupervisorTarget {
  pidFile: string;
  socketPath: string;
  pid: number | undefined;
  running: boolean;
}

export function locateSupervisor(explicitPidFile: string | undefined): SupervisorTarget {
  const pidFile = resolvePidFileForLookup(explicitPidFile);
  const pid = readPidFile(pidFile);
  // A pid reused by another program after a reboot is not a running gatewayd (never signal it).
  return { pidFile, socketPath: socketPathFor(pidFile), pid, running: pid !== undefined && isProcessAlive(pid) && isGatewaydProcess(pid) };
}

export function notRunningMessage(target: SupervisorTarget): string {
  if (target.pid === undefined) {
    // A file that is there but unreadable or garbled is no missing file: the operator looks at it.
    return existsSync(target.pidFile) ? `gatewayd is not running (${target.pidFile} holds no valid pid)` : `gatewayd is not running (no pid file at ${target.pidFile})`;
  }
  return `gatewayd is not running (pid ${target.pid} from ${target.pidFile} is gone${isProcessAlive(target.pid) ? ': another program has that pid now' : ''})`;
}
