/**
 * Provider health across workers. Each worker sees the providers through its own requests and
 * checks; per provider the freshest observation (latest observedAt) among the live workers wins,
 * and the latest error any of them saw is shown.
 */
import type { ProviderHealthSnapshot, ProviderHealthState } from '@gatewayd/shared';

export interface ProviderHealthView {
  provider: string;
  state: ProviderHealthState;
  /** false only when down: unknown (not checked yet) and degraded still count as up. */
  healthy: boolean;
  latencyMs: number | null;
  lastError: { message: string; status: number | null; at: string } | null;
  observedAt: string | null;
  /** Each live worker's own view. */
  workers: Array<{ worker: number; pid: number; state: ProviderHealthState; latencyMs: number | null; observedAt: string | null }>;
}

const STATES = new Set<string>(['unknown', 'healthy', 'degraded', 'down']);

function iso(ms: number): string | null {
  return ms > 0 && Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

export function mergeProviderHealth(providers: readonly string[], workers: Array<{ slot: number; pid: number; providers: ProviderHealthSnapshot[] }>): ProviderHealthView[] {
  return providers.map((provider) => {
    let freshest: ProviderHealthSnapshot | undefined;
    let lastError: ProviderHealthView['lastError'] = null;
    const perWorker: ProviderHealthView['workers'] = [];
    for (const w of workers) {
      const snap = w.providers.find((p) => p?.provider === provider);
      if (!snap || !STATES.has(snap.state)) continue;
      perWorker.push({ worker: w.slot, pid: w.pid, state: snap.state, latencyMs: snap.latencyMs ?? null, observedAt: iso(snap.observedAt) });
      if (snap.observedAt > 0 && (!freshest || snap.observedAt > freshest.observedAt)) freshest = snap;
      if (snap.lastError && (!lastError || snap.lastError.at > lastError.at)) lastError = snap.lastError;
    }
    const state: ProviderHealthState = freshest?.state ?? 'unknown';
    return {
      provider,
      state,
      healthy: state !== 'down',
      latencyMs: freshest?.latencyMs ?? null,
      lastError,
      observedAt: iso(freshest?.observedAt ?? 0),
      workers: perWorker,
    };
  });
}
