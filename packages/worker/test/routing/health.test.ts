/**
 * Target health registry: glob (dynamic) targets are evicted least recently used first, static
 * ones never, so a caller sending fresh model names cannot wipe the breaker of a target in use.
 * allBreakersOpen (passive provider health) agrees with the full snapshot throughout.
 */
import t from 'tap';
import { HealthRegistry } from '../../src/routing/health.js';
import { Router, type AttemptResult, type ResolvedModel, type RouteTarget } from '../../src/routing/index.js';
import { config, failure, fakeClock } from './fixtures/index.js';

const THRESHOLD = 3;
const FAILED: AttemptResult = { ok: false, failure: failure('server_error', { status: 500 }) };

function setup() {
  const clock = fakeClock(0.5);
  const cfg = config(`
routing: { retries: 0, breaker_threshold: ${THRESHOLD}, breaker_cooldown: 60s }
models:
${Array.from({ length: 10 }, (_, i) => `  - { name: static-${i}, targets: [{ provider: p1, model: s${i} }] }`).join('\n')}
  - { name: "openai/*", targets: [{ provider: p1, model: "*" }] }
  - { name: "claude/*", targets: [{ provider: p2, model: "*" }] }
`);
  const router = new Router(cfg, clock);
  const model = (name: string) => router.resolve(name) as ResolvedModel;
  const run = (name: string, result: AttemptResult) => router.execute(model(name), async () => result);
  /** allBreakersOpen as it was computed from the snapshot before it had its own method. */
  const fromSnapshot = (provider: string) => {
    const own = router.snapshot().filter((h) => h.provider === provider);
    return own.length > 0 && own.every((h) => h.breaker === 'open');
  };
  return { router, cfg, model, run, fromSnapshot };
}

t.test('a busy glob target keeps its open breaker through a flood of fresh names', async (t) => {
  const { router, run, fromSnapshot } = setup();
  for (let i = 0; i < THRESHOLD; i++) await run('openai/busy', FAILED);
  const busy = () => router.snapshot().find((h) => h.id === 'p1/busy');
  t.equal(busy()?.breaker, 'open');

  let disagreements = 0;
  for (let i = 0; i < 5_000; i++) {
    await run(`openai/fresh-${i}`, { ok: true });
    // The busy target keeps being asked for: refused by its open breaker, still in use.
    if (i % 100 === 0) await run('openai/busy', { ok: true });
    if (i % 997 === 0 && router.allBreakersOpen('p1') !== fromSnapshot('p1')) disagreements++;
  }
  t.equal(busy()?.breaker, 'open', 'still open: its state was not wiped');
  t.equal(busy()?.failures, THRESHOLD);

  const ids = new Set(router.snapshot().map((h) => h.id));
  for (let i = 0; i < 10; i++) t.ok(ids.has(`p1/s${i}`), `static p1/s${i} kept`);
  t.equal(ids.size, 10 + 1024, 'the 10 static targets plus 1024 dynamic ones');
  t.notOk(ids.has('p1/fresh-0'), 'the least recently used fresh names went');
  t.ok(ids.has('p1/fresh-4999'));
  t.equal(disagreements, 0, 'allBreakersOpen agrees with the snapshot');
});

t.test('allBreakersOpen: every known target of the provider open, evicted ones forgotten', async (t) => {
  const { router, run, fromSnapshot } = setup();
  t.equal(router.allBreakersOpen('p2'), false, 'no target of p2 known yet');
  t.equal(router.allBreakersOpen('nope'), false, 'unknown provider');
  for (let i = 0; i < THRESHOLD; i++) await run('claude/a', FAILED);
  t.equal(router.allBreakersOpen('p2'), true, 'its only known target is open');
  await run('claude/b', FAILED);
  t.equal(router.allBreakersOpen('p2'), false, 'a second target, still closed');
  for (let i = 0; i < THRESHOLD; i++) await run('claude/b', FAILED);
  t.equal(router.allBreakersOpen('p2'), true);
  // Evict both p2 targets with fresh p1 names: p2 is no longer known at all.
  for (let i = 0; i < 1024; i++) await run(`openai/x${i}`, { ok: true });
  t.equal(router.allBreakersOpen('p2'), fromSnapshot('p2'));
  t.equal(router.allBreakersOpen('p2'), false, 'evicted targets are not counted');
  t.equal(router.allBreakersOpen('p1'), false, 'p1 statics are closed');
});

t.test('HealthRegistry: LRU among dynamic targets, statics never evicted, register promotes', async (t) => {
  const { cfg } = setup();
  const provider = cfg.providers[0]!;
  const target = (model: string): RouteTarget => ({ id: `${provider.name}/${model}`, provider, model, weight: 1, price: undefined });
  const registry = new HealthRegistry(cfg.routing, 3);
  registry.register(target('s'));
  const a = registry.get(target('a'));
  registry.get(target('b'));
  registry.get(target('c'));
  t.equal(registry.get(target('a')), a, 'a touched: most recently used');
  registry.get(target('d')); // evicts b, the least recently used
  t.same([...registry.all()].map((s) => s.target.model), ['s', 'c', 'a', 'd']);
  t.equal(registry.peek('p1/b'), undefined);
  t.equal(registry.ofProvider('p1')?.size, 4, 'the provider group follows evictions');

  registry.register(target('c')); // a dynamic target becomes static: same stats, never evicted
  for (const m of ['e', 'f', 'g', 'h']) registry.get(target(m));
  t.same([...registry.all()].map((s) => s.target.model), ['s', 'c', 'f', 'g', 'h']);
  t.equal(registry.ofProvider('p1')?.size, 5);
});
