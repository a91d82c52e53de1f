/**
 * The order in which one request tries a model's targets, per strategy. Each function returns a
 * new array and leaves its input alone. Ties keep config order (Array.prototype.sort is stable).
 *
 * fallback       config order.
 * round_robin    config order rotated by one more step on every request of the model.
 * weighted       weighted random order without replacement: the first pick is drawn with
 *                probability weight / total, the next from the rest, and so on.
 * least_latency  ascending latency average; unmeasured targets first, so they get measured.
 * cost           ascending input + output price per million tokens; unknown prices last.
 */
import type { ModelConfig, PriceConfig } from '@gatewayd/shared';
import { costKey } from './prices.js';
import type { RouteTarget } from './types.js';

export type Strategy = ModelConfig['strategy'];

export interface StrategyContext {
  random(): number;
  /** EWMA latency of a target id, undefined when not measured yet. */
  latencyOf(id: string): number | undefined;
  /** Returns the rotation step for this request of a round_robin model and advances it. */
  nextTurn(modelName: string): number;
  /** The price the gateway bills a target at (config, etc/prices.yaml, built-in table): what `cost` orders by. */
  priceOf(target: RouteTarget): PriceConfig | undefined;
}

export function orderTargets(strategy: Strategy, modelName: string, targets: readonly RouteTarget[], ctx: StrategyContext): RouteTarget[] {
  switch (strategy) {
    case 'fallback':
      return [...targets];
    case 'round_robin':
      return rotate(targets, ctx.nextTurn(modelName));
    case 'weighted':
      return weightedOrder(targets, ctx.random);
    case 'least_latency':
      return byLatency(targets, ctx.latencyOf);
    case 'cost':
      return [...targets].sort((a, b) => costKey(ctx.priceOf(a)) - costKey(ctx.priceOf(b)));
  }
}

export function rotate<T>(items: readonly T[], step: number): T[] {
  if (items.length === 0) return [];
  const start = step % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

export function weightedOrder(targets: readonly RouteTarget[], random: () => number): RouteTarget[] {
  const rest = [...targets];
  const order: RouteTarget[] = [];
  let total = rest.reduce((sum, t) => sum + t.weight, 0);
  while (rest.length > 1) {
    let draw = random() * total;
    let index = 0;
    // Walk to the target whose weight interval holds the draw; float dust falls to the last one.
    while (index < rest.length - 1 && draw >= (rest[index] as RouteTarget).weight) {
      draw -= (rest[index] as RouteTarget).weight;
      index++;
    }
    const [picked] = rest.splice(index, 1) as [RouteTarget];
    order.push(picked);
    total -= picked.weight;
  }
  order.push(...rest);
  return order;
}

function byLatency(targets: readonly RouteTarget[], latencyOf: (id: string) => number | undefined): RouteTarget[] {
  const key = (t: RouteTarget) => latencyOf(t.id) ?? Number.NEGATIVE_INFINITY;
  return [...targets].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka === kb ? 0 : ka < kb ? -1 : 1;
  });
}
