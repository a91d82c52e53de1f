/**
 * How the local backend's client reaches the store: the supervisor over cluster IPC in
 * production, or a store in this very process (no supervisor: a worker run on its own, tests).
 */
import {
  isStateBatchResult,
  StateCore,
  type StateBatchMessage,
  type StateBatchResultMessage,
} from '@gatewayd/shared/state';

export interface StateChannel {
  /** Hands a batch over; never throws (a lost batch is caught by the client's timeout). */
  send(message: StateBatchMessage): void;
  /** Registers the handler of answers; returns its removal. */
  subscribe(handler: (message: StateBatchResultMessage) => void): () => void;
}

function ignore(): void {}

/** The IPC channel to the supervisor (process.send / 'message'). */
export function processChannel(): StateChannel {
  return {
    send(message) {
      if (typeof process.send !== 'function' || !process.connected) return;
      try {
        // With a callback, a send on a closing channel reports to it instead of emitting 'error'.
        process.send(message, undefined, {}, ignore);
      } catch {
        // channel closing: the worker exits with it
      }
    },
    subscribe(handler) {
      const listener = (message: unknown): void => {
        if (isStateBatchResult(message)) handler(message);
      };
      process.on('message', listener);
      return () => process.off('message', listener);
    },
  };
}

/**
 * A private store answering on the next microtask, as the supervisor would. Limits then hold per
 * process only, which is exact for a single process.
 */
export function inProcessChannel(core: StateCore): StateChannel {
  const handlers = new Set<(message: StateBatchResultMessage) => void>();
  return {
    send(message) {
      queueMicrotask(() => {
        const answer = core.applyBatch(0, message);
        if (answer) for (const handler of handlers) handler(answer);
      });
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  };
}
