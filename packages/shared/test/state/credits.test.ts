/**
 * Credits (backend local): slices of a plentiful budget that a worker admits on by itself. The
 * store must stay exact: never more than the limit, and no refusal while another worker's unused
 * slice could still admit the request (it is deferred until that slice returns).
 */
import t from 'tap';
import {
  CREDIT_FORFEIT_MS,
  CREDIT_GRACE_MS,
  CREDIT_TTL_MS,
  DEFER_MAX_MS,
  LIMIT_WINDOW_MS as W,
  StateCore,
  type AdmitResult,
  type CreditGrant,
  type LimitScope,
  type StateBatchResultMessage,
  type StateOp,
} from '@gatewayd/shared/state';

function setup() {
  let now = 1_000_000;
  const core = new StateCore({ maxEntries: 10, now: () => now });
  let id = 0;
  const late: Array<{ owner: number; answer: StateBatchResultMessage }> = [];
  /** One batch from `owner`; its answer, or null when deferred (then it lands in `late`). */
  const batch = (owner: number, ops: StateOp[]) => core.applyBatch(owner, { type: 'state-batch', id: ++id, ops }, (answer) => late.push({ owner, answer }));
  const admit = (owner: number, scopes: LimitScope[], want?: { requests?: number; tokens?: number; slots?: number }, reserve = 0): AdmitResult | null => {
    const credits = want ? [{ scope: scopes[0]!.id, requests: want.requests ?? 0, tokens: want.tokens ?? 0, slots: want.slots ?? 0 }] : undefined;
    const answer = batch(owner, [{ op: 'admit', scopes, reserve, ...(credits ? { credits } : {}) }]);
    return answer ? (answer.results[0] as AdmitResult) : null;
  };
  return { core, batch, admit, late, advance: (ms: number) => (now += ms) };
}

t.test('a credit is granted only from a plentiful budget, at most 1/8 of what is left and never more than asked', async (t) => {
  const { admit } = setup();
  const small = admit(1, [{ id: 'key:small', rpm: 20 }], { requests: 16 });
  t.ok(small?.ok);
  t.equal(small?.credits, undefined, 'rpm 20: 19 left, an eighth is 2, below the minimum of 4: no credit');
  const big = admit(1, [{ id: 'key:big', rpm: 1000 }], { requests: 500 });
  t.equal(big?.credits?.length, 1);
  const grant = big!.credits![0]!;
  t.equal(grant.requests, 124, 'floor(999 / 8)');
  t.equal(grant.tokens, null, 'no tpm limit: nothing to count');
  t.equal(grant.ttlMs, CREDIT_TTL_MS);
  t.same(grant.requestsWindow, { limit: 1000, remaining: 999, resetMs: W }, 'what the headers show before the credit is used');
  const asked = admit(1, [{ id: 'key:big2', rpm: 1000 }], { requests: 10 });
  t.equal(asked?.credits?.[0]?.requests, 10, 'never more than asked');
  const after = admit(2, [{ id: 'key:big', rpm: 1000 }]);
  t.same(after?.requests?.remaining, 1000 - 1 - 124 - 1, 'the open slice counts as used in full');
  const mixed = admit(1, [{ id: 'key:mixed', rpm: 1000, concurrency: 10 }], { requests: 16, slots: 8 });
  t.equal(mixed?.credits, undefined, 'concurrency 10: 9 free, an eighth is 1 slot: the scope gets no credit at all');
  const refused = admit(1, [{ id: 'key:tiny', rpm: 1 }]);
  const refusedAgain = admit(1, [{ id: 'key:tiny', rpm: 1 }], { requests: 16 });
  t.ok(refused?.ok);
  t.equal(refusedAgain?.ok, false);
  t.equal(refusedAgain?.credits, undefined, 'a refused request gets no credit');
});

