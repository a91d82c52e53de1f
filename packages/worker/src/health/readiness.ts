/**
 * GET /health/ready: 200 only while the worker serves (not draining) AND every configured model
 * has at least one target whose provider is not down. `unknown` (not checked yet, or checks off)
 * and `degraded` (failing now and then) count as up: readiness must not flap on one failure, and
 * a gateway with checks disabled must still become ready. 503 bodies say why:
 *   {"status":"draining"}
 *   {"status":"unavailable","unhealthyModels":[{"model":"gpt-4o","providers":{"openai":"down"}}]}
 */
import type { ModelConfig, ProviderHealthState } from '@gatewayd/shared';

export interface ReadinessAnswer {
  status: 200 | 503;
  body: string;
}

const READY: ReadinessAnswer = { status: 200, body: '{"status":"ready"}' };
const DRAINING: ReadinessAnswer = { status: 503, body: '{"status":"draining"}' };

export interface UnhealthyModel {
  model: string;
  /** Each target provider's state. */
  providers: Record<string, ProviderHealthState>;
}

export class Readiness {
  /** Model name -> the distinct providers of its targets. */
  private readonly models: ReadonlyArray<readonly [string, readonly string[]]>;

  constructor(
    models: readonly Pick<ModelConfig, 'name' | 'targets'>[],
    private readonly states: () => Map<string, ProviderHealthState>,
  ) {
    this.models = models.map((m) => [m.name, [...new Set(m.targets.map((t) => t.provider))]] as const);
  }

  /** Models with no target on a provider that is up. */
  unhealthyModels(): UnhealthyModel[] {
    const states = this.states();
    const out: UnhealthyModel[] = [];
    for (const [model, providers] of this.models) {
      if (providers.some((p) => (states.get(p) ?? 'unknown') !== 'down')) continue;
      out.push({ model, providers: Object.fromEntries(providers.map((p) => [p, states.get(p) ?? 'unknown'])) });
    }
    return out;
  }

  answer(draining: boolean): ReadinessAnswer {
    if (draining) return DRAINING;
    const unhealthy = this.unhealthyModels();
    if (unhealthy.length === 0) return READY;
    return { status: 503, body: JSON.stringify({ status: 'unavailable', unhealthyModels: unhealthy }) };
  }
}
