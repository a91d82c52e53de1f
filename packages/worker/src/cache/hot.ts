/**
 * This worker's copies of cache entries it found in the shared store: a hit on an entry read
 * before is answered here, without a round trip to the supervisor or Redis (at concurrency 1 on
 * the 2-core VM that round trip made a local hit slower than the upstream call it saves).
 *
 * Entries are immutable per key and carry their expiry (entry.ts), so a copy is never staler than
 * the shared entry: it is dropped at the same instant. Only entries read from the store are kept
 * (a second use of an answer predicts a third), not every answer stored, so a workload of misses
 * costs nothing here. Bounded by entries and bytes, least recently used out first; an entry
 * larger than HOT_MAX_ENTRY_BYTES is not kept. An entry answered from here is touched in the
 * store at most every HOT_TOUCH_EVERY_MS, so the store's LRU order still sees it used.
 */
import { LinkedLru } from '@gatewayd/shared/lru';

export const HOT_MAX_ENTRIES = 1_024;
export const HOT_MAX_BYTES = 16 * 1024 * 1024;
export const HOT_MAX_ENTRY_BYTES = 1024 * 1024;
export const HOT_TOUCH_EVERY_MS = 1_000;

interface HotEntry {
  answer: Buffer;
  /** Epoch ms. */
  expiresAt: number;
  /** Epoch ms: when the store last heard of a use (read or touch). */
  touchedAt: number;
}

export class HotEntries {
  private readonly entries: LinkedLru<string, HotEntry>;
  private bytes = 0;

  constructor(
    private readonly maxEntries = HOT_MAX_ENTRIES,
    private readonly maxBytes = HOT_MAX_BYTES,
  ) {
    // One more slot than used: evictions happen here, where their bytes are counted, never inside LinkedLru.
    this.entries = new LinkedLru(maxEntries + 1);
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /**
   * The answer if kept and not expired at `now` (epoch ms). `touch` is called when the store has
   * not heard of a use of it for HOT_TOUCH_EVERY_MS.
   */
  get(key: string, now: number, touch?: (key: string) => void): Buffer | null {
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt <= now) {
      this.delete(key);
      return null;
    }
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
    if (answer.length > HOT_MAX_ENTRY_BYTES || answer.length > this.maxBytes) return;
    this.delete(key);
    const copy = Buffer.allocUnsafeSlow(answer.length);
    answer.copy(copy);
    while (this.entries.size > 0 && (this.entries.size >= this.maxEntries || this.bytes + copy.length > this.maxBytes)) {
      this.delete(this.entries.oldestKey() as string);
    }
    this.entries.set(key, { answer: copy, expiresAt, touchedAt: now });
    this.bytes += copy.length;
  }

  private delete(key: string): void {
    const entry = this.entries.peek(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.bytes -= entry.answer.length;
  }
}
