/**
 * Model name resolution: exact name, then alias, then globs in config order. A glob name such as
 * `openai/*` matches any non-empty run of characters (without `*`) where its `*` is; the matched
 * parts replace the `*`s of the targets' `model` in order (a target with more `*`s than the glob
 * reuses the last part); a name whose matched part holds a `.` or `..` path segment matches no
 * glob. Exact and alias results are built once; glob results are cached, bounded.
 */
import type { GatewayConfig, ModelConfig, ProviderConfig, TargetConfig } from '@gatewayd/shared';
import { LinkedLru } from '@gatewayd/shared/lru';
import { builtinPrice } from './prices.js';
import { globRuns } from './wildcard.js';
import type { ResolvedModel, RouteTarget } from './types.js';

const GLOB_CACHE_LIMIT = 1024;

interface GlobModel {
  config: ModelConfig;
  /** The glob split on its `*`s. */
  literals: string[];
}

export class ModelResolver {
  private readonly named = new Map<string, ResolvedModel>();
  private readonly globs: GlobModel[] = [];
  /** Requested names matched against the globs (null: no match); any name a caller sends lands here, so bounded. */
  private readonly globCache = new LinkedLru<string, ResolvedModel | null>(GLOB_CACHE_LIMIT);
  private readonly names: string[] = [];
  private readonly providers: Map<string, ProviderConfig>;

  constructor(config: GatewayConfig) {
    this.providers = new Map(config.providers.map((p) => [p.name, p] as const));
    for (const model of config.models) {
      if (isGlob(model.name)) {
        this.globs.push({ config: model, literals: model.name.split('*') });
      } else {
        this.addName(model.name, model);
      }
      // Aliases are literal names, even with a `*` in them.
      for (const alias of model.aliases) this.addName(alias, model);
    }
  }

  resolve(requested: string): ResolvedModel | undefined {
    const named = this.named.get(requested);
    if (named) return named;
    if (this.globs.length === 0) return undefined;
    const cached = this.globCache.get(requested);
    if (cached !== undefined) return cached ?? undefined;
    const resolved = this.matchGlob(requested);
    this.globCache.set(requested, resolved ?? null);
    return resolved;
  }

  /** Configured names and aliases in config order, without globs. */
  modelNames(): string[] {
    return [...this.names];
  }

  /** Every target of the non-glob models (for the health snapshot before any traffic). */
  staticTargets(): RouteTarget[] {
    const seen = new Map<string, RouteTarget>();
    for (const resolved of this.named.values()) for (const t of resolved.targets) if (!seen.has(t.id)) seen.set(t.id, t);
    return [...seen.values()];
  }

  private addName(name: string, model: ModelConfig): void {
    // The loader rejects duplicates; should one slip through, the first definition wins.
    if (this.named.has(name)) return;
    const targets = this.buildTargets(model, []);
    if (targets.length === 0) return;
    this.named.set(name, { requested: name, config: model, targets, cacheIdentity: cacheIdentityOf(model, targets) });
    this.names.push(name);
  }

  private matchGlob(requested: string): ResolvedModel | undefined {
    for (const glob of this.globs) {
      const runs = globRuns(glob.literals, requested);
      if (runs === undefined) continue;
      // A matched run is the caller's text put into a target's model, which some providers put in
      // the URL path (Gemini, Azure deployments): `..` there would leave the base URL's path,
      // past the key's model allowlist and the price table.
      if (runs.some(hasDotSegment)) continue;
      const targets = this.buildTargets(glob.config, runs);
      if (targets.length > 0) return { requested, config: glob.config, targets, cacheIdentity: cacheIdentityOf(glob.config, targets) };
    }
    return undefined;
  }

  private buildTargets(model: ModelConfig, parts: string[]): RouteTarget[] {
    const targets: RouteTarget[] = [];
    for (const target of model.targets) {
      const provider = this.providers.get(target.provider);
      // The config loader validates references; a dangling one is skipped rather than crashing.
      if (!provider) continue;
      targets.push(makeTarget(provider, target, substitute(target.model, parts)));
    }
    return targets;
  }
}

export function makeTarget(provider: ProviderConfig, target: TargetConfig, model: string): RouteTarget {
  return {
    id: `${provider.name}/${model}`,
    provider,
    model,
    weight: target.weight,
    price: target.price ?? builtinPrice(model),
    configuredPrice: target.price,
  };
}

/** See ResolvedModel.cacheIdentity. */
export function cacheIdentityOf(model: ModelConfig, targets: readonly RouteTarget[]): string {
  return JSON.stringify([model.name, ...targets.map((t) => [t.provider.name, t.provider.type, t.provider.base_url ?? '', t.model])]);
}

/** A `.` or `..` path segment (`/`- or `\\`-separated: URL parsers take both in http(s) paths). */
export function hasDotSegment(text: string): boolean {
  for (const segment of text.split(/[/\\]/)) if (segment === '.' || segment === '..') return true;
  return false;
}

export function isGlob(name: string): boolean {
  return name.includes('*');
}

/** Replaces the `*`s of a target model with the matched parts, in order; the last part repeats. */
export function substitute(model: string, parts: string[]): string {
  if (parts.length === 0 || !model.includes('*')) return model;
  let index = 0;
  return model.replace(/\*/g, () => parts[Math.min(index++, parts.length - 1)] ?? '');
}
