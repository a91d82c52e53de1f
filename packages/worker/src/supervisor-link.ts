/**
 * The worker's side of the IPC channel to the supervisor (node:cluster in production,
 * child_process.fork in tests): typed sends that never throw once the channel is gone.
 */
// Subpath imports: the package index also loads the config schema (zod), ~250 ms of worker start.
import { isSupervisorMessage, type SupervisorToWorker, type WorkerToSupervisor } from '@gatewayd/shared/ipc';

export function hasSupervisor(): boolean {
  return typeof process.send === 'function';
}

/** `done` runs once the message is handed to the channel (or failed to be). */
export function sendToSupervisor(message: WorkerToSupervisor, done?: () => void): void {
  if (typeof process.send !== 'function' || !process.connected) {
    done?.();
    return;
  }
  try {
    process.send(message, undefined, {}, () => done?.());
  } catch {
    done?.();
  }
}

export function onSupervisorMessage(handler: (message: SupervisorToWorker) => void): void {
  process.on('message', (message: unknown) => {
    if (isSupervisorMessage(message)) handler(message);
  });
}
