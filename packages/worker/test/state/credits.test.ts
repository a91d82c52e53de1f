/**
 * Credits, worker side: a busy worker admits on its credit without a message to the store, settles
 * locally, returns what it did not use when the credit expires, and several workers on one store
 * still get exactly the limit.
 */
import t, { type Test } from 'tap';
import { CREDIT_TTL_MS, StateCore, type StateBatchMessage, type StateBatchResultMessage } from '@gatewayd/shared/state';
import { createStateBackend, type Admission, type StateBackend, type StateChannel } from '../../src/state/index.js';
import { captureLogger, stateConfig, waitFor } from './helpers.js';

/** A worker's channel to a store shared with other "workers" (owners), answering like the supervisor. */
function ownerChannel(core: StateCore, owner: number): { channel: StateChannel; sent: StateBatchMessage[] } {
  const sent: StateBatchMessage[] = [];
  const handlers = new Set<(message: StateBatchResultMessage) => void>();
  const deliver = (answer: StateBatchResultMessage) => setImmediate(() => handlers.forEach((handler) => handler(answer)));
  return {
    sent,
    channel: {
      send(message) {
        sent.push(message);
        setImmediate(() => {
          const answer = core.applyBatch(owner, message, deliver);
          if (answer) deliver(answer);
        });
      },
      subscribe(handler) {
        handlers.add(handler);
        return () => handlers.delete(handler);
      },
    },
  };
}

function backend(t: Test, core: StateCore, owner: number): { state: StateBackend; sent: StateBatchMessage[] } {
  const { logger } = captureLogger();
  const { channel, sent } = ownerChannel(core, owner);
  const state = createStateBackend(stateConfig('{ backend: local }'), { workerId: owner, logger, channel });
  t.teardown(() => state.close());
  return { state, sent };
}

const opsOf = (sent: StateBatchMessage[]) => sent.flatMap((message) => message.ops.map((op) => op.op));

t.test('on a plentiful limit, the first request brings a credit and the next ones cost no message', async (t) => {
  const core = new StateCore({ maxEntries: 10 });
  const { state, sent } = backend(t, core, 1);
  const scopes = [{ id: 'key:a', rpm: 100_000, tpm: 10_000_000, concurrency: 1_000 }];
  const first = await state.admit(scopes, 100);
  t.ok(first.ok);
  t.same(opsOf(sent), ['admit'], 'the first request asks the store');
  t.ok(sent[0]!.ops[0]!.op === 'admit' && sent[0]!.ops[0]!.credits?.length === 1, 'and a credit with it');
  state.settle(first.ticket!, 100);
  await new Promise((resolve) => setImmediate(resolve));

  // The credit: 16 requests (the first ask), 1600 tokens (16 x the reservation), 8 slots.
  const local: Admission[] = [];
  for (let i = 0; i < 8; i++) local.push(await state.admit(scopes, 100));
  t.ok(local.every((a) => a.ok && a.ticket?.startsWith('w')), 'admitted on the credit');
  t.same(opsOf(sent), ['admit', 'settle'], 'without any message');
  t.equal(local[7]!.requests?.limit, 100_000, 'with the rate-limit headers figures');
  t.equal(local[0]!.requests!.remaining - local[7]!.requests!.remaining, 7, 'remaining goes down as the credit is used');
  const ninth = state.admit(scopes, 100);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(opsOf(sent), ['admit', 'settle', 'credit-close', 'admit'], 'the 8 slots are taken: the 9th closes the credit and asks the store');
  state.settle((await ninth).ticket!, 100);
  for (const admission of local.slice(0, 4)) state.settle(admission.ticket!, 40);
  const close = sent.flatMap((m) => m.ops).find((op) => op.op === 'credit-close')!;
  t.match(close, { requests: 8, tokens: 8 * 100, pending: 8 }, 'the close reports what it used, all 8 still in flight');
  for (const admission of local.slice(4)) state.settle(admission.ticket!, 0);
  await waitFor(() => core.limits.size.credits === 0, 5 * CREDIT_TTL_MS, 'the requests of a closed credit settle with the store, and the new credit expires');
  const view = (await state.admit([{ id: 'key:a', tpm: 10_000_000 }], 0)).tokens!;
  t.equal(view.remaining, 10_000_000 - 100 - 100 - 4 * 40 - 4 * 0, 'the store holds the exact usage: 100 + 100 + 4 x 40 + 4 x 0');
});

t.test('three workers on one store: exactly the limit across bursts, with credits doing most of the admitting', async (t) => {
  const core = new StateCore({ maxEntries: 10 });
  const workers = [1, 2, 3].map((owner) => backend(t, core, owner));
  const scopes = [{ id: 'global', rpm: 600 }];
  const ticker = setInterval(() => core.tick(), 20);
  t.teardown(() => clearInterval(ticker));
  let admitted = 0;
  let degraded = 0;
  let attempts = 0;
  // Waves of requests from every worker, one wave per turn, until all three are refused.
  for (let wave = 0; wave < 200; wave++) {
    const results = await Promise.all(workers.flatMap(({ state }) => Array.from({ length: 20 }, () => state.admit(scopes, 0))));
    attempts += results.length;
    admitted += results.filter((r) => r.ok).length;
    degraded += results.filter((r) => r.degraded).length;
    if (results.every((r) => !r.ok)) break;
  }
  t.equal(degraded, 0, 'every admission was decided by the store or a credit');
  t.equal(admitted, 600, `exactly rpm 600 of ${attempts} attempts`);
  const admitsSent = workers.reduce((n, { sent }) => n + opsOf(sent).filter((op) => op === 'admit').length, 0);
  t.ok(admitsSent < attempts / 2, `most requests were admitted or refused without asking the store (${admitsSent} asked)`);
});

