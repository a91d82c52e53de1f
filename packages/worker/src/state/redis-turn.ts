/**
 * One event-loop turn of backend `redis`: everything the turn's requests asked of Redis (settles,
 * admits, cache reads and writes), written as ONE pipeline at the end of the turn. On this
 * machine kind a socket write costs about as much as the rest of a request's Redis work, so the
 * turn pays for one write and one read, whatever it holds.
 *
 * Pipeline order: the limit script calls (settles before admits, at most MAX_BATCH ops per call,
 * so that no call holds Redis for long), then the cache reads, then the cache writes. On one
 * server the reads are one MGET and the writes one script call (SET_MANY_LUA) when there are
 * several: fewer ioredis commands per turn. On a cluster each key goes to its own node.
 */
import type { Admission } from '@gatewayd/shared/state';
import { admissionsOf, encodeBatch, type QueuedAdmit, type QueuedSettle } from './redis-admit.js';

/** Settles and admits per script call. */
export const MAX_BATCH = 256;

export interface WaitingAdmit extends QueuedAdmit {
  resolve: (admission: Admission) => void;
}

export interface WaitingGet {
  key: string;
  resolve: (value: Buffer | null) => void;
}

export interface QueuedSet {
  key: string;
  value: Buffer;
  ttlMs: number;
}

type Reply = [Error | null, unknown];

/**
 * The commands of an ioredis pipeline a turn uses (the gw* scripts are defined on the client by
 * defineCommand). The multi-key ones exist only where one command may hold keys of any slot (one
 * server); without them each cache key is a command of its own.
 */
export interface TurnPipeline {
  gwBatch(...args: Array<string | number>): TurnPipeline;
  gwSetMany?(...args: Array<string | number | Buffer>): TurnPipeline;
  getBuffer(key: string): TurnPipeline;
  mgetBuffer?(...keys: string[]): TurnPipeline;
  set(key: string, value: Buffer, px: 'PX', ttlMs: number): TurnPipeline;
  exec(): Promise<Reply[] | null>;
}

const NO_REPLY: Reply = [new Error('no reply'), null];
const UNEXPECTED_REPLY = 'redis answered with a reply of an unexpected shape';

/** A cache read's value: bytes or nothing (anything else is not an entry of ours). */
function entryOf(value: unknown): Buffer | null {
  return Buffer.isBuffer(value) ? value : null;
}

/** What clusterPipeline() needs of an ioredis Cluster (with gwBatch defined on it). */
export interface ClusterCommands {
  pipeline(): unknown;
  getBuffer(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer, px: 'PX', ttlMs: number): Promise<unknown>;
}

/**
 * A turn's pipeline on a Redis Cluster, where one pipeline may only hold keys of one slot: the
 * limit script calls (all on the {limits} slot) are one pipeline, each cache command goes to its
 * own node through the cluster client's auto-pipeline. exec() gives the replies in queue order.
 */
export function clusterPipeline(cluster: ClusterCommands): TurnPipeline {
  const limits = cluster.pipeline() as TurnPipeline;
  let limitCalls = 0;
  const others: Array<Promise<Reply>> = [];
  const settled = (command: Promise<unknown>): Promise<Reply> =>
    command.then(
      (value): Reply => [null, value],
      (err: unknown): Reply => [err instanceof Error ? err : new Error(String(err)), null],
    );
  const sink: TurnPipeline = {
    gwBatch(...args) {
      limits.gwBatch(...args);
      limitCalls++;
      return sink;
    },
    getBuffer(key) {
      others.push(settled(cluster.getBuffer(key)));
      return sink;
    },
    set(key, value, px, ttlMs) {
      others.push(settled(cluster.set(key, value, px, ttlMs)));
      return sink;
    },
    async exec() {
      const calls = limitCalls > 0 ? ((await limits.exec()) ?? []) : [];
      return [...calls, ...(await Promise.all(others))];
    },
  };
  return sink;
}

export class RedisTurn {
  settles: QueuedSettle[] = [];
  admits: WaitingAdmit[] = [];
  gets: WaitingGet[] = [];
  sets: QueuedSet[] = [];
  /** Answers to write right after this turn's commands (read-your-writes, settled slots). */
  sends: Array<() => void> = [];
  /** The admits of each script call, in pipeline order; filled by queueOn(). */
  private calls: WaitingAdmit[][] = [];
  /** The reads went as one MGET, the writes as one script call (queueOn). */
  private readsInOne = false;
  private writesInOne = false;
  /** Replies the writes get (queueOn): the written values themselves are not kept. */
  private writeReplies = 0;

