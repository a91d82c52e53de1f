/** Api key rotation and cooldowns, with an injected clock; keys never appear in the snapshot. */
import t from 'tap';
import { Router } from '../../src/routing/index.js';
import { config, fakeClock } from './fixtures/index.js';

const yaml = `
routing: { key_cooldown: 60s }
models:
  - { name: m, targets: [{ provider: p1, model: a }, { provider: p2, model: b }] }
`;

function setup() {
  const clock = fakeClock();
  const cfg = config(yaml);
  const router = new Router(cfg, clock);
  const [p1, p2] = cfg.providers as [never, never];
  return { clock, router, p1, p2 };
}

t.test('keys rotate round-robin; a provider without keys gives undefined', async (t) => {
  const { router, p1, p2 } = setup();
  t.strictSame([1, 2, 3, 4, 5].map(() => router.pickKey(p1)), ['k1a', 'k1b', 'k1c', 'k1a', 'k1b']);
  t.equal(router.pickKey(p2), undefined);
  t.equal(router.keyReadyInMs(p2), undefined);
});

t.test('401/403 cool a key down for key_cooldown; it comes back when that expires', async (t) => {
  const { clock, router, p1 } = setup();
  router.coolDownKey(p1, 'k1b', 401);
  t.strictSame([1, 2, 3, 4].map(() => router.pickKey(p1)), ['k1a', 'k1c', 'k1a', 'k1c'], 'k1b skipped');
  router.coolDownKey(p1, 'k1c', 403);
  t.strictSame([1, 2].map(() => router.pickKey(p1)), ['k1a', 'k1a']);
  clock.advance(59_999);
  t.equal(router.pickKey(p1), 'k1a', 'still cooling a millisecond before the end');
  clock.advance(1);
  t.strictSame([1, 2, 3].map(() => router.pickKey(p1)), ['k1b', 'k1c', 'k1a'], 'both back after 60 s');
});

t.test('429: max(key_cooldown, retry-after); all cooling gives null; other statuses are ignored', async (t) => {
  const { clock, router, p1 } = setup();
  router.coolDownKey(p1, 'k1a', 429, 5_000);
  router.coolDownKey(p1, 'k1b', 429, 120_000);
  router.coolDownKey(p1, 'k1c', 500);
  router.coolDownKey(p1, 'not-a-configured-key', 401);
  t.equal(router.pickKey(p1), 'k1c', '500 does not cool a key; unknown keys are not stored');
  router.coolDownKey(p1, 'k1c', 429);
  t.equal(router.pickKey(p1), null, 'all cooling down');
  t.equal(router.keyReadyInMs(p1), 60_000);
  const health = router.snapshot().find((h) => h.id === 'p1/a');
  t.strictSame(health?.keys, { total: 3, coolingDown: 3 });
  clock.advance(60_000);
  t.equal(router.keyReadyInMs(p1), 0);
  t.strictSame([1, 2].map(() => router.pickKey(p1)), ['k1a', 'k1c'], 'short retry-after: back after key_cooldown; k1b still out');
  clock.advance(60_000);
  t.strictSame([1, 2, 3].map(() => router.pickKey(p1)), ['k1a', 'k1b', 'k1c'], 'the long retry-after won for k1b');
});

t.test('the snapshot never contains a key', async (t) => {
  const { router, p1 } = setup();
  router.coolDownKey(p1, 'k1a', 401);
  const text = JSON.stringify(router.snapshot());
  for (const key of ['k1a', 'k1b', 'k1c', 'k3']) t.notMatch(text, key);
  t.match(text, '"total":3');
});