t.test('a request whose other scope is refused gives back what its credit admitted (all or nothing)', async (t) => {
  const core = new StateCore({ maxEntries: 10 });
  const { state } = backend(t, core, 1);
  const key = { id: 'key:a', rpm: 100_000 };
  await state.admit([key], 0); // brings the key a credit
  const both = [key, { id: 'model:m', rpm: 1 }];
  const admitted = await state.admit(both, 0);
  t.ok(admitted.ok, 'model:m has one request');
  const refused = await state.admit(both, 0);
  t.equal(refused.ok, false);
  t.same(refused.violated, { scope: 'model:m', kind: 'rpm' });
  state.settle(admitted.ticket!, 0);
  await state.close();
  await waitFor(() => core.limits.size.credits === 0, 2_000, 'the credit is returned on close');
  const view = core.limits.admit([key], 0, 9).requests!;
  t.equal(view.remaining, 100_000 - 2 - 1, 'the key counts its two admitted requests (and this one), not the refused one');
});

t.test("a credit runs from when its request left the worker: one whose answer took longer than its life is returned at once", async (t) => {
  const core = new StateCore({ maxEntries: 10 });
  const held: StateBatchMessage[] = [];
  const sent: StateBatchMessage[] = [];
  let handler: ((m: StateBatchResultMessage) => void) | null = null;
  const channel: StateChannel = {
    send: (m) => void (sent.push(m), held.push(m)),
    subscribe: (h) => ((handler = h), () => (handler = null)),
  };
  const release = () => {
    for (const m of held.splice(0)) {
      const answer = core.applyBatch(1, m);
      if (answer) handler?.(answer);
    }
  };
  const { logger } = captureLogger();
  const state = createStateBackend(stateConfig('{ backend: local }'), { workerId: 1, logger, channel, timeoutMs: 5_000 });
  t.teardown(() => state.close());
  const scopes = [{ id: 'key:a', rpm: 100_000 }];
  const first = state.admit(scopes, 0);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, CREDIT_TTL_MS + 20));
  release();
  t.ok((await first).ok);
  t.equal(core.limits.size.credits, 1, 'the store granted a credit');
  const second = state.admit(scopes, 0);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(opsOf(sent), ['admit', 'credit-close', 'admit'], 'too old on arrival: closed unused, and the next request asks the store');
  release();
  t.ok((await second).ok);
  t.match(sent[1]!.ops[0], { op: 'credit-close', requests: 0, pending: 0 });
});

t.test('a draining worker gives its credits back at once and asks for none again, also for an ask already on its way', async (t) => {
  const core = new StateCore({ maxEntries: 10 });
  const { state, sent } = backend(t, core, 1);
  const scopes = [{ id: 'key:a', rpm: 100_000, concurrency: 1_000 }];
  const first = await state.admit(scopes, 0);
  const onCredit = await state.admit(scopes, 0);
  t.ok(onCredit.ticket?.startsWith('w'), 'a credit is in use');
  t.equal(core.limits.size.credits, 1);

  state.retire();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  t.same(opsOf(sent), ['admit', 'credit-close'], 'given back at once, not when it expires');
  t.match(sent[1]!.ops[0], { op: 'credit-close', requests: 1, pending: 1 }, 'reporting its request still in flight');

  const after = await state.admit(scopes, 0);
  t.ok(after.ok && !after.ticket?.startsWith('w'), 'the next request is admitted by the store');
  const ask = sent[2]!.ops[0]!;
  t.ok(ask.op === 'admit' && ask.credits === undefined, 'without asking for a credit');
  for (const admission of [first, onCredit, after]) state.settle(admission.ticket!, 0);
  await waitFor(() => core.limits.size.tickets === 0 && core.limits.size.credits === 0, 1_000, 'every request settled with the store, the one admitted on the returned credit too');

  // A worker whose ask left before the drain: the grant that answers it goes straight back.
  const { state: other, sent: otherSent } = backend(t, core, 2);
  const asked = other.admit(scopes, 0);
  other.retire();
  t.ok((await asked).ok);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(opsOf(otherSent), ['admit', 'credit-close'], 'the late grant is returned on arrival, unused');
  t.match(otherSent[1]!.ops[0], { op: 'credit-close', requests: 0, pending: 0 });
  const next = await other.admit(scopes, 0);
  t.notOk(next.ticket?.startsWith('w'), 'and its next request goes to the store');
  other.settle(next.ticket!, 0);
  await waitFor(() => core.limits.size.credits === 0, 1_000, 'the store has it back');
});

t.test('a request partly on a credit when the drain begins, then refused by the store, is taken back from the returned credit', async (t) => {
  const core = new StateCore({ maxEntries: 10 });
  const { state, sent } = backend(t, core, 1);
  const key = { id: 'key:a', rpm: 100_000 };
  await state.admit([key], 0); // brings the key a credit
  const both = [key, { id: 'model:m', rpm: 1 }];
  const admitted = await state.admit(both, 0);
  t.ok(admitted.ok, 'model:m has one request');
  const pending = state.admit(both, 0); // on the key's credit; model:m goes to the store
  state.retire(); // the credit closes with that request counted and in flight
  const refused = await pending;
  t.equal(refused.ok, false);
  await waitFor(() => sent.flatMap((m) => m.ops).some((op) => op.op === 'credit-settle' && op.unused === true), 1_000, 'the refused request is sent back as unused');
  state.settle(admitted.ticket!, 0);
  await waitFor(() => core.limits.size.credits === 0, 2_000, 'the credit is done');
  const view = core.limits.admit([key], 0, 9).requests!;
  t.equal(view.remaining, 100_000 - 2 - 1, 'the key counts its two admitted requests (and this one), not the refused one');
});
