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
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  rpm(scope: string): string {
    return `${this.prefix}{limits}:rpm:${scope}`;
  }

  tpm(scope: string): string {
    return `${this.prefix}{limits}:tpm:${scope}`;
  }

  /** The tokens of each tpm entry and their running total ('#sum'). */
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
