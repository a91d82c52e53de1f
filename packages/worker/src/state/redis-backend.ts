/**
 * Backend `redis`: limits and cache shared by every gatewayd host on one Redis (issue 4).
 *
 * - ioredis with auto-pipelining: every command of one event-loop turn goes out in one write.
 * - Scripts (redis-scripts.ts) via defineCommand: EVAL once per connection (which loads the
 *   script), EVALSHA after, and a transparent reload when Redis answers NOSCRIPT (a restart).
 * - No request waits on a dead Redis: state.redis.timeout bounds every awaited call (admit, cache
 *   read) through one shared timer (deadlines.ts; a timer per command would cost as much as the
 *   command); an admission answered too late is given back. Once connected, no offline queue (a
 *   command while disconnected fails at once) and no retries of a request across reconnects. Before the FIRST connection, calls queue (each still bounded
 *   by the timeout), so a worker's first requests are counted rather than degraded.
 *   Failures follow state.on_error; one log line per healthy/unhealthy transition (per gateway:
 *   under a supervisor, which logs it, this worker's own line is debug); ioredis
 *   reconnects by itself (retryStrategy) and the next success or 'ready' is the recovery.
 * - Concurrency slots are leases (LEASE_MS), renewed while the request runs: a host that dies
 *   holding slots frees them when the leases expire.
 * - ioredis is loaded on first use: backend `local` workers never pay for it.
 */
import { sendAtTurnEnd } from '../http/turn-end.js';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  CONCURRENCY_RETRY_MS,
  LIMIT_WINDOW_MS,
  hasLimits,
  normalizeScopes,
  sanitizeTokens,
  unavailableAdmission,
  unlimitedAdmission,
  type Admission,
  type LimitScope,
} from '@gatewayd/shared/state';
import type { Logger } from '../log.js';
import { Deadlines } from './deadlines.js';
import { HealthTracker, type HealthChange, type HealthStatus } from './health.js';
import { admissionOf, planAdmit, type RedisTicket } from './redis-admit.js';
import { RedisKeys } from './redis-keys.js';
import { ADMIT_LUA, RENEW_LUA, SETTLE_LUA } from './redis-scripts.js';
import type { StateBackend } from './types.js';

/** A concurrency slot lives this long unless renewed; renewed every third of it. */
export const LEASE_MS = 30_000;

interface ScriptedRedis extends Redis {
  gwAdmit(...args: Array<string | number>): Promise<number[]>;
  gwSettle(...args: Array<string | number>): Promise<number>;
  gwRenew(...args: Array<string | number>): Promise<number>;
}

export interface RedisBackendOptions {
  url: string;
  prefix: string;
  timeoutMs: number;
  onError: 'open' | 'closed';
  logger: Logger;
  workerId: number;
  onHealthChange?: HealthChange;
  /** See HealthTrackerOptions.supervisorLogs. */
  supervisorLogs?: boolean;
  /** Concurrency lease; LEASE_MS unless a test needs it short. */
  leaseMs?: number;
}

export class RedisStateBackend implements StateBackend {
  readonly kind = 'redis' as const;
  private readonly keys: RedisKeys;
  private readonly health: HealthTracker;
  private readonly client: Promise<ScriptedRedis>;
  private redis: ScriptedRedis | null = null;
  private readonly tickets = new Map<string, RedisTicket>();
  private readonly renewTimer: NodeJS.Timeout;
  /** Request ids: unique across hosts and processes without coordination. */
  private readonly instance = `${randomBytes(6).toString('hex')}.`;
  private seq = 0;
  private closed = false;
  private readonly leaseMs: number;
  private readonly deadlines: Deadlines;

  constructor(private readonly options: RedisBackendOptions) {
    this.deadlines = new Deadlines(options.timeoutMs);
    this.keys = new RedisKeys(options.prefix);
    this.leaseMs = options.leaseMs ?? LEASE_MS;
    this.health = new HealthTracker({ backend: 'redis', onError: options.onError, logger: options.logger, onChange: options.onHealthChange, supervisorLogs: options.supervisorLogs });
    this.client = this.connect();
    this.client.catch(() => {}); // a load failure is reported by each call
    this.renewTimer = setInterval(() => this.renewLeases(), this.leaseMs / 3);
    this.renewTimer.unref();
  }

  async admit(scopes: LimitScope[], reserveTokens: number): Promise<Admission> {
    if (this.closed || !hasLimits(scopes)) return unlimitedAdmission();
    const reserve = sanitizeTokens(reserveTokens);
    const call = planAdmit(normalizeScopes(scopes), this.keys);
    const member = `${this.instance}${(++this.seq).toString(36)}`;
    let reply: number[];
    try {
      const redis = this.redis ?? (await this.client);
      const admitting = redis.gwAdmit(call.keys.length, ...call.keys, LIMIT_WINDOW_MS, reserve, member, this.leaseMs, CONCURRENCY_RETRY_MS, call.checks.length, ...call.pairs);
      // Too late: the request was answered by on_error; what Redis granted meanwhile is given back.
      reply = await this.deadlines.bound(admitting, (late) => this.giveBack(late, call, member, reserve));
    } catch (err) {
      this.fail(err);
      return this.options.onError === 'open' ? unlimitedAdmission(true) : unavailableAdmission();
    }
    this.health.up();
    const admission = admissionOf(reply, call.checks, member, call.ticket);
    if (admission.ticket) this.tickets.set(admission.ticket, call.ticket);
    return admission;
  }

