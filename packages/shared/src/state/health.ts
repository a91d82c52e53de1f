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

/** What an outage means for requests, in the terminal's words (start's warning, `status`). */
export function stateOutageEffect(onError: StateOnError): string {
  return onError === 'open'
    ? 'on_error: open: limits and cache are off until Redis answers'
    : 'on_error: closed: limited requests get 503 GW_ERR_STATE_UNAVAILABLE, and the cache is off, until Redis answers';
}

/**
 * The short cause of an outage reason (ECONNREFUSED, WRONGPASS, NOAUTH, ETIMEDOUT, ...), for
 * /health/ready on the data port: the error code, not the Redis address; null when there is none.
 */
export function stateCause(reason: string | null): string | null {
  if (reason === null) return null;
  return /\b(E[A-Z]{3,}|WRONGPASS|NOAUTH|NOPERM|LOADING|MASTERDOWN|CLUSTERDOWN|READONLY)\b/.exec(reason)?.[1] ?? null;
}

/**
 * The gateway's view of its state backend (`status`, /admin/stats), from the workers' reports:
 * `unavailable` while a live worker reports it down; `ok` when one reaches it (backend local:
 * always); `unknown` when none has reported (no limit and the cache off: no worker uses it).
 */
export interface StateHealthView {
  backend: StateBackendKind;
  status: 'ok' | 'unavailable' | 'unknown';
  /** When the outage began (ISO); null unless unavailable. */
  since: string | null;
  /** The first error of the outage (secrets redacted); null unless unavailable. */
  reason: string | null;
  onError: StateOnError;
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
