import type { Logger } from 'pino';
import type { WorkerExit, WorkerHandle, WorkerPool } from './worker-pool.js';

/** A draining worker gets drain_timeout to finish, plus this grace to exit, before SIGKILL. */
export const DRAIN_KILL_GRACE_MS = 5_000;

/**
 * Asks one worker to drain (stop accepting, finish in-flight work within `timeoutMs`, exit) and
 * arms the SIGKILL deadline. A worker that is still starting serves nobody, so it is just killed.
 */
export function drainWorker(pool: WorkerPool, handle: WorkerHandle, timeoutMs: number, logger: Logger, replaced = false): Promise<WorkerExit> {
  if (handle.state === 'stopped') return handle.exited;
  if (handle.state === 'draining') return handle.exited;
  handle.retiring = true;
  if (handle.state === 'starting' || !pool.send(handle, { type: 'drain', timeoutMs, ...(replaced ? { replaced } : {}) })) {
    pool.kill(handle);
    return handle.exited;
  }
  handle.state = 'draining';
  logger.info({ workerPid: handle.pid, worker: handle.slot, generation: handle.generation, timeoutMs }, 'worker draining');
  const deadline = setTimeout(() => {
    logger.warn({ workerPid: handle.pid, worker: handle.slot, generation: handle.generation }, 'draining worker still running after drain_timeout + 5s; killing it');
    pool.kill(handle);
  }, timeoutMs + DRAIN_KILL_GRACE_MS);
  void handle.exited.then(() => clearTimeout(deadline));
  return handle.exited;
}

/** Drains the given workers one after another (each drain message is sent in turn) and waits for all exits. */
export async function drainWorkers(
  pool: WorkerPool,
  handles: WorkerHandle[],
  timeoutFor: (handle: WorkerHandle) => number,
  logger: Logger,
  replaced = false,
): Promise<void> {
  const exits = handles.map((handle) => drainWorker(pool, handle, timeoutFor(handle), logger, replaced));
  await Promise.all(exits);
}
