/** A worker's copies of the entries it read (hot.ts) and the entry framing that carries their expiry (entry.ts). */
import t from 'tap';
import { frameEntry, HotEntries, ResponseCache, unframeEntry } from '../../src/cache/index.js';
import type { StateBackend } from '../../src/state/index.js';

t.test('an entry carries its expiry in front of the answer', async (t) => {
  const framed = frameEntry(Buffer.from('{"a":1}'), 1_700_000_000_123.7);
  t.equal(framed.toString(), '1700000000123\n{"a":1}');
  t.same(unframeEntry(framed), { answer: Buffer.from('{"a":1}'), expiresAt: 1_700_000_000_123 });
  t.same(unframeEntry(frameEntry(Buffer.alloc(0), 5)), { answer: Buffer.alloc(0), expiresAt: 5 });
  for (const bad of ['{"a":1}', '\n{}', 'x12\n{}', '12345678901234567890\n{}', '']) t.equal(unframeEntry(Buffer.from(bad)), null, JSON.stringify(bad));
});

t.test('kept copies: least recently used out by count and by bytes, expired dropped, large ones not kept', async (t) => {
  const hot = new HotEntries(3, 10);
  hot.add('a', Buffer.from('aaaa'), 100);
  hot.add('b', Buffer.from('bbbb'), 100);
  t.equal(hot.totalBytes, 8);
  t.equal(hot.get('a', 0)?.toString(), 'aaaa', 'a is now the most recently used');
  hot.add('c', Buffer.from('cccc'), 100);
  t.equal(hot.get('b', 0), null, 'b went for the bytes (12 > 10)');
  t.equal(hot.totalBytes, 8);
  hot.add('d', Buffer.from('d'), 100);
  hot.add('e', Buffer.from('e'), 100);
  t.same([hot.size, hot.get('a', 0), hot.totalBytes], [3, null, 6], 'a went for the count');
  hot.add('c', Buffer.from('cc'), 100);
  t.same([hot.size, hot.totalBytes], [3, 4], 'replacing an entry counts its bytes once');
  t.equal(hot.get('d', 100), null, 'gone at its expiry');
  t.same([hot.size, hot.totalBytes], [2, 3]);
  hot.add('big', Buffer.alloc(11), 100);
  t.equal(hot.get('big', 0), null, 'larger than the whole budget: not kept');

  const pool = Buffer.from('xxxxANSWERyyyy');
  const view = pool.subarray(4, 10);
  hot.add('view', view, 100);
  pool.fill(0);
  t.equal(hot.get('view', 0)?.toString(), 'ANSWER', 'a copy, not a view into the store\'s buffer');
});

/** A store that counts its reads. */
function countingBackend(): { backend: StateBackend; stored: Map<string, Buffer>; reads: () => number; touched: string[] } {
  const stored = new Map<string, Buffer>();
  const touched: string[] = [];
  let reads = 0;
  const backend = {
    cacheTouch: (key: string) => void touched.push(key),
    cacheGet: async (key: string) => {
      reads++;
      return stored.get(key) ?? null;
    },
    cacheSet: (key: string, value: Buffer) => void stored.set(key, value),
    cacheSetBeforeSend: (key: string, value: Buffer, _ttl: number, send: () => void) => {
      stored.set(key, value);
      send();
    },
  } as unknown as StateBackend;
  return { backend, stored, reads: () => reads, touched };
}

t.test('the response cache answers a repeated hit from its copy, until the entry expires', async (t) => {
  let now = 1_000_000;
  const { backend, stored, reads } = countingBackend();
  const cache = new ResponseCache(backend, 60_000, new HotEntries(), () => now);
  const writer = new ResponseCache(backend, 60_000, new HotEntries(), () => now);
  writer.set('k', Buffer.from('answer'));
  t.equal(stored.get('k')?.toString(), `${1_060_000}\nanswer`, 'stored with its expiry');
  t.equal(await writer.get('other'), null);
  t.equal((await cache.get('k'))?.toString(), 'answer', 'first hit: from the store');
  t.equal(reads(), 2);
  t.equal((await cache.get('k'))?.toString(), 'answer', 'second hit');
  t.equal(reads(), 2, 'answered from the copy, no read');
  now = 1_060_000;
  t.equal(await cache.get('k'), null, 'expired: the copy is dropped and the store asked');
  t.equal(reads(), 3);
  t.equal(await cache.get('k'), null, 'the store still has it (its sweep is later), but it is past its expiry: a miss');

  let sent = false;
  writer.setBeforeSend('s', Buffer.from('streamed'), () => (sent = true));
  t.ok(sent);
  t.equal(unframeEntry(stored.get('s')!)?.expiresAt, 1_120_000);
  stored.set('old', Buffer.from('{"object":"chat.completion"}'));
  t.equal(await cache.get('old'), null, 'bytes of another format are a miss, never served');
});

t.test('hits from the copy touch the entry in the store at most once a second, so its LRU order sees them', async (t) => {
  let now = 1_000_000;
  const { backend, touched } = countingBackend();
  const cache = new ResponseCache(backend, 60_000, new HotEntries(), () => now);
  cache.set('k', Buffer.from('answer'));
  await cache.get('k'); // read from the store: the store saw this use
  for (let i = 0; i < 5; i++) await cache.get('k');
  t.same(touched, [], 'within a second of the read: nothing to tell');
  now += 1_000;
  for (let i = 0; i < 5; i++) await cache.get('k');
  t.same(touched, ['k'], 'one touch for the hits of the next second');
  now += 999;
  await cache.get('k');
  now += 1;
  await cache.get('k');
  t.same(touched, ['k', 'k']);
});

t.test('a touch moves the entry up in the local store: the popular entry outlives one-off answers', async (t) => {
  const { StateCore } = await import('@gatewayd/shared/state');
  const core = new StateCore({ maxEntries: 3, now: () => 0 });
  const set = (key: string) => core.applyBatch(1, { type: 'state-batch', id: 1, ops: [{ op: 'cache-set', key, value: 'eA==', ttlMs: 60_000 }] });
  set('popular');
  set('a');
  set('b');
  t.equal(core.applyBatch(1, { type: 'state-batch', id: 2, ops: [{ op: 'cache-touch', key: 'popular' }] }), null, 'no answer');
  set('c');
  const [popular, a] = core.applyBatch(1, { type: 'state-batch', id: 3, ops: [{ op: 'cache-get', key: 'popular' }, { op: 'cache-get', key: 'a' }] })!.results;
  t.equal(popular, 'eA==', 'kept');
  t.equal(a, null, 'the least recently used went instead');
});
