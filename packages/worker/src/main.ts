/**
 * Worker entry point, forked by the supervisor (node:cluster). It waits for `init`, serves, and
 * answers the supervisor's messages. It never outlives the supervisor: when the IPC channel
 * closes (supervisor exited or was killed) it exits at once.
 */
import type { InitMessage, SupervisorToWorker } from '@gatewayd/shared';
import { httpEngine } from './http/uws.js';
import { flushMetrics } from './metrics/index.js';
import { releaseDeadWorkerSlots } from './pipeline/admission.js';
import { hasSupervisor, onSupervisorMessage, sendToSupervisor } from './supervisor-link.js';
import { startWorker, type RunningWorker } from './worker.js';

if (!hasSupervisor()) {
  process.stderr.write('gatewayd worker: this process is started by the gatewayd supervisor (no IPC channel); run `gatewayd start`\n');
  process.exit(1);
}

let worker: RunningWorker | null = null;
let initialised = false;
/** The drain timeout SIGTERM uses, known once `init` arrived. */
let drainTimeoutMs = 0;

/** The longest an exit waits for the final metrics report to reach the channel. */
const METRICS_FLUSH_TIMEOUT_MS = 500;

function exit(code: number): void {
  // issue 5: push the last metric deltas first, so no counted request is lost (metrics/index.ts).
  process.exitCode = code;
  setTimeout(() => process.exit(code), METRICS_FLUSH_TIMEOUT_MS).unref();
  try {
    flushMetrics(() => process.exit(code));
  } catch {
    process.exit(code);
  }
}

// The supervisor is gone (exited, crashed, SIGKILLed): no worker may stay behind.
process.on('disconnect', () => exit(0));
// Ctrl-C in a foreground terminal reaches the whole process group; the supervisor handles it and
// drains the workers by message.
process.on('SIGINT', () => {});
// Signals meant for the supervisor also reach the workers when sent to the process group or the
// whole unit (`systemctl kill -s HUP|USR1` signals its cgroup): the supervisor reloads and has
// every worker reopen its logs by message. Unhandled, SIGHUP would kill the worker and SIGUSR1
// would open Node's inspector, through which any local user could run code holding the keys.
// SIGUSR2 is used by nobody (the supervisor ignores it too); unhandled it would kill the worker.
process.on('SIGHUP', () => {});
process.on('SIGUSR1', () => {});
process.on('SIGUSR2', () => {});
// Defensive: a stray SIGTERM drains like the supervisor's `drain` would.
process.on('SIGTERM', () => {
  if (worker !== null) worker.drain(drainTimeoutMs, 'SIGTERM');
  else exit(0);
});
process.on('uncaughtException', (err) => {
  if (worker !== null) worker.logger.fatal({ err }, 'uncaught exception; exiting');
  else process.stderr.write(`gatewayd worker: uncaught exception: ${err.stack ?? String(err)}\n`);
  exit(1);
});

async function init(message: InitMessage): Promise<void> {
  drainTimeoutMs = message.config.server.drain_timeout;
  const started = await startWorker(message, exit);
  if (!started.ok) {
    started.logger.error(started.failure, 'cannot start');
    sendToSupervisor({ type: 'start-failed', code: started.failure.code, reason: started.failure.reason }, () => exit(1));
    return;
  }
  worker = started.worker;
  sendToSupervisor({ type: 'ready', pid: process.pid, engine: httpEngine, host: message.config.server.host, port: started.worker.port });
}

function handle(message: SupervisorToWorker): void {
  switch (message.type) {
    case 'init':
      if (initialised) return;
      initialised = true;
      init(message).catch((err: unknown) => {
        process.stderr.write(`gatewayd worker: start failed: ${(err as Error).stack ?? String(err)}\n`);
        sendToSupervisor({ type: 'start-failed', code: 'INIT_FAILED', reason: (err as Error).message ?? String(err) }, () => exit(1));
      });
      return;
    case 'drain':
      if (worker !== null) worker.drain(message.timeoutMs, message.replaced === true ? 'reload' : 'supervisor', message.replaced === true);
      else exit(0);
      return;
    case 'reopen-logs':
      worker?.reopenLogs();
      return;
    case 'state-release-instance': // issue 4, backend redis: a sibling died holding slots
      releaseDeadWorkerSlots(message.instance);
      return;
    case 'stats-request': {
      const stats = worker?.stats() ?? { inFlight: 0, activeStreams: 0, requestsTotal: 0, draining: false };
      sendToSupervisor({ type: 'stats', id: message.id, ...stats });
      return;
    }
  }
}

onSupervisorMessage(handle);
// Only now can `init` be received (see HelloMessage).
sendToSupervisor({ type: 'hello', pid: process.pid });