  get empty(): boolean {
    return this.settles.length === 0 && this.admits.length === 0 && this.gets.length === 0 && this.sets.length === 0;
  }

  /** Someone waits on a reply (an admit or a read), so the pipeline's replies need a deadline. */
  get awaited(): boolean {
    return this.admits.length > 0 || this.gets.length > 0;
  }

  queueOn(pipeline: TurnPipeline, timing: { window: number; lease: number; concurrencyRetry: number }): void {
    const { settles, admits } = this;
    for (let s = 0, a = 0; s < settles.length || a < admits.length; ) {
      const settleCount = Math.min(settles.length - s, MAX_BATCH);
      const admitCount = Math.min(admits.length - a, MAX_BATCH - settleCount);
      const callAdmits = admits.slice(a, (a += admitCount));
      const batch = encodeBatch(settles.slice(s, (s += settleCount)), callAdmits, timing);
      pipeline.gwBatch(batch.keys.length, ...batch.keys, ...batch.args);
      this.calls.push(callAdmits);
    }
    const { gets, sets } = this;
    this.readsInOne = pipeline.mgetBuffer !== undefined && gets.length > 1;
    if (this.readsInOne) pipeline.mgetBuffer?.(...gets.map((get) => get.key));
    else for (const get of gets) pipeline.getBuffer(get.key);
    this.writesInOne = pipeline.gwSetMany !== undefined && sets.length > 1;
    if (this.writesInOne) pipeline.gwSetMany?.(sets.length, ...sets.map((set) => set.key), ...sets.map((set) => set.value), ...sets.map((set) => Math.ceil(set.ttlMs)));
    else for (const set of sets) pipeline.set(set.key, set.value, 'PX', Math.ceil(set.ttlMs));
    this.writeReplies = this.writesInOne ? 1 : sets.length;
    // The turn lives until Redis answers (its admits and reads wait on it): what is written already
    // must not (settles, cached answers), so that answered requests are not kept alive meanwhile.
    this.settles = [];
    this.sets = [];
  }

  /**
   * Hands each admit and read its reply. `granted` learns every admission (to keep its ticket);
   * the first error is returned (the rest of the turn is still delivered).
   */
  deliver(results: Reply[], failed: () => Admission, granted: (admit: WaitingAdmit, admission: Admission) => void): Error | null {
    let error: Error | null = null;
    let at = 0;
    const next = (): Reply => results[at++] ?? NO_REPLY;
    for (const call of this.calls) {
      const [err, reply] = next();
      const admissions = err ? null : admissionsOf(reply, call);
      if (admissions === null) {
        error ??= err ?? new Error(UNEXPECTED_REPLY);
        for (const admit of call) admit.resolve(failed());
        continue;
      }
      admissions.forEach((admission, i) => {
        const admit = call[i] as WaitingAdmit;
        granted(admit, admission);
        admit.resolve(admission);
      });
    }
    if (this.readsInOne) {
      const [err, values] = next();
      const read = err === null && Array.isArray(values);
      if (!read) error ??= err ?? new Error(UNEXPECTED_REPLY);
      this.gets.forEach((get, i) => get.resolve(read ? entryOf(values[i]) : null));
    } else {
      for (const get of this.gets) {
        const [err, value] = next();
        if (err) error ??= err;
        get.resolve(err ? null : entryOf(value));
      }
    }
    for (let i = 0; i < this.writeReplies; i++) error ??= next()[0];
    // Answered: nothing late can follow (deliverLate comes only after a deadline, never after this).
    // A dead object that still points at this turn must not keep its requests alive.
    this.admits = [];
    this.gets = [];
    this.calls = [];
    return error;
  }

  /** The turn's replies came after its deadline: what was granted meanwhile goes to `late`. */
  deliverLate(results: Reply[], late: (admit: WaitingAdmit, admission: Admission) => void): void {
    this.calls.forEach((call, i) => {
      const [err, reply] = results[i] ?? NO_REPLY;
      (err ? null : admissionsOf(reply, call))?.forEach((admission, j) => late(call[j] as WaitingAdmit, admission));
    });
  }

  /** Nothing reached Redis (or no reply in time): every admit and read follows on_error. */
  fail(failed: () => Admission): void {
    for (const admit of this.admits) admit.resolve(failed());
    for (const get of this.gets) get.resolve(null);
  }
}
