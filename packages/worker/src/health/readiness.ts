/**
 * GET /health/ready: 200 only while the worker serves (not draining) AND every configured model
 * has at least one target whose provider is not down. `unknown` (not checked yet, or checks off)
 * and `degraded` (failing now and then) count as up: readiness must not flap on one failure, and
 * a gateway with checks disabled must still become ready. Also 503 while this worker cannot reach
 * its state backend and state.on_error closed refuses limited requests for that. 503 bodies say why:
 *   {"status":"draining"}
 *   {"status":"unavailable","unhealthyModels":[{"model":"gpt-4o","providers":{"openai":"down"}}]}
 *   {"status":"unavailable","stateBackend":{"backend":"redis","onError":"closed","cause":"ECONNREFUSED"}}
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

/** The state backend is down and limited requests are refused (pipeline/admission.ts stateRefusal). */
export interface StateRefusal {
  backend: string;
  /** ECONNREFUSED, WRONGPASS, ...; never the address or a secret. */
  cause: string | null;
}

export class Readiness {
  /** Model name -> the distinct providers of its targets. */
  private readonly models: ReadonlyArray<readonly [string, readonly string[]]>;

  constructor(
    models: readonly Pick<ModelConfig, 'name' | 'targets'>[],
    private readonly states: () => Map<string, ProviderHealthState>,
    private readonly stateRefusal: () => StateRefusal | null = () => null,
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
    const refusal = this.stateRefusal();
    if (unhealthy.length === 0 && refusal === null) return READY;
    const body: Record<string, unknown> = { status: 'unavailable' };
    if (unhealthy.length > 0) body.unhealthyModels = unhealthy;
    if (refusal !== null) body.stateBackend = { backend: refusal.backend, onError: 'closed', ...(refusal.cause ? { cause: refusal.cause } : {}) };
    return { status: 503, body: JSON.stringify(body) };
  }
}
