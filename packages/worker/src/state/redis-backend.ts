/**
 * Backend `redis`: limits and cache shared by every gatewayd host on one Redis (issue 4).
 *
 * - Hot path: what a turn's requests ask of Redis (settles, admits, cache reads and writes) is
 *   queued and written at the end of the turn (setImmediate, as the local backend's batch) as ONE
 *   pipeline (redis-turn.ts): one socket write per turn, and the limits in one script call
 *   (BATCH_LUA), so ioredis's per-command cost and Redis's per-script cost are paid per turn, not
 *   per request. This is auto-pipelining done one level up, where the turn is known; ioredis's own
 *   (enableAutoPipelining) still groups the rest (lease renewals).
 * - state.redis.cluster: a Cluster client seeded by the url; one pipeline may only hold one slot's
 *   keys there, so a turn is the limits' pipeline (all on the {limits} slot) plus each node's
 *   auto-pipelined cache commands (redis-turn.ts clusterPipeline).
 * - Scripts (redis-scripts.ts) via defineCommand: EVAL once per connection (which loads the
 *   script), EVALSHA after, and a transparent reload when Redis answers NOSCRIPT (a restart).
 * - No request waits on a dead Redis: state.redis.timeout bounds each turn's replies through one
 *   shared timer (deadlines.ts; a timer per command would cost as much as the command); an
 *   admission answered too late is given back, and the slots of one never answered (its
 *   connection dropped) are released once Redis answers again. Once connected, no offline queue
 *   and no retries of a request across reconnects: while the client reconnects (an idle
 *   connection closed), a turn waits for the new connection within its deadline, and a lost
 *   connection is an outage only if it is not back within the timeout (then turns fail at once
 *   until it is); a connection that answers nothing for several timeouts is dropped
 *   (dropIfStalled). Before the FIRST
 *   connection, calls queue (still bounded by the timeout), so a worker's first requests are
 *   counted rather than degraded. Failures follow state.on_error; one log line per
 *   healthy/unhealthy transition (per gateway: under a supervisor, which logs it, this worker's
 *   own line is debug); ioredis reconnects by itself (retryStrategy) and the next success or
 *   'ready' is the recovery.
 * - A complete answer that stored a cache entry or settled a limited request is written right
 *   after its turn's pipeline (cacheSetBeforeSend, sendAfterQueued): the SET and the settle are on
 *   the wire to Redis before the answer is on its way to the caller, so the caller's next request,
 *   on any host, finds the entry and the free slot. (Before the first connection the answer does
 *   not wait: the pipeline waits in the offline queue.) A NOSCRIPT reply (script cache flushed) is
 *   retried by ioredis outside the pipeline, after it: stricter for that moment, never looser.
 * - Concurrency slots are leases (LEASE_MS), renewed while the request runs: a host that dies
 *   holding slots frees them when the leases expire.
 * - ioredis is loaded on first use: backend `local` workers never pay for it.
 */
import { randomBytes } from 'node:crypto';
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
import { sendAll, sendAtTurnEnd } from '../http/turn-end.js';
import type { Logger } from '../log.js';
import { DeadlineError, Deadlines } from './deadlines.js';
import { HealthTracker, type HealthChange, type HealthStatus } from './health.js';
import { planAdmit, type QueuedSettle, type RedisTicket } from './redis-admit.js';
import { RedisKeys } from './redis-keys.js';
import { createRedisClient, type ScriptedRedis } from './redis-connect.js';
import { RedisTurn, clusterPipeline, type ClusterCommands, type TurnPipeline, type WaitingAdmit } from './redis-turn.js';
import type { StateBackend } from './types.js';

/** A concurrency slot lives this long unless renewed; renewed every third of it. */
export const LEASE_MS = 30_000;

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
  /** The rpm / tpm window; LIMIT_WINDOW_MS (a minute) unless a test needs it short. */
  windowMs?: number;
  /** `url` is a seed node of a Redis Cluster (state.redis.cluster). */
  cluster?: boolean;
  /** The prefix of this worker's slot members (its supervisor knows it); random by default. */
  instance?: string;
}