  /** A late admission: admitted (on_error open) its estimate stays counted; refused (closed) nothing does. */
  private giveBack(reply: number[], call: ReturnType<typeof planAdmit>, member: string, reserve: number): void {
    const admission = admissionOf(reply, call.checks, member, call.ticket);
    if (!admission.ticket) return;
    this.tickets.set(admission.ticket, call.ticket);
    this.settle(admission.ticket, this.options.onError === 'open' ? reserve : 0);
  }

  settle(ticket: string, actualTokens: number): void {
    const record = this.tickets.get(ticket);
    if (!record) return;
    this.tickets.delete(ticket);
    const redis = this.redis;
    if (!redis) return;
    const keys = [...record.tpmHashes, ...record.slots];
    redis.gwSettle(keys.length, ...keys, ticket, sanitizeTokens(actualTokens), record.tpmHashes.length).then(
      () => this.health.up(),
      // Lost: the tpm entry keeps its estimate, the slot expires with its lease.
      (err: unknown) => this.fail(err),
    );
  }

  async cacheGet(key: string): Promise<Buffer | null> {
    if (this.closed) return null;
    try {
      const redis = this.redis ?? (await this.client);
      const value = await this.deadlines.bound(redis.getBuffer(this.keys.cache(key)));
      this.health.up();
      return value;
    } catch (err) {
      this.fail(err);
      return null;
    }
  }

  cacheSet(key: string, value: Buffer, ttlMs: number): void {
    if (this.closed || !(ttlMs > 0)) return;
    const write = (redis: ScriptedRedis) => redis.set(this.keys.cache(key), value, 'PX', Math.ceil(ttlMs));
    (this.redis ? write(this.redis) : this.client.then(write)).then(
      () => this.health.up(),
      (err: unknown) => this.fail(err),
    );
  }

  /**
   * The SET (like a settle) is queued on ioredis's auto-pipeline, which runs at the end of the turn
   * (setImmediate) as the held answers do; which of the two goes first depends on which was
   * scheduled first, so another worker or host may miss the entry for that moment (one extra
   * upstream call, never a wrong answer).
   */
  cacheSetBeforeSend(key: string, value: Buffer, ttlMs: number, send: () => void): void {
    this.cacheSet(key, value, ttlMs);
    sendAtTurnEnd(send);
  }

  sendAfterQueued(send: () => void): void {
    sendAtTurnEnd(send);
  }

  /** Connected, or given up after a few timeouts' worth of waiting (calls then follow on_error). */
  async ready(): Promise<void> {
    let redis: ScriptedRedis;
    try {
      redis = await this.client;
    } catch {
      return;
    }
    if (redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1_000, 4 * this.options.timeoutMs));
      redis.once('ready', done);
    });
  }

  status(): HealthStatus {
    return this.health.status();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.renewTimer);
    this.deadlines.stop();
    let redis: ScriptedRedis;
    try {
      redis = await this.client;
    } catch {
      return;
    }
    // Let the last settles go out, but never wait long on a dead server.
    const timer = setTimeout(() => redis.disconnect(), Math.max(1_000, this.options.timeoutMs));
    try {
      await redis.quit();
    } catch {
      redis.disconnect();
    } finally {
      clearTimeout(timer);
    }
  }

  /** A failed call or connection; calls cut short by close() are not an outage. */
  private fail(err: unknown): void {
    if (!this.closed) this.health.down(describe(err));
  }

  private async connect(): Promise<ScriptedRedis> {
    const { Redis } = await import('ioredis');
    const timeoutMs = this.options.timeoutMs;
    const redis = new Redis(this.options.url, {
      enableAutoPipelining: true,
      enableOfflineQueue: true, // until the first 'ready', see the top comment
      maxRetriesPerRequest: 0,
      connectTimeout: Math.max(1_000, 4 * timeoutMs),
      // Reconnect for ever, backing off to 1 s: recovery is automatic.
      retryStrategy: (times: number) => Math.min(50 * times, 1_000),
    }) as ScriptedRedis;
    redis.defineCommand('gwAdmit', { lua: ADMIT_LUA });
    redis.defineCommand('gwSettle', { lua: SETTLE_LUA });
    redis.defineCommand('gwRenew', { lua: RENEW_LUA });
    redis.on('ready', () => {
      redis.options.enableOfflineQueue = false; // ioredis reads it per command
      this.health.up();
    });
    // Listening to 'error' also keeps ioredis from printing "Unhandled error event".
    redis.on('error', (err: Error) => this.fail(err));
    redis.on('close', () => {
      this.fail(new Error('connection to redis closed'));
    });
    this.redis = redis;
    return redis;
  }

  /** Extends the leases of this process's requests still in flight, one script call per zset. */
  private renewLeases(): void {
    const redis = this.redis;
    if (!redis || this.closed) return;
    const byKey = new Map<string, string[]>();
    for (const [ticket, record] of this.tickets) {
      for (const key of record.slots) {
        let members = byKey.get(key);
        if (!members) byKey.set(key, (members = []));
        members.push(ticket);
      }
    }
    for (const [key, members] of byKey) {
      for (let i = 0; i < members.length; i += 500) {
        redis.gwRenew(1, key, this.leaseMs, ...members.slice(i, i + 500)).catch((err: unknown) => this.fail(err));
      }
    }
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
