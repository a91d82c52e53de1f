/**
 * Health of a state backend: healthy until a call fails, unhealthy until one succeeds again.
 * Exactly one log line per transition (never one per failed request), and a callback for the
 * metric.
 */
import type { Logger } from '../log.js';

export interface HealthStatus {
  healthy: boolean;
  lastError: string | null;
}

export class HealthTracker {
  /** null: nothing has happened yet (a first success is not a "recovery"). */
  private healthy: boolean | null = null;
  private lastError: string | null = null;

  constructor(
    private readonly backend: 'local' | 'redis',
    private readonly onError: 'open' | 'closed',
    private readonly logger: Logger,
    private readonly onChange?: (healthy: boolean) => void,
  ) {}

  status(): HealthStatus {
    return { healthy: this.healthy !== false, lastError: this.lastError };
  }

  up(): void {
    if (this.healthy === true) return;
    const wasDown = this.healthy === false;
    this.healthy = true;
    if (wasDown) this.logger.info({ stateBackend: this.backend }, 'state backend recovered');
    this.onChange?.(true);
  }

  down(reason: string): void {
    this.lastError = reason;
    if (this.healthy === false) return;
    this.healthy = false;
    const effect = this.onError === 'open' ? 'admitting requests without limits (state.on_error: open)' : 'rejecting limited requests (state.on_error: closed)';
    this.logger.warn({ stateBackend: this.backend, err: reason }, `state backend unavailable: ${effect}`);
    this.onChange?.(false);
  }
}
