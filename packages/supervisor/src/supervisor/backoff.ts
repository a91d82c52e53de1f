/** Restart policy knobs, straight from config.supervisor (milliseconds). */
export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
  crashLoopWindowMs: number;
  crashLoopMaxRestarts: number;
}

export interface RestartDecision {
  delayMs: number;
  /** True only for the crash that tips the pool into a crash loop, so the error is logged once. */
  crashLoopStarted: boolean;
  inCrashLoop: boolean;
}

/** A worker that stayed up this long was healthy: its slot's backoff starts over. */
export const STABLE_UPTIME_MS = 10_000;

/**
 * Exponential backoff per worker slot (initial, doubling, capped at max; reset after a stable run)
 * plus pool-wide crash-loop protection: more than crashLoopMaxRestarts crashes within the window
 * and every restart waits the maximum backoff until the rate falls again.
 */
export class RestartBackoff {
  private readonly attempts = new Map<number, number>();
  private crashTimes: number[] = [];
  private crashLoop = false;

  constructor(private settings: BackoffSettings) {}

  configure(settings: BackoffSettings): void {
    this.settings = settings;
  }

  next(slot: number, uptimeMs: number, now = Date.now()): RestartDecision {
    const { initialMs, maxMs, crashLoopMaxRestarts } = this.settings;
    const attempt = uptimeMs >= STABLE_UPTIME_MS ? 0 : (this.attempts.get(slot) ?? 0);
    this.attempts.set(slot, attempt + 1);

    this.crashTimes = this.recentCrashes(now);
    this.crashTimes.push(now);
    const looping = this.crashTimes.length > crashLoopMaxRestarts;
    const crashLoopStarted = looping && !this.crashLoop;
    this.crashLoop = looping;

    const exponential = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
    return { delayMs: looping ? maxMs : exponential, crashLoopStarted, inCrashLoop: looping };
  }

  /** Whether crashes within the window still exceed the maximum (for `status`): false once the rate falls. */
  crashLoopActive(now = Date.now()): boolean {
    return this.recentCrashes(now).length > this.settings.crashLoopMaxRestarts;
  }

  private recentCrashes(now: number): number[] {
    return this.crashTimes.filter((at) => now - at < this.settings.crashLoopWindowMs);
  }

  /** Forget a slot (its generation was replaced by a reload). */
  reset(): void {
    this.attempts.clear();
  }
}
