/**
 * Complete answers held to the end of the event-loop turn (setImmediate: right after the poll
 * phase) and written together: one burst of writes per turn instead of one per upstream read,
 * which on a loaded machine means fewer wake-ups of the clients and of this worker.
 */
let held: Array<() => void> = [];
let scheduled = false;

export function sendAtTurnEnd(send: () => void): void {
  held.push(send);
  if (scheduled) return;
  scheduled = true;
  setImmediate(sendHeld);
}

function sendHeld(): void {
  scheduled = false;
  const sends = held;
  held = [];
  sendAll(sends);
}

/** Runs held answers in order; a bug in one must not hold back the others (it still reaches stderr, the log). */
export function sendAll(sends: ReadonlyArray<() => void>): void {
  for (const send of sends) {
    try {
      send();
    } catch (err) {
      process.emitWarning(err instanceof Error ? err : new Error(String(err)), { code: 'GATEWAYD_HELD_SEND' });
    }
  }
}
