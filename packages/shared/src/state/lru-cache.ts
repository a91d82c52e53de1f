/**
 * The response cache of backend `local`: least-recently-used eviction beyond `maxEntries` or
 * beyond `maxBytes` (the sum of `sizeOf` over the values), and a TTL per entry (cache.ttl, or what
 * the caller passes). Pure: the clock is injected. The recency order is a LinkedLru (O(1)
 * eviction; see lru.ts for why not a plain Map), one slot larger than used so that every eviction
 * happens here, where its bytes are counted.
 */
import { LinkedLru } from '../lru.js';

interface Entry<V> {
  value: V;
  expiresAt: number;
  size: number;
}

export interface LruTtlCacheOptions<V> {
  maxEntries: number;
  /** Infinity: entries are counted, not weighed. */
  maxBytes?: number;
  sizeOf?: (value: V) => number;
  now?: () => number;
}

export class LruTtlCache<V> {
  private readonly entries: LinkedLru<string, Entry<V>>;
  private maxEntries: number;
  private maxBytes: number;
  private bytes = 0;
  private readonly sizeOf: (value: V) => number;
  private readonly now: () => number;

  constructor(options: LruTtlCacheOptions<V>) {
    this.maxEntries = options.maxEntries;
    this.maxBytes = options.maxBytes ?? Infinity;
    this.sizeOf = options.sizeOf ?? (() => 0);
    this.now = options.now ?? (() => performance.now());
    this.entries = new LinkedLru(this.maxEntries + 1);
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /** A reload may change cache.max_entries and cache.max_bytes: shrinking evicts the least recently used at once. */
  resize(maxEntries: number, maxBytes = this.maxBytes): void {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.evictBeyond(0, 0);
    this.entries.resize(maxEntries + 1);
  }

  /** `now`: the caller's reading of this cache's clock, when it has one at hand. */
  get(key: string, now = this.now()): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** An entry larger than the whole byte budget is not kept (nor is the older value of its key). */
  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs > 0) this.setUntil(key, value, this.now() + ttlMs);
    else this.delete(key);
  }

  /** set() with the expiry as a time on this cache's clock (an entry that carries its own). */
  setUntil(key: string, value: V, expiresAt: number): void {
    this.delete(key);
    const size = this.sizeOf(value);
    if (size > this.maxBytes) return;
    this.evictBeyond(1, size);
    this.entries.set(key, { value, expiresAt, size });
    this.bytes += size;
  }

  /** Drops expired entries (the LRU order is not the expiry order, so this walks everything). */
  purgeExpired(): number {
    const now = this.now();
    let purged = 0;
    for (const [key, entry] of this.entries.entries()) {
      if (entry.expiresAt <= now) {
        this.delete(key);
        purged++;
      }
    }
    return purged;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  /** Evicts the least recently used until `entries` more entries of `bytes` in all would fit. */
  private evictBeyond(entries: number, bytes: number): void {
    while (this.entries.size > 0 && (this.entries.size + entries > this.maxEntries || this.bytes + bytes > this.maxBytes)) {
      this.delete(this.entries.oldestKey() as string);
    }
  }

  private delete(key: string): void {
    const entry = this.entries.peek(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.bytes -= entry.size;
  }
}
