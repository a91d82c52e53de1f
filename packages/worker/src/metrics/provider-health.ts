/**
 * This worker's view of each provider's health, fed by the data path (active checks and request
 * outcomes through MetricsRecorder.setProviderHealth) and sent to the supervisor when it changed.
 */
import type { ProviderHealthMessage, ProviderHealthSnapshot, ProviderHealthState } from '@gatewayd/shared/ipc';

export interface ProviderHealthDetail {
  /** Finer than healthy/unhealthy: 'degraded' = serving with failures (e.g. one target's breaker open). */
  state?: ProviderHealthState;
  /** Latency of the check or request that produced this observation (or a moving average), ms. */
  latencyMs?: number | null;
  /** The failure behind an unhealthy observation; never include secrets (keys, auth headers). */
  error?: { message: string; status?: number | null } | null;
  /**
   * Report this observation even when nothing changed (active checks): the supervisor keeps the
   * freshest observation per provider, so a fresh check result must reach it to outrank an older
   * observation of another worker.
   */
  force?: boolean;
}

const MAX_ERROR_LENGTH = 300;

export class ProviderHealthTable {
  private readonly providers = new Map<string, ProviderHealthSnapshot>();
  private dirty = true;

  /** Resets to the configured providers (state unknown), keeping what is known of the others. */
  configure(names: readonly string[]): void {
    for (const name of names) if (!this.providers.has(name)) this.providers.set(name, { provider: name, state: 'unknown', latencyMs: null, lastError: null, observedAt: 0 });
    for (const name of [...this.providers.keys()]) if (!names.includes(name)) this.providers.delete(name);
    this.dirty = true;
  }

  set(provider: string, healthy: boolean, detail: ProviderHealthDetail | undefined, now: number): void {
    const entry = this.providers.get(provider);
    // Providers outside the config are not tracked: the table stays bounded.
    if (!entry) return;
    const state: ProviderHealthState = detail?.state ?? (healthy ? 'healthy' : 'down');
    const latencyMs = detail?.latencyMs === undefined ? entry.latencyMs : detail.latencyMs;
    if (state !== entry.state || latencyMs !== entry.latencyMs || detail?.force === true) this.dirty = true;
    entry.state = state;
    entry.latencyMs = latencyMs;
    entry.observedAt = now;
    if (detail?.error) {
      entry.lastError = { message: detail.error.message.slice(0, MAX_ERROR_LENGTH), status: detail.error.status ?? null, at: new Date(now).toISOString() };
      this.dirty = true;
    }
  }

  snapshot(): ProviderHealthSnapshot[] {
    return [...this.providers.values()].map((p) => ({ ...p, lastError: p.lastError ? { ...p.lastError } : null }));
  }

  /** The full table when it changed since the last take, else null. */
  take(): ProviderHealthMessage | null {
    if (!this.dirty) return null;
    this.dirty = false;
    return { type: 'provider-health', providers: this.snapshot() };
  }
}
