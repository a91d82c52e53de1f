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

const config = (maxEntries: number) => loadConfigText(`cache: { enabled: true, max_entries: ${maxEntries} }\n`, '/test/gatewayd.yaml', {}).config;

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
  t.same(store.stats(), { scopes: 1, tickets: 1, credits: 0, cacheEntries: 0 });

  store.releaseOwner(1);
  t.same(store.stats().tickets, 0);
  t.ok(lines.some((l) => l.msg === 'released the concurrency slots of an exited worker' && l.released === 1));
  store.onBatch(2, { type: 'state-batch', id: 2, ops: [{ op: 'admit', scopes, reserve: 0 }] }, reply);
  t.equal((replies[2]!.results[0] as AdmitResult).ok, true);

  for (const key of ['a', 'b']) store.onBatch(2, { type: 'state-batch', id: 3, ops: [{ op: 'cache-set', key, value: 'eA==', ttlMs: 60_000 }] }, reply);
  t.equal(replies.length, 3, 'cache-set needs no answer');
  t.equal(store.stats().cacheEntries, 2);
  store.configure(config(1));
  t.equal(store.stats().cacheEntries, 1, 'a smaller max_entries evicts at once');

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
  const scopes = [{ id: 'key:a', concurrency: 40 }];
  const want = { scope: 'key:a', requests: 16, tokens: 0, slots: 8 };
  store.onBatch(1, { type: 'state-batch', id: 1, ops: [{ op: 'admit', scopes, reserve: 0, credits: [want] }] }, (a) => replies.push(a));
  const granted = (replies[0]!.results[0] as AdmitResult).credits ?? [];
  t.equal(granted.length, 1, 'a credit was granted (and is never closed: its answer was lost)');
  const slots = granted[0]!.slots!;
  t.equal(store.stats().credits, 1);

  // No batch arrives any more (the worker is gone quiet, not dead): only the store's own timer runs.
  clock += 20_000;
  const deadline = Date.now() + 5_000;
  while (store.stats().credits > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(store.stats().credits, 0, 'forfeited without waiting for the 60 s sweep');
  for (let i = 0; i < 40 - 1; i++) store.onBatch(2, { type: 'state-batch', id: 2 + i, ops: [{ op: 'admit', scopes, reserve: 0 }] }, (a) => replies.push(a));
  const admitted = replies.slice(1).filter((r) => (r.results[0] as AdmitResult).ok).length;
  t.equal(admitted, 39, `the ${slots} slots of the lost credit are free again: 39 = 40 minus the first request's`);
});
