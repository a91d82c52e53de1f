/**
 * Redis key names of backend `redis`, under state.redis.prefix.
 *
 * Redis Cluster: a script may only touch keys of one hash slot. A request's admit must check and
 * reserve its key, model and global limits in ONE script to be atomic (all or nothing, no
 * over-admission under contention), so every limit key carries the same hash tag `{limits}` and
 * lands in one slot. The trade-off: all limit traffic of a deployment is served by one shard
 * (a few script calls per request, well within one Redis node), in exchange for exactness. The
 * alternative, one script per scope with compensation on rejection, is not atomic: a reservation
 * that is rolled back can still make a concurrent request fail, and retry-after gets inexact.
 * Cache keys carry no common tag: they spread over the cluster.
 */
/** The keys of one limit scope, in the order the admit script takes them. */
export interface ScopeKeys {
  rpm: readonly [string, string];
  tpm: readonly [string, string];
  tpmWeights: string;
  concurrency: readonly [string];
  concurrencyKey: string;
}

/** Scope ids come from the config (keys, models, global); more than this means a reload churned them. */
const MAX_CACHED_SCOPES = 10_000;

export class RedisKeys {
  /** Built once per scope: the hot path then reuses the same strings (no concatenation, no rehashing). */
  private readonly scopes = new Map<string, ScopeKeys>();

  constructor(private readonly prefix: string) {}

  ofScope(id: string): ScopeKeys {
    let keys = this.scopes.get(id);
    if (keys === undefined) {
      if (this.scopes.size >= MAX_CACHED_SCOPES) this.scopes.clear();
      const tpmWeights = this.tpmWeights(id);
      const concurrencyKey = this.concurrency(id);
      keys = { rpm: [this.rpm(id), this.rpmWeights(id)], tpm: [this.tpm(id), tpmWeights], tpmWeights, concurrency: [concurrencyKey], concurrencyKey };
      this.scopes.set(id, keys);
    }
    return keys;
  }

  /** The rpm log's buckets ('rpml': not the per-request zset 'rpm' of earlier versions, which counted members). */
  rpm(scope: string): string {
    return `${this.prefix}{limits}:rpml:${scope}`;
  }

  /** The requests of each rpm bucket and their running total ('#sum'). */
  rpmWeights(scope: string): string {
    return `${this.prefix}{limits}:rpmw:${scope}`;
  }

  tpm(scope: string): string {
    return `${this.prefix}{limits}:tpm:${scope}`;
  }

  /** The tokens of each tpm bucket and their running total ('#sum'). */
  tpmWeights(scope: string): string {
    return `${this.prefix}{limits}:tpmw:${scope}`;
  }

  concurrency(scope: string): string {
    return `${this.prefix}{limits}:conc:${scope}`;
  }

  cache(key: string): string {
    return `${this.prefix}cache:${key}`;
  }
}