/** A connection silent this many timeouts (at least STALL_MIN_MS) while calls wait is dropped. */
const STALL_TIMEOUTS = 4;
/** Slot releases kept across an outage, at most (beyond: their leases expire them). */
const MAX_UNRELEASED = 10_000;
const STALL_MIN_MS = 1_000;

export class RedisStateBackend implements StateBackend {
  readonly kind = 'redis' as const;
  private readonly keys: RedisKeys;
  private readonly health: HealthTracker;
  private readonly client: Promise<ScriptedRedis>;
  private redis: ScriptedRedis | null = null;
  private readonly tickets = new Map<string, RedisTicket>();
  private readonly renewTimer: NodeJS.Timeout;
  /** Slot releases that may not have reached Redis (keepReleases). */
  private unreleased: QueuedSettle[] = [];
  /** Request ids: unique across hosts and processes without coordination. */
  private readonly instance: string;
  private seq = 0;
  private closed = false;
  private readonly leaseMs: number;
  private readonly deadlines: Deadlines;
  private turn = new RedisTurn();
  /** When Redis last answered an awaited call (in time or late): what tells a dead connection from a slow one. */
  private lastAnswerAt = performance.now();
  /** How many times the client became ready: which connection a turn went out on. */
  private connections = 0;
  /** Standalone: resolves when a reconnecting client is ready again, or after the timeout. */
  private reconnected: Promise<void> | null = null;
  /** A lost connection counts as an outage only if it is not back within the timeout. */
  private closeGrace: NodeJS.Timeout | null = null;
  /** The connection was lost and not back within the timeout (closeGrace ran out): an outage, not a reconnect. */
  private connectionLost = false;
  private scheduled = false;
  private readonly flushTurn = (): void => this.flush();
  private readonly failedAdmission = (): Admission => (this.options.onError === 'open' ? unlimitedAdmission(true) : unavailableAdmission());
  private readonly keepTicket = (admit: WaitingAdmit, admission: Admission): void => {
    if (admission.ticket) this.tickets.set(admission.ticket, admit.plan.ticket);
  };
  /** A late admission: admitted (on_error open) its estimate stays counted; refused (closed) nothing does. */
  private readonly giveBack = (admit: WaitingAdmit, admission: Admission): void => {
    if (!admission.ticket) return;
    this.tickets.set(admission.ticket, admit.plan.ticket);
    this.settle(admission.ticket, this.options.onError === 'open' ? admit.reserve : 0);
  };

  constructor(private readonly options: RedisBackendOptions) {
    this.instance = `${options.instance ?? randomBytes(6).toString('hex')}.`;
    this.deadlines = new Deadlines(options.timeoutMs);
    this.keys = new RedisKeys(options.prefix);
    this.leaseMs = options.leaseMs ?? LEASE_MS;
    this.health = new HealthTracker({ backend: 'redis', onError: options.onError, logger: options.logger, onChange: options.onHealthChange, supervisorLogs: options.supervisorLogs });
    this.client = this.connect();
    this.client.catch(() => {}); // a load failure is reported by each turn
    this.renewTimer = setInterval(() => this.renewLeases(), this.leaseMs / 3);
    this.renewTimer.unref();
  }

  admit(scopes: LimitScope[], reserveTokens: number): Promise<Admission> {
    if (this.closed || !hasLimits(scopes)) return Promise.resolve(unlimitedAdmission());
    const reserve = sanitizeTokens(reserveTokens);
    const plan = planAdmit(normalizeScopes(scopes), this.keys, reserve);
    const member = `${this.instance}${(++this.seq).toString(36)}`;
    return new Promise((resolve) => this.queue().admits.push({ plan, member, reserve, resolve }));
  }

  settle(ticket: string, actualTokens: number): void {
    const record = this.tickets.get(ticket);
    if (!record) return;
    this.tickets.delete(ticket);
    this.queue().settles.push({ member: ticket, ticket: record, tokens: sanitizeTokens(actualTokens) });
  }

