/**
 * The price of the target a request was served by (PriceTable.billedPrice: the config's, else
 * etc/prices.yaml, else the built-in table, else none: cost 0), memoised per target object
 * (targets are built once per model, glob ones are cached).
 */
import type { PriceConfig } from '@gatewayd/shared';
import { costUsd, type PriceTable } from '../metrics/index.js';
import type { TokenUsage } from '../pipeline/types.js';
import type { RouteTarget } from '../routing/index.js';

export class CostBook {
  private readonly memo = new WeakMap<RouteTarget, PriceConfig | null>();

  constructor(private readonly table: PriceTable) {}

  priceOf(target: RouteTarget): PriceConfig | undefined {
    const known = this.memo.get(target);
    if (known !== undefined) return known ?? undefined;
    const price = this.table.billedPrice(target);
    this.memo.set(target, price ?? null);
    return price;
  }

  costOf(target: RouteTarget | null, usage: TokenUsage | undefined): number {
    if (target === null || usage === undefined) return 0;
    return costUsd(this.priceOf(target), { promptTokens: usage.prompt, completionTokens: usage.completion, cachedTokens: usage.cached ?? 0, cacheWriteTokens: usage.cacheWrite ?? 0, cacheWrite1hTokens: usage.cacheWrite1h ?? 0 });
  }
}
