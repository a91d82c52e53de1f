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