t.test('on close the slice is reweighed to its use; exactly the limit across two workers, deferred until the slice returns', async (t) => {
  const { admit, batch, late, core, advance } = setup();
  const scopes: LimitScope[] = [{ id: 'global', rpm: 100 }];
  const first = admit(1, scopes, { requests: 12 });
  const grant = first!.credits![0]!;
  t.equal(grant.requests, 12);
  // Worker 1 admits 3 requests on its credit; worker 2 asks the store one request at a time.
  let admitted = 1 + 3;
  let deferred = 0;
  for (let i = 0; i < 200; i++) {
    const answer = admit(2, scopes);
    if (answer === null) {
      deferred++;
      break;
    }
    if (answer.ok) admitted++;
  }
  t.equal(deferred, 1, 'the store does not refuse while worker 1 still holds 9 unused requests');
  t.equal(admitted, 100 - 12 + 3, 'worker 2 got everything but the open slice');
  t.equal(core.deferredCount, 1);
  t.equal(batch(1, [{ op: 'credit-close', id: grant.id, requests: 3, tokens: 0, pending: 0 }]), null, 'a close has no answer of its own');
  t.equal(late.length, 1, 'the close let the deferred admission be decided');
  t.equal((late[0]!.answer.results[0] as AdmitResult).ok, true, 'one of the returned requests');
  admitted++;
  for (let i = 0; i < 20; i++) {
    const answer = admit(2, scopes);
    t.not(answer, null, 'no open credit left: nothing is deferred');
    if (answer?.ok) admitted++;
  }
  t.equal(admitted, 100, 'exactly rpm 100 in the window, slices included');
  const refused = admit(2, scopes)!;
  t.equal(refused.ok, false);
  t.equal(refused.retryAfterMs, W, 'the oldest request leaves the window first');
  advance(W);
  t.ok(admit(2, scopes)?.ok, 'the first request left the window');
  const next = admit(2, scopes)!;
  t.equal(next.ok, false);
  t.equal(next.retryAfterMs, CREDIT_TTL_MS, "the slice's entry is stamped at the credit's expiry: it leaves a minute after that, never earlier");
});

t.test('a deferred admission is decided when an idle credit is overdue, and never later than DEFER_MAX_MS', async (t) => {
  const { admit, late, core, advance } = setup();
  const scopes: LimitScope[] = [{ id: 'global', rpm: 100 }];
  admit(1, scopes, { requests: 12 });
  while (admit(2, scopes) !== null);
  t.equal(core.deferredCount, 1);
  advance(CREDIT_TTL_MS);
  core.tick();
  t.equal(late.length, 0, 'still waiting at the credit expiry');
  advance(CREDIT_GRACE_MS + 1);
  core.tick();
  t.equal(late.length, 1, 'an overdue credit is not waited for');
  const result = late[0]!.answer.results[0] as AdmitResult;
  t.equal(result.ok, false, 'decided with the whole overdue slice counted');
  t.ok(DEFER_MAX_MS < 1_000, "below the worker's batch timeout");
});

t.test('concurrency and tpm on credits: slots held while open, freed on close except those still in flight; settles reconcile', async (t) => {
  const { admit, batch, core } = setup();
  const scopes: LimitScope[] = [{ id: 'key:a', tpm: 100_000, concurrency: 100 }];
  const first = admit(1, scopes, { requests: 16, tokens: 5_000, slots: 10 }, 100)!;
  const grant = first.credits![0]! as CreditGrant;
  t.same([grant.requests, grant.tokens, grant.slots], [null, 5_000, 10]);
  // 99 slots taken: the admission's own and the 10 of the credit.
  let taken = 0;
  for (let i = 0; i < 89; i++) if (admit(2, scopes)?.ok) taken++;
  t.equal(taken, 89, 'with the 11 held for worker 1, all 100 slots are taken');
  t.equal(admit(2, scopes), null, 'the next is deferred, not refused: the credit holds free slots');
  t.equal(core.deferredCount, 1);
  // Worker 1 used 2 requests of its credit (300 tokens reserved), one is still in flight.
  batch(1, [{ op: 'credit-close', id: grant.id, requests: 2, tokens: 300, pending: 1 }]);
  t.equal(core.deferredCount, 0, 'the close returned 9 slots: the deferred admissions are decided');
  const tokensNow = admit(3, [{ id: 'key:a', tpm: 100_000 }])!.tokens!;
  t.equal(tokensNow.remaining, 100_000 - 100 - 300, 'the slice became the 300 tokens used');
  batch(1, [{ op: 'credit-settle', id: grant.id, tokens: -150 }]);
  t.equal(admit(3, [{ id: 'key:a', tpm: 100_000 }])!.tokens!.remaining, 100_000 - 100 - 150, 'the request in flight settled at half its reservation');
  t.equal(core.limits.size.credits, 0, 'the credit is forgotten once nothing of it is in flight');
});

t.test('a dead worker forfeits its credits: slices stay counted, slots are freed; closes from others are ignored', async (t) => {
  const { admit, batch, core } = setup();
  const scopes: LimitScope[] = [{ id: 'key:a', rpm: 1000, concurrency: 100 }];
  const grant = admit(1, scopes, { requests: 50, slots: 10 })!.credits![0]!;
  batch(2, [{ op: 'credit-close', id: grant.id, requests: 0, tokens: 0, pending: 0 }]);
  t.equal(core.limits.size.credits, 1, "another worker cannot close worker 1's credit");
  core.releaseOwner(1);
  t.equal(core.limits.size.credits, 0);
  const after = admit(2, [{ id: 'key:a', rpm: 1000 }])!;
  t.equal(after.requests!.remaining, 1000 - 1 - 50 - 1, 'its slice of 50 stays counted');
  let slots = 0;
  while (admit(2, [{ id: 'key:a', concurrency: 100 }])?.ok) slots++;
  t.equal(slots, 100, "every slot is free again: its admission's and its credit's");
});

