/**
 * Forwards the state backend's health transitions to the supervisor, which logs one line per
 * gateway transition whatever the number of workers (packages/supervisor/src/state/outage-log.ts).
 */
import type { StateBackendKind, StateOnError } from '@gatewayd/shared/state';
import { sendToSupervisor } from '../supervisor-link.js';
import type { HealthChange } from './health.js';

/** user:password@ of any URL in an error message, whatever its length (the scrubber skips short secrets). */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi;

/**
 * The reason as the supervisor may log it: secret values replaced by `scrub` (observe/secrets.ts,
 * as in this worker's own log lines; the supervisor's logger redacts field names only) and URL
 * credentials removed.
 */
export function safeReason(reason: string, scrub: (text: string) => string): string {
  return scrub(reason).replace(URL_CREDENTIALS, '$1[REDACTED]@');
}

export function supervisorHealthReporter(backend: StateBackendKind, onError: StateOnError, scrub: (text: string) => string): HealthChange {
  return (up, reason) => sendToSupervisor({ type: 'state-health', backend, up, reason: reason === null ? null : safeReason(reason, scrub), onError });
}
