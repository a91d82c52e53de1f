/** Each strategy's target order, through Router.plan. */
import t from 'tap';
import { Router, type ResolvedModel } from '../../src/routing/index.js';
import { weightedOrder } from '../../src/routing/strategies.js';
import { PriceTable } from '../../src/metrics/prices.js';
import { config, failure, fakeClock, seeded } from './fixtures/index.js';

function modelWith(strategy: string, targets: string): { router: Router; model: ResolvedModel } {
  const router = new Router(config(`models:\n  - { name: m, strategy: ${strategy}, targets: ${targets} }\n`), fakeClock(seeded(42)));
  const model = router.resolve('m');
  if (!model) throw new Error('model m did not resolve');
  return { router, model };
}

const ABC = '[{ provider: p1, model: a }, { provider: p2, model: b }, { provider: p3, model: c }]';
const ids = (router: Router, model: ResolvedModel) => router.plan(model).map((x) => x.id);

t.test('fallback keeps config order', async (t) => {
  const { router, model } = modelWith('fallback', ABC);
  for (let i = 0; i < 3; i++) t.strictSame(ids(router, model), ['p1/a', 'p2/b', 'p3/c']);
});

t.test('round_robin rotates the start on every request of the model', async (t) => {
  const { router, model } = modelWith('round_robin', ABC);
  t.strictSame(ids(router, model), ['p1/a', 'p2/b', 'p3/c']);
  t.strictSame(ids(router, model), ['p2/b', 'p3/c', 'p1/a']);
  t.strictSame(ids(router, model), ['p3/c', 'p1/a', 'p2/b']);
  t.strictSame(ids(router, model), ['p1/a', 'p2/b', 'p3/c']);
});

t.test('weighted: first picks follow the weights; order is a permutation without repeats', async (t) => {
  const { router, model } = modelWith('weighted', '[{ provider: p1, model: a, weight: 1 }, { provider: p2, model: b, weight: 2 }, { provider: p3, model: c, weight: 7 }]');
  const draws = 20_000;
  const first = new Map<string, number>();
  const second = new Map<string, number>();
  let malformed = 0;
  for (let i = 0; i < draws; i++) {
    const plan = ids(router, model);
    if (plan.length !== 3 || new Set(plan).size !== 3) malformed++;
    first.set(plan[0] as string, (first.get(plan[0] as string) ?? 0) + 1);
    if (plan[0] === 'p3/c') second.set(plan[1] as string, (second.get(plan[1] as string) ?? 0) + 1);
  }
  t.equal(malformed, 0, 'every plan holds each target exactly once');
  const share = (m: Map<string, number>, id: string, of: number) => (m.get(id) ?? 0) / of;
  const tolerance = 0.02;
  t.ok(Math.abs(share(first, 'p1/a', draws) - 0.1) < tolerance, `a first ~10%: ${share(first, 'p1/a', draws)}`);
  t.ok(Math.abs(share(first, 'p2/b', draws) - 0.2) < tolerance, `b first ~20%: ${share(first, 'p2/b', draws)}`);
  t.ok(Math.abs(share(first, 'p3/c', draws) - 0.7) < tolerance, `c first ~70%: ${share(first, 'p3/c', draws)}`);
  const afterC = first.get('p3/c') ?? 1;
  t.ok(Math.abs(share(second, 'p2/b', afterC) - 2 / 3) < 0.03, `after c, b second ~2/3: ${share(second, 'p2/b', afterC)}`);
});

t.test('weighted order: edge draws stay in range', async (t) => {
  const { model } = modelWith('weighted', '[{ provider: p1, model: a, weight: 1 }, { provider: p2, model: b, weight: 3 }]');
  t.strictSame(weightedOrder(model.targets, () => 0).map((x) => x.id), ['p1/a', 'p2/b']);
  t.strictSame(weightedOrder(model.targets, () => 0.2499).map((x) => x.id), ['p1/a', 'p2/b']);
  t.strictSame(weightedOrder(model.targets, () => 0.25).map((x) => x.id), ['p2/b', 'p1/a']);
  t.strictSame(weightedOrder(model.targets, () => 0.9999999999).map((x) => x.id), ['p2/b', 'p1/a']);
});

