/**
 * A bounded least-recently-used map: O(1) get, set, delete and eviction at any size.
 *
 * Why not a Map alone (delete + re-set to touch, `keys().next()` for the oldest)? V8's ordered
 * hash table leaves deleted slots in place until the table is rebuilt, and the iterator walks
 * past every one of them: with steady eviction from the front, finding the oldest key costs
 * O(entries) (measured: ~6 us per eviction at 10k entries, the bulk of a cache store). Here the
 * recency order is a doubly linked list over index arrays, and the Map only maps a key to its slot.
 */
const NONE = -1;

export class LinkedLru<K, V> {
  private readonly slots = new Map<K, number>();
  private readonly keyAt: (K | undefined)[] = [];
  private readonly valueAt: (V | undefined)[] = [];
  /** Towards the most recent. */
  private readonly newer: number[] = [];
  /** Towards the least recent. */
  private readonly older: number[] = [];
  private readonly freeSlots: number[] = [];
  private newest = NONE;
  private oldest = NONE;

  /** `capacity`: the most entries kept; setting one more evicts the least recently used. */
  constructor(private capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`LinkedLru capacity must be at least 1, got ${capacity}`);
  }

  get size(): number {
    return this.slots.size;
  }

  has(key: K): boolean {
    return this.slots.has(key);
  }

  /** The value, made the most recently used. */
  get(key: K): V | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    this.moveToNewest(slot);
    return this.valueAt[slot];
  }

  /** The value, without changing the order. */
  peek(key: K): V | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.valueAt[slot];
  }

  /** Stores `value` as the most recently used; evicts the least recently used beyond capacity. */
  set(key: K, value: V): void {
    const existing = this.slots.get(key);
    if (existing !== undefined) {
      this.valueAt[existing] = value;
      this.moveToNewest(existing);
      return;
    }
    if (this.slots.size >= this.capacity) this.delete(this.keyAt[this.oldest] as K);
    const slot = this.freeSlots.pop() ?? this.keyAt.length;
    this.keyAt[slot] = key;
    this.valueAt[slot] = value;
    this.slots.set(key, slot);
    this.linkAsNewest(slot);
  }

  delete(key: K): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.slots.delete(key);
    this.unlink(slot);
    // Drop the references so evicted values can be collected.
    this.keyAt[slot] = undefined;
    this.valueAt[slot] = undefined;
    this.freeSlots.push(slot);
    return true;
  }

  /** The least recently used key, if any. */
  oldestKey(): K | undefined {
    return this.oldest === NONE ? undefined : this.keyAt[this.oldest];
  }

  /** A smaller capacity evicts the least recently used at once. */
  resize(capacity: number): void {
    if (!(capacity >= 1)) throw new RangeError(`LinkedLru capacity must be at least 1, got ${capacity}`);
    this.capacity = capacity;
    while (this.slots.size > capacity) this.delete(this.keyAt[this.oldest] as K);
  }

  /** Entries from least to most recently used; deleting the visited key while iterating is allowed. */
  *entries(): IterableIterator<[K, V]> {
    let slot = this.oldest;
    while (slot !== NONE) {
      const next = this.newer[slot] as number;
      yield [this.keyAt[slot] as K, this.valueAt[slot] as V];
      slot = next;
    }
  }

  clear(): void {
    this.slots.clear();
    this.keyAt.length = 0;
    this.valueAt.length = 0;
    this.newer.length = 0;
    this.older.length = 0;
    this.freeSlots.length = 0;
    this.newest = this.oldest = NONE;
  }

  private moveToNewest(slot: number): void {
    if (slot === this.newest) return;
    this.unlink(slot);
    this.linkAsNewest(slot);
  }

  private linkAsNewest(slot: number): void {
    this.older[slot] = this.newest;
    this.newer[slot] = NONE;
    if (this.newest !== NONE) this.newer[this.newest] = slot;
    this.newest = slot;
    if (this.oldest === NONE) this.oldest = slot;
  }

  private unlink(slot: number): void {
    const newer = this.newer[slot] as number;
    const older = this.older[slot] as number;
    if (newer !== NONE) this.older[newer] = older;
    else this.newest = older;
    if (older !== NONE) this.newer[older] = newer;
    else this.oldest = newer;
  }
}