t.test('a deferred batch gets no credits; a refusal by a limit without open credits is not deferred', async (t) => {
  const { admit, batch, late, core } = setup();
  const scopes: LimitScope[] = [{ id: 'global', rpm: 100 }];
  const grant = admit(1, scopes, { requests: 12 })!.credits![0]!;
  while (admit(2, scopes) !== null);
  // Worker 2's next batch: one admission wanting a credit on another scope, and one deferred.
  const answer = batch(2, [
    { op: 'admit', scopes: [{ id: 'key:other', rpm: 1000 }], reserve: 0, credits: [{ scope: 'key:other', requests: 16, tokens: 0, slots: 0 }] },
    { op: 'admit', scopes, reserve: 0 },
  ]);
  t.equal(answer, null, 'deferred as a whole');
  batch(1, [{ op: 'credit-close', id: grant.id, requests: 12, tokens: 0, pending: 0 }]);
  const answers = late.filter((l) => l.owner === 2);
  t.equal(answers.length, 2, "both of worker 2's deferred batches are answered once the slice is back");
  t.equal((answers[0]!.answer.results[0] as AdmitResult).ok, false, 'worker 1 used its whole slice: the older one is refused after all');
  const results = answers[1]!.answer.results as AdmitResult[];
  t.equal(results[0]!.ok, true);
  t.equal(results[0]!.credits, undefined, 'no credit in a late answer: part of its life would be gone');
  t.equal(results[1]!.ok, false, 'and so is this one');
  t.equal(core.deferredCount, 0);

  const both: LimitScope[] = [{ id: 'global', rpm: 100 }, { id: 'key:tiny', rpm: 1 }];
  admit(3, [{ id: 'key:tiny', rpm: 1 }]);
  admit(1, [{ id: 'key:plenty', rpm: 1000 }], { requests: 12 });
  const refused = admit(2, [{ id: 'key:plenty', rpm: 1000 }, { id: 'key:tiny', rpm: 1 }]);
  t.equal(refused?.ok, false, 'key:tiny refuses and has no open credit: refused at once, although key:plenty has one');
  t.ok(both);
});

t.test('malformed credit ops from a worker: no exception, no credit, and a deferred batch cannot stall the others', async (t) => {
  const { admit, batch, late, core } = setup();
  const bad = [null, 42, { scope: 7 }, { scope: 'nope' }] as unknown as Array<{ scope: string; requests: number; tokens: number; slots: number }>;
  const answer = batch(1, [{ op: 'admit', scopes: [{ id: 'key:a', rpm: 1000 }, { id: undefined as unknown as string, rpm: 5 }], reserve: 0, credits: bad }]);
  t.equal((answer!.results[0] as AdmitResult).credits, undefined);
  batch(1, [
    { op: 'credit-close', id: 'x' as unknown as number, requests: Number.NaN, tokens: -1, pending: 1e300 },
    { op: 'credit-settle', id: 99, tokens: Number.POSITIVE_INFINITY },
  ]);
  const scopes: LimitScope[] = [{ id: 'global', rpm: 100 }];
  const grant = admit(1, scopes, { requests: 12 })!.credits![0]!;
  while (admit(2, scopes) !== null);
  const poisoned = { op: 'admit', scopes: [{ id: 'global', rpm: 100 }], reserve: 0 } as StateOp & { scopes: LimitScope[] };
  t.equal(batch(3, [poisoned]), null, 'worker 3 deferred as well');
  // The op turns bad after it was deferred (as a malformed op that threw only on the second look).
  Object.defineProperty(poisoned, 'scopes', { get: () => { throw new Error('poisoned'); } });
  batch(1, [{ op: 'credit-close', id: grant.id, requests: 2, tokens: 0, pending: 0 }]);
  t.equal(late.filter((l) => l.owner === 2).length, 1, "worker 2's deferred batch is answered");
  t.equal(core.deferredCount, 0, 'the batch that threw is dropped, not retried for ever');
});