t.test('least_latency: unmeasured first, then ascending EWMA; adapts to new samples', async (t) => {
  const { router, model } = modelWith('least_latency', ABC);
  const [a, b, c] = model.targets as [never, never, never];
  t.strictSame(ids(router, model), ['p1/a', 'p2/b', 'p3/c'], 'nothing measured: config order');
  router.recordSuccess(a, 100);
  t.strictSame(ids(router, model), ['p2/b', 'p3/c', 'p1/a'], 'unmeasured ones go first to get measured');
  router.recordSuccess(b, 300);
  router.recordSuccess(c, 50);
  t.strictSame(ids(router, model), ['p3/c', 'p1/a', 'p2/b']);
  // alpha 0.3 (default): c goes 50 -> 50 + 0.3 * (400 - 50) = 155, then 155 + 0.3 * (400 - 155) = 228.5
  router.recordSuccess(c, 400);
  t.strictSame(ids(router, model), ['p1/a', 'p3/c', 'p2/b'], 'c slowed beyond a');
  router.recordSuccess(c, 400);
  const latency = router.snapshot().find((h) => h.id === 'p3/c')?.latencyMs;
  t.ok(latency !== undefined && Math.abs(latency - 228.5) < 1e-9, `EWMA ${latency}`);
  for (let i = 0; i < 10; i++) router.recordSuccess(b, 10);
  t.strictSame(ids(router, model), ['p2/b', 'p1/a', 'p3/c'], 'b recovered and leads');
});

t.test('cost: ascending input + output; config price beats the table; unknown last', async (t) => {
  const { router, model } = modelWith(
    'cost',
    `[{ provider: p1, model: my-finetune }, { provider: p1, model: gpt-4o }, { provider: p2, model: claude-3-5-haiku-20241022 },
      { provider: p3, model: gemini-2.5-flash }, { provider: p1, model: gpt-4o-mini, price: { input: 100, output: 100 } }]`,
  );
  t.strictSame(ids(router, model), ['p3/gemini-2.5-flash', 'p2/claude-3-5-haiku-20241022', 'p1/gpt-4o', 'p1/gpt-4o-mini', 'p1/my-finetune']);
});

t.test('cost orders by the prices the gateway bills at: etc/prices.yaml over the built-in table, the config over both', async (t) => {
  const { router, model } = modelWith(
    'cost',
    `[{ provider: p1, model: gpt-4o }, { provider: p1, model: gpt-4o-mini }, { provider: p1, model: my-finetune }, { provider: p3, model: gemini-2.5-flash, price: { input: 500, output: 500 } }]`,
  );
  t.strictSame(ids(router, model), ['p1/gpt-4o-mini', 'p1/gpt-4o', 'p3/gemini-2.5-flash', 'p1/my-finetune'], 'built-in table only');
  // What a prices.yaml beside the config says (the worker points the router at its price table).
  const table = new PriceTable();
  table.replace(new Map([['gpt-4o-mini', { input: 100, output: 100 }], ['my-finetune', { input: 0.01, output: 0.01 }], ['gemini-2.5-flash', { input: 0, output: 0 }]]), '/prices.yaml');
  router.billedPrice = (target) => table.billedPrice(target);
  t.strictSame(ids(router, model), ['p1/my-finetune', 'p1/gpt-4o', 'p1/gpt-4o-mini', 'p3/gemini-2.5-flash'], 'the file wins over the built-in table; the config price over the file');
});

t.test('round_robin turns over the targets a request may use: an open one does not double its neighbour\'s share', async (t) => {
  const clock = fakeClock();
  const router = new Router(config(`
routing: { breaker_threshold: 1, breaker_cooldown: 1h }
models:
  - { name: rr, strategy: round_robin, targets: [{ provider: p1, model: a }, { provider: p2, model: b }, { provider: p3, model: c }] }
`), clock);
  const model = router.resolve('rr');
  if (!model) throw new Error('no model');
  router.recordFailure(model.targets[1] as never, failure('server_error', { status: 500 }));
  const first: Record<string, number> = {};
  for (let i = 0; i < 300; i++) {
    const id = (router.plan(model)[0] as { id: string }).id;
    first[id] = (first[id] ?? 0) + 1;
  }
  t.same(first, { 'p1/a': 150, 'p3/c': 150 });
});
