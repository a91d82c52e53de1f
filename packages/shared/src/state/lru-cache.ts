/**
 * The response cache of backend `local`: least-recently-used eviction at `maxEntries`, and a TTL
 * per entry (cache.ttl, or what the caller passes). Pure: the clock is injected.
 * The recency order is a LinkedLru (O(1) eviction; see lru.ts for why not a plain Map).
 */
import { LinkedLru } from '../lru.js';

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export class LruTtlCache<V> {
  private readonly entries: LinkedLru<string, Entry<V>>;

  constructor(
    maxEntries: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.entries = new LinkedLru(maxEntries);
  }

  get size(): number {
    return this.entries.size;
  }

  /** A reload may change cache.max_entries: shrinking evicts the least recently used at once. */
  resize(maxEntries: number): void {
    this.entries.resize(maxEntries);
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (!(ttlMs > 0)) {
      this.entries.delete(key);
      return;
    }
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  /** Drops expired entries (the LRU order is not the expiry order, so this walks everything). */
  purgeExpired(): number {
    const now = this.now();
    let purged = 0;
    for (const [key, entry] of this.entries.entries()) {
      if (entry.expiresAt <= now) {
        this.entries.delete(key);
        purged++;
      }
    }
    return purged;
  }

  clear(): void {
    this.entries.clear();
  }
}
