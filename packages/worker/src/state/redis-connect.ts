/**
 * The ioredis client of backend `redis`: a standalone client, or a Cluster client seeded by the url
 * (state.redis.cluster), with the scripts defined on it. ioredis is imported here on first use, so
 * backend `local` workers never load it.
 */
import type { Cluster, Redis } from 'ioredis';
import { BATCH_LUA, RELEASE_LUA, RENEW_LUA, SET_MANY_LUA } from './redis-scripts.js';

export type ScriptedRedis = (Redis | Cluster) & {
  gwRenew(...args: Array<string | number>): Promise<number>;
  gwRelease(...args: Array<string | number>): Promise<number>;
};

export interface RedisClientOptions {
  url: string;
  timeoutMs: number;
  cluster?: boolean;
}

export async function createRedisClient(options: RedisClientOptions): Promise<ScriptedRedis> {
  const { Redis, Cluster } = await import('ioredis');
  const connectTimeout = Math.max(1_000, 4 * options.timeoutMs);
  // Reconnect for ever, backing off to 1 s: recovery is automatic. The first attempt is at once:
  // most closes are harmless (an idle timeout), and turns wait for the new connection.
  const backoff = (times: number) => (times <= 1 ? 0 : Math.min(50 * times, 1_000));
  // The offline queue is on until the first 'ready' (the backend turns it off then): a worker's
  // first requests are counted rather than degraded. No retries of a command across reconnects.
  const redis = (
    options.cluster
      ? new Cluster([options.url], {
          enableAutoPipelining: true,
          enableOfflineQueue: true,
          clusterRetryStrategy: backoff,
          // Not 100 ms: a pipeline that failed with "Connection is closed" may have run on the node
          // (only its reply was lost), and sending it again would count its admits and apply its
          // settles twice. It fails instead, like any call on a broken connection. Redirections
          // (MOVED, ASK, TRYAGAIN, CLUSTERDOWN) are still followed: nothing ran for those.
          retryDelayOnFailover: 0,
          // The seed's credentials and TLS hold for the nodes it leads to.
          redisOptions: { ...credentialsOf(options.url), maxRetriesPerRequest: 0, connectTimeout },
        })
      : new Redis(options.url, { enableAutoPipelining: true, enableOfflineQueue: true, maxRetriesPerRequest: 0, connectTimeout, retryStrategy: backoff })
  ) as ScriptedRedis;
  redis.defineCommand('gwBatch', { lua: BATCH_LUA });
  redis.defineCommand('gwRenew', { lua: RENEW_LUA });
  redis.defineCommand('gwRelease', { lua: RELEASE_LUA });
  redis.defineCommand('gwSetMany', { lua: SET_MANY_LUA });
  return redis;
}

/** username, password and TLS of a redis:// or rediss:// URL. */
function credentialsOf(url: string): { username?: string; password?: string; tls?: object } {
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
