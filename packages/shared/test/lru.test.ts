/** LinkedLru: recency order, eviction, slot reuse and deletion while iterating. */
import t from 'tap';
import { LinkedLru } from '@gatewayd/shared/lru';

const keysOf = <K, V>(lru: LinkedLru<K, V>): K[] => [...lru.entries()].map(([key]) => key);

t.test('get touches, peek does not; the least recently used goes first', async (t) => {
  const lru = new LinkedLru<string, number>(3);
  lru.set('a', 1);
  lru.set('b', 2);
  lru.set('c', 3);
  t.same(keysOf(lru), ['a', 'b', 'c'], 'oldest first');
  t.equal(lru.get('a'), 1);
  t.same(keysOf(lru), ['b', 'c', 'a'], 'a became the most recent');
  t.equal(lru.peek('b'), 2);
  t.equal(lru.oldestKey(), 'b', 'peek kept b the oldest');
  lru.set('d', 4);
  t.equal(lru.has('b'), false, 'b evicted');
  t.same(keysOf(lru), ['c', 'a', 'd']);
  lru.set('c', 30);
  t.same(keysOf(lru), ['a', 'd', 'c'], 'overwriting touches');
  t.equal(lru.get('c'), 30);
  t.equal(lru.size, 3);
});

t.test('delete unlinks at the head, the tail and the middle; slots are reused', async (t) => {
  const lru = new LinkedLru<number, string>(5);
  for (let i = 0; i < 5; i++) lru.set(i, `v${i}`);
  t.equal(lru.delete(0), true, 'oldest');
  t.equal(lru.delete(4), true, 'newest');
  t.equal(lru.delete(2), true, 'middle');
  t.equal(lru.delete(2), false, 'already gone');
  t.same(keysOf(lru), [1, 3]);
  for (let i = 10; i < 13; i++) lru.set(i, `v${i}`);
  t.same(keysOf(lru), [1, 3, 10, 11, 12]);
  t.same([...lru.entries()].map(([, v]) => v), ['v1', 'v3', 'v10', 'v11', 'v12'], 'values follow their keys into reused slots');
  lru.set(13, 'v13');
  t.same(keysOf(lru), [3, 10, 11, 12, 13]);
});

t.test('a long run of evictions keeps exactly the newest entries', async (t) => {
  const lru = new LinkedLru<number, number>(100);
  for (let i = 0; i < 10_000; i++) {
    lru.set(i, i * 2);
    if (i % 7 === 0) lru.get(i - 50); // touch an older one now and then
  }
  t.equal(lru.size, 100);
  const keys = keysOf(lru);
  t.equal(new Set(keys).size, 100, 'no key twice in the order');
  for (const key of keys) t.equal(lru.peek(key), key * 2);
  t.equal(keys.at(-1), 9999, 'the last set is the newest');
});

t.test('entries() allows deleting the visited key; resize and clear', async (t) => {
  const lru = new LinkedLru<string, number>(10);
  for (const [i, key] of ['a', 'b', 'c', 'd', 'e'].entries()) lru.set(key, i);
  for (const [key, value] of lru.entries()) if (value % 2 === 0) lru.delete(key);
  t.same(keysOf(lru), ['b', 'd']);
  lru.set('f', 5);
  lru.resize(2);
  t.same(keysOf(lru), ['d', 'f'], 'shrinking evicts the least recently used');
  lru.set('g', 6);
  t.same(keysOf(lru), ['f', 'g'], 'the new capacity holds');
  lru.clear();
  t.equal(lru.size, 0);
  t.equal(lru.oldestKey(), undefined);
  lru.set('h', 7);
  t.same(keysOf(lru), ['h'], 'usable after clear');
  t.throws(() => new LinkedLru(0), RangeError);
});
