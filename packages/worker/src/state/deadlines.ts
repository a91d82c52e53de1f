/**
 * A bound on how long awaited Redis calls may take, with ONE timer for all of them. ioredis's
 * `commandTimeout` arms a timer per command, which costs about as much as the command itself on
 * the hot path; here every call has the same timeout, so deadlines come in order and a FIFO with
 * a timer for its head is enough. Fire-and-forget calls (settle, cache writes) need no bound.
 */

export class DeadlineError extends Error {
  constructor(timeoutMs: number) {
    super(`redis did not answer within ${timeoutMs} ms`);
    this.name = 'DeadlineError';
  }
}

interface Entry {
  at: number;
  /** Answered or expired: nothing more to do for it. */
  done: boolean;
  /**
   * Dropped (set to `ignore`) once answered: an entry stays queued until its deadline, and its
   * reject would keep the whole call (a Redis turn: its requests, their answers) alive that long,
   * past young-generation GCs, which then promote it.
   */
  expire: () => void;
}

function ignore(): void {}

/** Compact the FIFO once this many expired/answered entries sit before its head. */
const COMPACT_AT = 1024;

export class Deadlines {
  private queue: Entry[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  /**
   * Timers run before the turn's I/O is read: when the event loop was busy past a deadline, the
   * answer may be waiting in the socket already. It is read first (setImmediate runs after the
   * poll phase), so only a call Redis really did not answer in time fails.
   */
  private readonly onTimer = (): void => void setImmediate(this.onCheck);
  private readonly onCheck = (): void => {
    if (!this.stopped) this.expireDue();
  };
  private stopped = false;

  /** How late past its deadline a call may be failed: a quarter of the timeout, at most 25 ms. */
  private readonly granularityMs: number;

  constructor(private readonly timeoutMs: number) {
    this.granularityMs = Math.min(25, timeoutMs / 4);
  }

  /**
   * `call`, or a DeadlineError after the timeout. A call that answers after its deadline hands
   * its value to `onLate` (e.g. to give back what a late admission reserved).
   */
  bound<T>(call: Promise<T>, onLate?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = {
        at: performance.now() + this.timeoutMs,
        done: false,
        expire: () => reject(new DeadlineError(this.timeoutMs)),
      };
      this.queue.push(entry);
      if (this.timer === null) this.arm(this.timeoutMs);
      call.then(
        (value) => {
          if (entry.done) {
            onLate?.(value);
            return;
          }
          entry.done = true;
          entry.expire = ignore;
          resolve(value);
        },
        (err: unknown) => {
          if (entry.done) return;
          entry.done = true;
          entry.expire = ignore;
          reject(err);
        },
      );
    });
  }

  /** Stops the timer (the backend is closing); pending calls settle on their own. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(delayMs: number): void {
    // Referenced: a call still waiting is a reason to stay up until it has its outcome.
    this.timer = setTimeout(this.onTimer, Math.max(1, Math.ceil(delayMs)));
  }

  private expireDue(): void {
    this.timer = null;
    const now = performance.now();
    const queue = this.queue;
    while (this.head < queue.length) {
      const entry = queue[this.head] as Entry;
      if (!entry.done) {
        if (entry.at > now) break;
        entry.done = true;
        const expire = entry.expire;
        entry.expire = ignore; // compaction may be a while off: the call is not kept till then
        expire();
      }
      this.head++;
    }
    if (this.head >= COMPACT_AT || this.head === queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
    // The next entry decides when to look again (answered ones are skipped then); never sooner
    // than the granularity, so a steady stream of calls costs a few timer runs per second.
    const next = this.queue[this.head];
    if (next !== undefined) this.arm(Math.max(next.at - now, this.granularityMs));
  }
}
