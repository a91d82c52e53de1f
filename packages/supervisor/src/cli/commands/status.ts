import { sendControlRequest } from '../../control/client.js';
import { formatStatus, printError, printLine } from '../output.js';
import { locateSupervisor, notRunningMessage } from '../target.js';

export const EXIT_NOT_RUNNING = 3;
/** Running, but its control socket does not answer (LSB "status unknown"). */
export const EXIT_UNKNOWN = 4;

export async function runStatus(args: { pidFile?: string | undefined; json: boolean }): Promise<number> {
  const target = locateSupervisor(args.pidFile);
  if (!target.running) {
    // With --json stdout stays empty so scripts can parse it only when there is a report.
    if (args.json) process.stderr.write(`${notRunningMessage(target)}\n`);
    else printLine(notRunningMessage(target));
    return EXIT_NOT_RUNNING;
  }
  try {
    const response = await sendControlRequest(target.socketPath, { cmd: 'status' }, 3_000);
    if (!response.ok || response.cmd !== 'status') {
      printError(`status failed: ${response.ok ? 'unexpected answer' : response.error}`);
      return EXIT_UNKNOWN;
    }
    if (args.json) printLine(JSON.stringify(response.status, null, 2));
    else for (const line of formatStatus(response.status)) printLine(line);
    return 0;
  } catch (err) {
    printError(`gatewayd (pid ${target.pid}) is running but its ${(err as Error).message}`);
    return EXIT_UNKNOWN;
  }
}
