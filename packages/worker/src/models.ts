/**
 * The model table: every configured model name and alias mapped to where it is served. For now
 * the first target decides; strategies and failover come with the provider adapters.
 */
import type { GatewayConfig, ModelConfig, ProviderConfig, TargetConfig } from '@gatewayd/shared';

export interface ModelRoute {
  model: ModelConfig;
  target: TargetConfig;
  provider: ProviderConfig;
}

export type ModelTable = ReadonlyMap<string, ModelRoute>;

export function buildModelTable(config: GatewayConfig): ModelTable {
  const providers = new Map(config.providers.map((p) => [p.name, p] as const));
  const table = new Map<string, ModelRoute>();
  for (const model of config.models) {
    const target = model.targets[0];
    const provider = target ? providers.get(target.provider) : undefined;
    // The config loader validates references; a model it let through without one is skipped.
    if (!target || !provider) continue;
    const route: ModelRoute = { model, target, provider };
    table.set(model.name, route);
    for (const alias of model.aliases) if (!table.has(alias)) table.set(alias, route);
  }
  return table;
}
