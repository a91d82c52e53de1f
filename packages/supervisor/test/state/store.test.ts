/** The supervisor's state store in process: batches, replies, owner release, resize, bad input. */
import pino from 'pino';
import t from 'tap';
import { loadConfigText } from '@gatewayd/shared';
import type { AdmitResult, StateBatchResultMessage } from '@gatewayd/shared/state';
import { SupervisorStateStore } from '../../src/state/index.js';

function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

const config = (maxEntries: number, maxBytes = '256mb') => loadConfigText(`cache: { enabled: true, max_entries: ${maxEntries}, max_bytes: ${maxBytes} }\n`, '/test/gatewayd.yaml', {}).config;

t.test('answers admits, frees a dead owner, resizes the cache on reload, drops bad batches', async (t) => {
  const { logger, lines } = capture();
  const store = new SupervisorStateStore(config(2), logger);
  t.teardown(() => store.close());
  const replies: StateBatchResultMessage[] = [];
  const reply = (answer: StateBatchResultMessage) => replies.push(answer);
  const scopes = [{ id: 'key:a', concurrency: 1 }];

  store.onBatch(1, { type: 'state-batch', id: 1, ops: [{ op: 'admit', scopes, reserve: 0 }] }, reply);
  store.onBatch(2, { type: 'state-batch', id: 1, ops: [{ op: 'admit', scopes, reserve: 0 }] }, reply);
  t.equal(replies.length, 2);
  t.equal((replies[0]!.results[0] as AdmitResult).ok, true);
  t.equal((replies[1]!.results[0] as AdmitResult).ok, false, "owner 2 waits for owner 1's slot");
  t.same(store.stats(), { scopes: 1, tickets: 1, credits: 0, cacheEntries: 0, cacheBytes: 0 });

  store.releaseOwner(1);
  t.same(store.stats().tickets, 0);
  t.ok(lines.some((l) => l.msg === 'released the concurrency slots of an exited worker' && l.released === 1));
  store.onBatch(2, { type: 'state-batch', id: 2, ops: [{ op: 'admit', scopes, reserve: 0 }] }, reply);
  t.equal((replies[2]!.results[0] as AdmitResult).ok, true);

  for (const key of ['a', 'b']) store.onBatch(2, { type: 'state-batch', id: 3, ops: [{ op: 'cache-set', key, value: 'eA==', ttlMs: 60_000 }] }, reply);
  t.equal(replies.length, 3, 'cache-set needs no answer');
  t.equal(store.stats().cacheEntries, 2);
  store.configure(config(1));
  t.same([store.stats().cacheEntries, store.stats().cacheBytes], [1, 4], 'a smaller max_entries evicts at once');
  store.onBatch(2, { type: 'state-batch', id: 3, ops: [{ op: 'cache-set', key: 'big', value: 'eHh4eHh4eHh4eA==', ttlMs: 60_000 }] }, reply);
  t.equal(store.stats().cacheBytes, 16, 'counted in stored (base64) bytes');
  store.configure(config(10, '10b'));
  t.same([store.stats().cacheEntries, store.stats().cacheBytes], [0, 0], 'a smaller max_bytes evicts at once');

  store.onBatch(2, { type: 'state-batch', id: 4, ops: 'nonsense' } as never, reply);
  t.equal(replies.length, 3);
  t.ok(lines.some((l) => l.msg === 'malformed state batch from a worker; dropped'));
});

t.test('a credit whose grant never reached its worker is forfeited on time by the store itself, its slots freed', async (t) => {
  const { logger } = capture();
  let clock = 1_000;
  const store = new SupervisorStateStore(config(2), logger, () => clock);
  t.teardown(() => store.close());
  const replies: StateBatchResultMessage[] = [];
  const reply = (answer: StateBatchResultMessage) => replies.push(answer);
  const scopes = [{ id: 'key:a', concurrency: 40 }];
  const want = { scope: 'key:a', requests: 16, tokens: 0, slots: 8 };
  store.onBatch(1, { type: 'state-batch', id: 1, ops: [{ op: 'admit', scopes, reserve: 0, credits: [want] }] }, reply);
  const granted = (replies[0]!.results[0] as AdmitResult).credits ?? [];
  t.equal(granted.length, 1, 'a credit was granted (and is never closed: its answer was lost)');
  t.equal(granted[0]!.slots, 4, '4 slots: 1/8 of the 39 left');
  let batchId = 2;
  const admitMany = (n: number): number => {
    const before = replies.length;
    for (let i = 0; i < n; i++) store.onBatch(2, { type: 'state-batch', id: batchId++, ops: [{ op: 'admit', scopes, reserve: 0 }] }, reply);
    return replies.slice(before).filter((r) => (r.results[0] as AdmitResult).ok).length;
  };
  const waitTicks = () => new Promise((resolve) => setTimeout(resolve, 700)); // a few 250 ms ticks of the store's own timer

  // No batch from owner 1 arrives any more (gone quiet, not dead): only the store's timer runs.
  clock += 600;
  await waitTicks();
  t.equal(store.stats().credits, 1, 'overdue 600 ms after its grant, but not forfeited: its owner may still be busy');
  t.equal(admitMany(36), 35, 'its 4 slots are still held: 40 - 1 - 4 = 35 admitted');

  clock += 10_000;
  const deadline = Date.now() + 5_000;
  while (store.stats().credits > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(store.stats().credits, 0, 'forfeited 10 s after it expired, without waiting for the 60 s sweep');
  t.equal(admitMany(5), 4, 'its 4 slots are free again');
});