t.test('an undone admission on a closed credit leaves the rpm count; an overdue credit is forfeited after CREDIT_FORFEIT_MS', async (t) => {
  const { admit, batch, core, advance } = setup();
  const scopes: LimitScope[] = [{ id: 'key:a', rpm: 1000, concurrency: 100 }];
  const grant = admit(1, scopes, { requests: 50, slots: 10 })!.credits![0]!;
  batch(1, [{ op: 'credit-close', id: grant.id, requests: 3, tokens: 0, pending: 2 }]);
  batch(1, [{ op: 'credit-settle', id: grant.id, tokens: 0, unused: true }]);
  t.equal(admit(2, [{ id: 'key:a', rpm: 1000 }])!.requests!.remaining, 1000 - 1 - 2 - 1, 'the slice counts 2 requests, not 3');

  const second = admit(1, scopes, { requests: 50, slots: 10 })!.credits![0]!;
  t.ok(second);
  let free = 0;
  const probe: LimitScope[] = [{ id: 'key:a', concurrency: 100 }];
  const held: string[] = [];
  for (let r = admit(2, probe); r?.ok; r = admit(2, probe)) {
    free++;
    held.push(r.ticket!);
  }
  advance(CREDIT_TTL_MS + CREDIT_GRACE_MS + 1);
  core.tick();
  t.equal(core.limits.size.credits, 2, 'overdue, its slots still held (its worker may be busy)');
  advance(CREDIT_FORFEIT_MS);
  core.tick();
  t.equal(core.limits.size.credits, 1, 'forfeited: the never-closed credit is gone (the other still has a request in flight)');
  t.ok(admit(2, probe)?.ok, 'and its 10 slots are free');
  t.ok(free > 0 && held.length === free);
});

t.test('unclosedCredits counts the credits time can still move on: open and overdue, not closed ones waiting for settles', async (t) => {
  const { core, batch, admit, advance } = setup();
  const scopes = [{ id: 'key:a', rpm: 1_000, concurrency: 100 }];
  const first = admit(1, scopes, { requests: 16, slots: 8 })!.credits![0]!;
  t.ok(admit(2, scopes, { requests: 16, slots: 8 })!.credits);
  const third = admit(3, scopes, { requests: 16, slots: 8 })!.credits![0]!;
  t.equal(core.unclosedCredits, 3);
  batch(1, [{ op: 'credit-close', id: first.id, requests: 2, tokens: 0, pending: 1 }]);
  t.equal(core.unclosedCredits, 2, 'closed with a request in flight: still a record, no longer due');
  t.equal(core.limits.size.credits, 3);
  batch(1, [{ op: 'credit-settle', id: first.id, tokens: 0 }]);
  t.equal(core.limits.size.credits, 2);
  advance(CREDIT_TTL_MS + CREDIT_GRACE_MS + 1);
  core.tick();
  t.equal(core.unclosedCredits, 2, 'overdue credits are still due (forfeit)');
  core.releaseOwner(2);
  t.equal(core.unclosedCredits, 1, 'a dead owner forfeits its credit');
  advance(CREDIT_FORFEIT_MS);
  core.tick();
  t.equal(core.unclosedCredits, 0, 'the last one forfeited on time');
  t.equal(core.limits.size.credits, 0);
  t.equal(batch(3, [{ op: 'credit-close', id: third.id, requests: 0, tokens: 0, pending: 0 }]), null, 'a close after forfeit changes nothing');
  t.equal(core.unclosedCredits, 0);
});

t.test('nextCreditDueAt: when the earliest open credit becomes overdue or overdue one is forfeited, so its tick can be on time', async (t) => {
  const { core, batch, admit, advance } = setup();
  const scopes = [{ id: 'key:a', rpm: 1_000 }];
  t.equal(core.nextCreditDueAt, Infinity, 'no credits: nothing due');
  const t0 = advance(0);
  const first = admit(1, scopes, { requests: 16 })!.credits![0]!;
  t.equal(core.nextCreditDueAt, t0 + CREDIT_TTL_MS + CREDIT_GRACE_MS, 'open: due when it turns overdue');
  advance(100);
  const second = admit(2, scopes, { requests: 16 })!.credits![0]!;
  t.equal(core.nextCreditDueAt, t0 + CREDIT_TTL_MS + CREDIT_GRACE_MS, 'the earliest of two');
  advance(CREDIT_TTL_MS + CREDIT_GRACE_MS - 100);
  core.tick();
  t.equal(core.nextCreditDueAt, t0 + CREDIT_TTL_MS + CREDIT_GRACE_MS, 'exactly at its due time it is not overdue yet (expire acts once past it)');
  advance(1);
  core.tick();
  t.equal(core.nextCreditDueAt, t0 + 100 + CREDIT_TTL_MS + CREDIT_GRACE_MS, 'the first is overdue (forfeit due much later): the second is next');
  batch(2, [{ op: 'credit-close', id: second.id, requests: 1, tokens: 0, pending: 0 }]);
  t.equal(core.nextCreditDueAt, t0 + CREDIT_TTL_MS + CREDIT_FORFEIT_MS, 'only the overdue one is left: due at its forfeit');
  advance(CREDIT_FORFEIT_MS);
  core.tick();
  t.equal(core.nextCreditDueAt, Infinity, 'forfeited: nothing due');
  t.equal(core.limits.size.credits, 0);
  t.not(first.id, second.id);
});
