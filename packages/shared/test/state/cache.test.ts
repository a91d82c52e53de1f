/** The local response cache: TTL, LRU eviction at max_entries, and the batch protocol. */
import t from 'tap';
import { LruTtlCache, StateCore } from '@gatewayd/shared/state';

t.test('entries expire after their ttl', async (t) => {
  let now = 0;
  const cache = new LruTtlCache<string>({ maxEntries: 10, now: () => now });
  cache.set('a', 'A', 100);
  t.equal(cache.get('a'), 'A');
  now = 99;
  t.equal(cache.get('a'), 'A');
  now = 100;
  t.equal(cache.get('a'), undefined, 'gone at its expiry');
  t.equal(cache.size, 0, 'and dropped');
  cache.set('b', 'B', 0);
  t.equal(cache.get('b'), undefined, 'ttl 0 stores nothing');
  cache.set('c', 'C', 50);
  cache.set('d', 'D', 500);
  now = 200;
  t.equal(cache.purgeExpired(), 1);
  t.equal(cache.size, 1);
});

t.test('the least recently used entry is evicted at max_entries', async (t) => {
  const cache = new LruTtlCache<string>({ maxEntries: 3, now: () => 0 });
  cache.set('a', 'A', 1000);
  cache.set('b', 'B', 1000);
  cache.set('c', 'C', 1000);
  t.equal(cache.get('a'), 'A', 'a is now the most recently used');
  cache.set('d', 'D', 1000);
  t.equal(cache.get('b'), undefined, 'b was the least recently used');
  t.same(['a', 'c', 'd'].map((k) => cache.get(k)), ['A', 'C', 'D']);
  cache.resize(1);
  t.equal(cache.size, 1);
  t.equal(cache.get('d'), 'D', 'shrinking keeps the most recently used');
});

t.test('the least recently used entries are evicted beyond max_bytes; an entry over the whole budget is not kept', async (t) => {
  const cache = new LruTtlCache<string>({ maxEntries: 10, maxBytes: 10, sizeOf: (value) => value.length, now: () => 0 });
  cache.set('a', 'aaaa', 1000);
  cache.set('b', 'bbbb', 1000);
  t.equal(cache.get('a'), 'aaaa', 'a is now the most recently used');
  cache.set('c', 'cccc', 1000);
  t.same([cache.get('b'), cache.size, cache.totalBytes], [undefined, 2, 8], 'b went for the bytes (12 > 10)');
  cache.set('c', 'cc', 1000);
  t.same([cache.size, cache.totalBytes], [2, 6], 'a replaced value counts its bytes once');
  cache.set('big', 'x'.repeat(11), 1000);
  t.same([cache.get('big'), cache.size, cache.totalBytes], [undefined, 2, 6], 'larger than the whole budget: not kept, nothing evicted for it');
  cache.set('c', 'y'.repeat(11), 1000);
  t.same([cache.get('c'), cache.totalBytes], [undefined, 4], 'nor is the older value of its key');
  cache.resize(10, 3);
  t.same([cache.size, cache.totalBytes], [0, 0], 'a smaller max_bytes evicts at once');
  cache.set('d', 'ddd', 1000);
  cache.clear();
  t.same([cache.size, cache.totalBytes], [0, 0]);
});

t.test('a batch answers its admit and cache-get ops in order, and nothing for the rest', async (t) => {
  let now = 0;
  const core = new StateCore({ maxEntries: 10, now: () => now });
  const answer = core.applyBatch(1, {
    type: 'state-batch',
    id: 42,
    ops: [
      { op: 'cache-set', key: 'k', value: Buffer.from('hello').toString('base64'), ttlMs: 1000 },
      { op: 'admit', scopes: [{ id: 'g', concurrency: 1 }], reserve: 0 },
      { op: 'cache-get', key: 'k' },
      { op: 'admit', scopes: [{ id: 'g', concurrency: 1 }], reserve: 0 },
      { op: 'cache-get', key: 'missing' },
    ],
  });
  t.equal(answer?.id, 42);
  t.equal(answer?.results.length, 4);
  const [first, value, second, missing] = answer!.results as [{ ok: boolean; ticket: string }, string, { ok: boolean }, null];
  t.ok(first.ok);
  t.equal(Buffer.from(value, 'base64').toString(), 'hello');
  t.notOk(second.ok, 'the one slot is taken by the first admit of the same batch');
  t.equal(missing, null);
  t.equal(core.applyBatch(1, { type: 'state-batch', id: 43, ops: [{ op: 'settle', ticket: first.ticket, tokens: 0 }] }), null, 'settles get no answer');
  now = 1;
  const again = core.applyBatch(2, { type: 'state-batch', id: 44, ops: [{ op: 'admit', scopes: [{ id: 'g', concurrency: 1 }], reserve: 0 }] });
  t.ok((again!.results[0] as { ok: boolean }).ok, 'the settled slot is free');
});