  cacheGet(key: string): Promise<Buffer | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.queue().gets.push({ key: this.keys.cache(key), resolve }));
  }

  cacheSet(key: string, value: Buffer, ttlMs: number): void {
    if (this.closed || !(ttlMs > 0)) return;
    this.queue().sets.push({ key: this.keys.cache(key), value, ttlMs });
  }

  /** Entries end by their TTL here; Redis's own eviction (maxmemory) is its business. */
  cacheTouch(): void {}

  cacheSetBeforeSend(key: string, value: Buffer, ttlMs: number, send: () => void): void {
    this.cacheSet(key, value, ttlMs);
    this.sendAfterQueued(send);
  }

  sendAfterQueued(send: () => void): void {
    if (this.turn.empty) sendAtTurnEnd(send);
    else this.turn.sends.push(send);
  }

  /** This turn's queue, its flush scheduled. */
  private queue(): RedisTurn {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushTurn);
    }
    return this.turn;
  }

  /** Writes the turn's pipeline, then the answers held for it (whatever happened to the write). */
  private flush(): void {
    this.scheduled = false;
    const turn = this.turn;
    this.turn = new RedisTurn();
    try {
      // After close() (which flushed what was queued before it) only settles and writes can be
      // queued (admits and reads answer at once): there is no connection for them.
      if (turn.empty || this.closed) return;
      if (this.redis) this.writeOrFail(this.redis, turn);
      else
        this.client.then(
          (redis) => this.writeOrFail(redis, turn),
          (err: unknown) => {
            this.fail(err);
            turn.fail(this.failedAdmission);
          },
        );
    } finally {
      // The answers are taken off the turn: it lives on until Redis replies, they must not (each
      // holds its whole request, which would outlive young-generation GCs and be promoted).
      const sends = turn.sends;
      turn.sends = [];
      // On a cluster the cache commands leave in the client's per-node auto-pipelines, at the next
      // setImmediate: the held answers go right after those.
      if (this.options.cluster && sends.length > 0) setImmediate(sendAll, sends);
      else sendAll(sends);
    }
  }

  /** write(), and if the client throws instead (it should not), the turn's callers still get their answer. */
  private writeOrFail(redis: ScriptedRedis, turn: RedisTurn): void {
    try {
      this.write(redis, turn);
    } catch (err) {
      this.fail(err);
      turn.fail(this.failedAdmission);
    }
  }

  private write(redis: ScriptedRedis, turn: RedisTurn): void {
    // The connection lost and not back within the timeout (Redis down, a refused password): the
    // turn fails at once, as state.on_error says, instead of each turn waiting out the timeout for
    // a connection that is not coming. A reset that is back at once (a proxy's idle reset) is no
    // such outage: its turns wait (whenReconnected). The next 'ready' ends it.
    if (!this.options.cluster && this.connectionLost && redis.status !== 'ready') {
      const settles = turn.settles;
      turn.fail(this.failedAdmission);
      this.keepReleases(settles);
      return;
    }
    // A cluster client takes a pipeline of one slot only: there, the limits ({limits}) are one
    // pipeline and the cache commands go to their own nodes (auto-pipelined per node).
    const pipeline = this.options.cluster ? clusterPipeline(redis as unknown as ClusterCommands) : (redis.pipeline() as unknown as TurnPipeline);
    const settles = turn.settles; // queueOn takes them off the turn
    turn.queueOn(pipeline, { window: this.options.windowMs ?? LIMIT_WINDOW_MS, lease: this.leaseMs, concurrencyRetry: CONCURRENCY_RETRY_MS });
    // exec() resolves with a [error, reply] pair per command; it rejects only if nothing was sent.
    const connection = this.connections;
    const reconnecting = this.whenReconnected(redis);
    const replies = (reconnecting === null ? pipeline.exec() : reconnecting.then(() => pipeline.exec())).then((results) => results ?? []);
    const delivered = (results: Array<[Error | null, unknown]>): void => {
      this.lastAnswerAt = performance.now();
      const error = turn.deliver(results, this.failedAdmission, this.keepTicket);
      if (error) {
        this.failOn(connection, error);
        // An error reply is Redis's own answer (it ran the turn, the releases reached it); any
        // other error is the connection's (commands failed as it closed).
        if ((error as { name?: unknown }).name !== 'ReplyError') this.keepReleases(settles);
      } else {
        this.health.up();
        this.resendReleases();
      }
    };
    const failed = (err: unknown): void => {
      this.failOn(connection, err);
      if (err instanceof DeadlineError) this.dropIfStalled();
      // Redis may still run what was written (a frozen server thaws and runs what its dropped
      // connection had buffered): the slots these admissions may take are released once it
      // answers again, or they would refuse the key's requests until their leases end. A reply
      // that does come late gives them back itself (deliverLate); releasing twice is harmless.
      for (const admit of turn.admits) this.keepRelease(admit.member, admit.plan.ticket);
      turn.fail(this.failedAdmission);
      this.keepReleases(settles);
    };
    // Only settles and writes (fire-and-forget): no deadline. Lost settles leave their tpm
    // estimates counted (a token delta applied twice would be worse); their slots are released
    // again once Redis answers (keepReleases); a lost write costs a miss.
    if (!turn.awaited) replies.then(delivered, failed);
    else
      this.deadlines
        .bound(replies, (late) => {
          this.lastAnswerAt = performance.now();
          turn.deliverLate(late, this.giveBack);
        })
        .then(delivered, failed);
  }

  /** Nothing to give back: every admission is counted in Redis itself. */
  retire(): void {}

  /** Connected, or given up after a few timeouts' worth of waiting (calls then follow on_error). */
  async ready(): Promise<void> {
    let redis: ScriptedRedis;
    try {
      redis = await this.client;
    } catch {
      return;
    }
    if (redis.status === 'ready') return;
    const waitMs = Math.max(1_000, 4 * this.options.timeoutMs);
    await readyOrAfter(redis, waitMs);
    // Not connected and no error yet (a host that drops the SYN): an outage all the same, reported
    // now, so the worker starts with it known (start's warning, /health/ready), not at the first call.
    // (status is re-read: the narrowing above predates the wait)
    const status: string = redis.status;
    if (status !== 'ready' && !this.closed && this.health.status().healthy) this.fail(new Error(`no connection to redis within ${waitMs} ms (${status})`));
  }

  status(): HealthStatus {
    return this.health.status();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush(); // the last settles, writes and held answers go out
    this.closed = true;
    clearInterval(this.renewTimer);
    if (this.closeGrace !== null) clearTimeout(this.closeGrace);
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

  /**
   * A call missed its deadline and nothing at all has come back for STALL_TIMEOUTS timeouts: the
   * connection is dead without being closed (a host gone, a partition, a middlebox that keeps it
   * open), and TCP would take many minutes to notice. It is dropped, so ioredis reconnects. A slow
   * but live Redis answers late and is left alone.
   */
  private dropIfStalled(): void {
    const redis = this.redis;
    const now = performance.now();
    const silentMs = now - this.lastAnswerAt;
    if (redis === null || this.closed || silentMs < Math.max(STALL_MIN_MS, STALL_TIMEOUTS * this.options.timeoutMs)) return;
    this.lastAnswerAt = now; // one reconnect per stall period, not one per missed call
    this.options.logger.warn({ backend: 'redis', silentMs: Math.round(silentMs) }, 'redis connection answers nothing; reconnecting');
    redis.disconnect(true);
  }

  /**
   * Standalone: a turn written while the client reconnects (Redis closed an idle connection, a load
   * balancer reset it) waits for the new connection instead of failing at once. The turn's deadline
   * runs meanwhile, so nothing waits past the timeout, and waiting turns are bounded by it. A
   * Cluster client sends its cache commands before exec(): it is not held back.
   */
  private whenReconnected(redis: ScriptedRedis): Promise<void> | null {
    if (this.options.cluster || redis.status === 'ready' || redis.status === 'end' || redis.status === 'wait') return null;
    this.reconnected ??= readyOrAfter(redis, this.options.timeoutMs).then(() => {
      this.reconnected = null;
    });
    return this.reconnected;
  }

  /**
   * A turn failed. One sent before the latest 'ready' went to a connection that is gone while a
   * new one is up: its callers follow state.on_error, but it is no outage (it would log a
   * recovered outage that never was).
   */
  private failOn(connection: number, err: unknown): void {
    if (connection === this.connections) this.fail(err);
  }

  /** A failed call or connection; calls cut short by close() are not an outage. */
  private fail(err: unknown): void {
    if (!this.closed) this.health.down(describe(err));
  }

  private async connect(): Promise<ScriptedRedis> {
    const redis = await createRedisClient(this.options);
    redis.on('ready', () => {
      this.connections++;
      if (this.closeGrace !== null) clearTimeout(this.closeGrace);
      this.closeGrace = null;
      this.connectionLost = false;
      redis.options.enableOfflineQueue = false; // ioredis reads it per command
      this.health.up();
      this.resendReleases();
    });
    // Listening to 'error' also keeps ioredis from printing "Unhandled error event".
    redis.on('error', (err: Error) => this.fail(err));
    // A harmless reconnect (an idle connection closed by Redis or a load balancer) is not an
    // outage: it is one only if the client is not ready again within the timeout. Failed calls
    // and connection errors still count at once.
    redis.on('close', () => {
      if (this.closed || this.closeGrace !== null) return;
      this.closeGrace = setTimeout(() => {
        this.closeGrace = null;
        if (redis.status === 'ready') return;
        this.connectionLost = true;
        this.fail(new Error('connection to redis closed'));
      }, this.options.timeoutMs);
      this.closeGrace.unref();
    });
    this.redis = redis;
    return redis;
  }

  releaseInstance(instance: string, scopes: readonly string[]): void {
    if (this.closed || scopes.length === 0 || `${instance}.` === this.instance) return;
    const keys = scopes.map((scope) => this.keys.concurrency(scope));
    // A replacement worker may get this before its first connection: the call waits for it.
    this.client.then((redis) => redis.gwRelease(keys.length, ...keys, `${instance}.`)).then(
      (released) => {
        if (released > 0) this.options.logger.info({ backend: 'redis', released }, 'released the concurrency slots of a dead worker');
      },
      (err: unknown) => this.options.logger.warn({ backend: 'redis', err: describe(err) }, 'could not release the concurrency slots of a dead worker; they expire with their leases'),
    );
  }

  /**
   * The slots of settles that may not have reached Redis, to release again: otherwise a short
   * outage as requests end would keep their slots taken until the leases expire (30 s), refusing
   * the key's requests on every host meanwhile. Only the slots: a release is idempotent (ZREM),
   * a token delta is not.
   */
  private keepReleases(settles: readonly QueuedSettle[]): void {
    for (const settle of settles) this.keepRelease(settle.member, settle.ticket);
  }

  private keepRelease(member: string, ticket: RedisTicket): void {
    if (ticket.slots.length === 0 || this.unreleased.length >= MAX_UNRELEASED) return;
    this.unreleased.push({ member, ticket: { tpmLogs: [], slots: ticket.slots, bucket: ticket.bucket, reserved: 0 }, tokens: 0 });
  }

  /** Redis answered: the slots kept by keepReleases go with the next turn. */
  private resendReleases(): void {
    if (this.unreleased.length === 0 || this.closed) return;
    const releases = this.unreleased;
    this.unreleased = [];
    this.queue().settles.push(...releases);
  }

  /** Extends the leases of this process's requests still in flight, one script call per zset. */
  private renewLeases(): void {
    const redis = this.redis;
    if (!redis || this.closed) return;
    // No traffic to carry them: the timer tries again (a dead Redis fails them back to the list).
    this.resendReleases();
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

/** Resolves when the connection next reports 'ready', or after `ms`, whichever comes first. */
function readyOrAfter(redis: ScriptedRedis, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
  });
}
