/**
 * Provider states as this worker's readiness sees them: the cluster-wide view the supervisor sends
 * (`provider-health-view`: per provider the freshest observation of any live worker, worker 0's
 * active checks included) once it arrived, else this worker's own observations. Every worker thus
 * answers /health/ready alike, one metrics report interval (1 s) after a change at the latest.
 */
import { isProviderHealthViewMessage, type ProviderHealthSnapshot, type ProviderHealthState, type ProviderHealthViewMessage } from '@gatewayd/shared/ipc';

export class ProviderStates {
  private cluster: Map<string, ProviderHealthState> | null = null;

  constructor(private readonly local: () => ProviderHealthSnapshot[]) {}

  apply(message: ProviderHealthViewMessage): void {
    const cluster = new Map<string, ProviderHealthState>();
    for (const p of message.providers) if (typeof p?.provider === 'string' && typeof p.state === 'string') cluster.set(p.provider, p.state);
    this.cluster = cluster;
  }

  /** Applies a supervisor message if it is a provider health view; false otherwise. */
  onMessage(message: unknown): boolean {
    if (!isProviderHealthViewMessage(message)) return false;
    this.apply(message);
    return true;
  }

  /** State per provider name (providers never observed are absent: unknown). */
  snapshot(): Map<string, ProviderHealthState> {
    const states = new Map<string, ProviderHealthState>();
    for (const p of this.local()) states.set(p.provider, p.state);
    if (this.cluster !== null) for (const [provider, state] of this.cluster) states.set(provider, state);
    return states;
  }
}
