/**
 * The price of the target a request was served by, in the documented precedence: the target's
 * `price` in the config, else etc/prices.yaml (the worker's PriceTable), else the built-in table of
 * well-known models (routing/prices.ts), else none (cost 0). RouteTarget.price already folds the
 * config price and the built-in one together, so the config entry is looked up again here; the
 * answer is memoised per target object (targets are built once per model, glob ones are cached).
 */
import type { ModelConfig, PriceConfig } from '@gatewayd/shared';
import { costUsd, type PriceTable } from '../metrics/index.js';
import type { TokenUsage } from '../pipeline/types.js';
import type { RouteTarget } from '../routing/index.js';

export class CostBook {
  private readonly memo = new WeakMap<RouteTarget, PriceConfig | null>();

  constructor(private readonly table: PriceTable) {}

  priceOf(target: RouteTarget, model: ModelConfig | null): PriceConfig | undefined {
    const known = this.memo.get(target);
    if (known !== undefined) return known ?? undefined;
    const configured = model?.targets.find((t) => t.provider === target.provider.name && t.price !== undefined && (t.model === target.model || t.model.includes('*')))?.price;
    const price = configured ?? this.table.lookup(target.model) ?? target.price;
    this.memo.set(target, price ?? null);
    return price;
  }

  costOf(target: RouteTarget | null, model: ModelConfig | null, usage: TokenUsage | undefined): number {
    if (target === null || usage === undefined) return 0;
    return costUsd(this.priceOf(target, model), { promptTokens: usage.prompt, completionTokens: usage.completion, cachedTokens: usage.cached ?? 0, cacheWriteTokens: usage.cacheWrite ?? 0, cacheWrite1hTokens: usage.cacheWrite1h ?? 0 });
  }
}
