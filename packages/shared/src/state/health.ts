/**
 * Health transitions of the state backend (issue 4): the log wording, common to a worker's own
 * tracker and the supervisor's gateway-wide log, and the worker -> supervisor message that lets
 * the supervisor log ONE line per gateway transition whatever the number of workers.
 */

export type StateBackendKind = 'local' | 'redis';
export type StateOnError = 'open' | 'closed';

export const STATE_RECOVERED_MSG = 'state backend recovered';

/** The warn line of an outage, e.g. "state backend unavailable: admitting requests without limits (state.on_error: open)". */
export function stateUnavailableMsg(onError: StateOnError): string {
  const effect = onError === 'open' ? 'admitting requests without limits (state.on_error: open)' : 'rejecting limited requests (state.on_error: closed)';
  return `state backend unavailable: ${effect}`;
}

/**
 * worker -> supervisor, on each transition of the worker's tracker (its first success included,
 * so the supervisor knows which live workers reach the backend).
 */
export interface StateHealthMessage {
  type: 'state-health';
  backend: StateBackendKind;
  up: boolean;
  /** Why it is down (an error message, secrets already scrubbed); null when up. */
  reason: string | null;
  onError: StateOnError;
}

export function isStateHealthMessage(value: unknown): value is StateHealthMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<StateHealthMessage>;
  return (
    m.type === 'state-health' &&
    (m.backend === 'local' || m.backend === 'redis') &&
    typeof m.up === 'boolean' &&
    (m.reason === null || typeof m.reason === 'string') &&
    (m.onError === 'open' || m.onError === 'closed')
  );
}
