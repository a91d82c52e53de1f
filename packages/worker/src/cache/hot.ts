/**
 * This worker's copies of cache entries it found in the shared store: a hit on an entry read
 * before is answered here, without a round trip to the supervisor or Redis (at concurrency 1 on
 * the 2-core VM that round trip made a local hit slower than the upstream call it saves).
 *
 * Entries are immutable per key and carry their expiry (entry.ts), so a copy is never staler than
 * the shared entry: it is dropped at the same instant. Only entries read from the store are kept
 * (a second use of an answer predicts a third), not every answer stored, so a workload of misses
 * costs nothing here. Bounded by entries and bytes, least recently used out first; an entry
 * larger than HOT_MAX_ENTRY_BYTES (or the whole budget) is not kept. An entry answered from here is touched in the
 * store at most every HOT_TOUCH_EVERY_MS, so the store's LRU order still sees it used.
 */
import { LruTtlCache } from '@gatewayd/shared/state';

export const HOT_MAX_ENTRIES = 1_024;
export const HOT_MAX_BYTES = 16 * 1024 * 1024;
export const HOT_MAX_ENTRY_BYTES = 1024 * 1024;
export const HOT_TOUCH_EVERY_MS = 1_000;

interface HotEntry {
  answer: Buffer;
  /** Epoch ms: when the store last heard of a use (read or touch). */
  touchedAt: number;
}

export class HotEntries {
  /** Expiries are epoch ms (entries carry their own, entry.ts): the clock is the caller's `now`. */
  private readonly entries: LruTtlCache<HotEntry>;

  constructor(maxEntries = HOT_MAX_ENTRIES, maxBytes = HOT_MAX_BYTES) {
    this.entries = new LruTtlCache<HotEntry>({ maxEntries, maxBytes, sizeOf: (entry) => entry.answer.length, now: Date.now });
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.entries.totalBytes;
  }

  /**
   * The answer if kept and not expired at `now` (epoch ms). `touch` is called when the store has
   * not heard of a use of it for HOT_TOUCH_EVERY_MS.
   */
  get(key: string, now: number, touch?: (key: string) => void): Buffer | null {
    const entry = this.entries.get(key, now);
    if (entry === undefined) return null;
    if (touch !== undefined && now - entry.touchedAt >= HOT_TOUCH_EVERY_MS) {
      entry.touchedAt = now;
      touch(key);
    }
    return entry.answer;
  }

  /**
   * Keeps a copy of `answer`: the store's buffer may be a view into a larger one (a Redis reply,
   * an IPC read) that the copy must not hold on to.
   */
  add(key: string, answer: Buffer, expiresAt: number, now = 0): void {
    if (answer.length > HOT_MAX_ENTRY_BYTES) return;
    const copy = Buffer.allocUnsafeSlow(answer.length);
    answer.copy(copy);
    this.entries.setUntil(key, { answer: copy, touchedAt: now }, expiresAt);
  }
}
