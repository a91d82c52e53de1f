/**
 * The requests still in progress, as an intrusive doubly-linked list through the exchanges
 * themselves. A Set would do, but its hash table is reallocated as the count moves up and down;
 * a table that had lived long enough to be promoted stays in the old generation after it is
 * replaced, still pointing at the exchanges it held, and every scavenge until the next full GC
 * then keeps those (and all they reference) alive and promotes them: whole requests, measured.
 * Unlinking clears both links, so a finished exchange points at no other.
 */
export interface PendingLinks<T> {
  pendingPrev: T | null;
  pendingNext: T | null;
}

export class PendingList<T extends PendingLinks<T>> {
  private head: T | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(item: T): void {
    item.pendingPrev = null;
    item.pendingNext = this.head;
    if (this.head !== null) this.head.pendingPrev = item;
    this.head = item;
    this.count++;
  }

  /** `item` must be in this list. */
  delete(item: T): void {
    const { pendingPrev: prev, pendingNext: next } = item;
    if (prev !== null) prev.pendingNext = next;
    else this.head = next;
    if (next !== null) next.pendingPrev = prev;
    item.pendingPrev = null;
    item.pendingNext = null;
    this.count--;
  }

  /** A copy: what the caller does to the items may unlink them. */
  toArray(): T[] {
    const items: T[] = [];
    for (let item = this.head; item !== null; item = item.pendingNext) items.push(item);
    return items;
  }
}
