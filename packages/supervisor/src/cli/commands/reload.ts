import { sendControlRequest } from '../../control/client.js';
import { printError, printLine } from '../output.js';
import { locateSupervisor, notRunningMessage } from '../target.js';

/** Synchronous rolling reload: 0 once the new generation serves, 1 with the reason otherwise. */
export async function runReload(args: { pidFile?: string | undefined }): Promise<number> {
  const target = locateSupervisor(args.pidFile);
  if (!target.running) {
    printError(notRunningMessage(target));
    return 1;
  }
  try {
    const response = await sendControlRequest(target.socketPath, { cmd: 'reload' }, 0);
    if (response.ok && response.cmd === 'reload') {
      printLine(`gatewayd reloaded: generation ${response.generation} serving (worker pids ${response.workers.join(', ')})`);
      // The supervisor's own environment fills ${VAR}s at a reload, not this shell's.
      for (const warning of response.warnings ?? []) printError(`warning: ${warning}`);
      return 0;
    }
    if (!response.ok) {
      const keeps = response.code === 'GW_ERR_STOPPING' ? '' : '; the previous generation keeps serving';
      printError(`reload failed: ${response.error}${keeps}`);
    } else {
      printError('reload failed: unexpected answer from the supervisor');
    }
    return 1;
  } catch (err) {
    printError(`reload failed: ${(err as Error).message}`);
    return 1;
  }
}
