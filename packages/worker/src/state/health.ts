/**
 * Health of a state backend: healthy until a call fails, unhealthy until one succeeds again.
 * Exactly one log line per transition (never one per failed request), and a callback for the
 * metric and the supervisor.
 *
 * Under a supervisor that logs the gateway-wide transitions (backend redis: every worker has its
 * own connection, so an outage is seen by each), this process's lines are debug; on its own it
 * logs them at warn / info.
 */
import { STATE_RECOVERED_MSG, stateCause, stateUnavailableMsg, type StateBackendKind, type StateOnError } from '@gatewayd/shared/state';
import type { Logger } from '../log.js';

export interface HealthStatus {
  healthy: boolean;
  lastError: string | null;
  /**
   * While unhealthy: the outage's cause (ECONNREFUSED, WRONGPASS, ...) from the latest error that
   * names one; a later "Connection is closed." of the same outage does not erase it. null when up.
   */
  cause: string | null;
}

/** `reason`: why it went down (the error message); null on the way up. */
export type HealthChange = (healthy: boolean, reason: string | null) => void;

export interface HealthTrackerOptions {
  backend: StateBackendKind;
  onError: StateOnError;
  logger: Logger;
  onChange?: HealthChange | undefined;
  /** The supervisor logs the gateway's transitions: this process's own lines drop to debug. */
  supervisorLogs?: boolean | undefined;
}

export class HealthTracker {
  /** null: nothing has happened yet (a first success is not a "recovery"). */
  private healthy: boolean | null = null;
  private lastError: string | null = null;
  private cause: string | null = null;

  constructor(private readonly options: HealthTrackerOptions) {}

  status(): HealthStatus {
    return { healthy: this.healthy !== false, lastError: this.lastError, cause: this.healthy === false ? this.cause : null };
  }

  up(): void {
    if (this.healthy === true) return;
    const wasDown = this.healthy === false;
    this.healthy = true;
    if (wasDown) {
      const { logger, backend, supervisorLogs } = this.options;
      if (supervisorLogs) logger.debug({ stateBackend: backend }, STATE_RECOVERED_MSG);
      else logger.info({ stateBackend: backend }, STATE_RECOVERED_MSG);
    }
    this.options.onChange?.(true, null);
  }

  down(reason: string): void {
    this.lastError = reason;
    this.cause = stateCause(reason) ?? (this.healthy === false ? this.cause : null);
    if (this.healthy === false) return;
    this.healthy = false;
    const { logger, backend, onError, supervisorLogs } = this.options;
    if (supervisorLogs) logger.debug({ stateBackend: backend, err: reason }, stateUnavailableMsg(onError));
    else logger.warn({ stateBackend: backend, err: reason }, stateUnavailableMsg(onError));
    this.options.onChange?.(false, reason);
  }
}
