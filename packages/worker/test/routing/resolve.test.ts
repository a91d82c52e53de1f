/** Model resolution: exact names, aliases, globs with `*` substitution, precedence, prices. */
import t from 'tap';
import { Router } from '../../src/routing/index.js';
import { config } from './fixtures/index.js';

const router = new Router(
  config(`
models:
  - name: gpt-4o
    aliases: [smart, "literal*star"]
    targets: [{ provider: p1, model: gpt-4o-2024-08-06 }, { provider: p2, model: claude-sonnet-4-20250514, weight: 3 }]
  - { name: "openai/*", targets: [{ provider: p1, model: "*" }] }
  - { name: "openai/special", targets: [{ provider: p2, model: claude-3-5-haiku-latest }] }
  - { name: "any/*", aliases: [fast], targets: [{ provider: p1, model: "*" }, { provider: p3, model: "models/*" }] }
  - { name: "*-via-*", targets: [{ provider: p1, model: "*:*" }] }
  - { name: cheap, targets: [{ provider: p3, model: my-model, price: { input: 1, output: 2, cached_input: 0.5 } }] }
`),
);

t.test('exact names and aliases resolve to the same targets, with the requested name kept', async (t) => {
  const exact = router.resolve('gpt-4o');
  const alias = router.resolve('smart');
  t.ok(exact && alias);
  t.equal(exact?.requested, 'gpt-4o');
  t.equal(alias?.requested, 'smart');
  t.equal(alias?.config.name, 'gpt-4o');
  t.strictSame(exact?.targets.map((x) => [x.id, x.model, x.weight]), [
    ['p1/gpt-4o-2024-08-06', 'gpt-4o-2024-08-06', 1],
    ['p2/claude-sonnet-4-20250514', 'claude-sonnet-4-20250514', 3],
  ]);
  t.equal(exact?.targets[1]?.provider.type, 'anthropic');
  t.equal(router.resolve('literal*star')?.config.name, 'gpt-4o', 'an alias with * is literal');
  t.equal(router.resolve('GPT-4O'), undefined, 'names are case-sensitive');
  t.equal(router.resolve('nope'), undefined);
});

t.test('globs substitute the matched part into target models', async (t) => {
  const m = router.resolve('openai/gpt-4.1-mini');
  t.equal(m?.config.name, 'openai/*');
  t.equal(m?.requested, 'openai/gpt-4.1-mini');
  t.strictSame(m?.targets.map((x) => x.id), ['p1/gpt-4.1-mini']);
  t.strictSame(router.resolve('any/gemini-2.5-flash')?.targets.map((x) => x.model), ['gemini-2.5-flash', 'models/gemini-2.5-flash']);
  t.strictSame(router.resolve('llama3-via-ollama')?.targets.map((x) => x.model), ['llama3:ollama'], 'several stars substitute in order');
  t.equal(router.resolve('openai/'), undefined, 'a star matches at least one character');
  t.equal(router.resolve('xopenai/gpt-4o'), undefined, 'globs are anchored');
  t.equal(router.resolve('openai/a*b'), undefined, 'a star never captures a star');
  t.equal(router.resolve('openai/gpt-4o'), router.resolve('openai/gpt-4o'), 'glob results are cached');
});

t.test('precedence: exact name, then alias, then globs in config order', async (t) => {
  t.equal(router.resolve('openai/special')?.config.name, 'openai/special', 'an exact name beats an earlier glob');
  t.equal(router.resolve('fast')?.config.name, 'any/*', 'an alias of a glob model is an exact name');
  t.strictSame(router.resolve('fast')?.targets.map((x) => x.model), ['*', 'models/*'], 'an alias has nothing to substitute');
  const overlapping = new Router(
    config(`
models:
  - { name: "a/*", targets: [{ provider: p1, model: "first-*" }] }
  - { name: "a/b*", targets: [{ provider: p1, model: "second-*" }] }
`),
  );
  t.strictSame(overlapping.resolve('a/bc')?.targets.map((x) => x.model), ['first-bc'], 'first glob in config order wins');
});

t.test('modelNames lists names and aliases, not globs', async (t) => {
  t.strictSame(router.modelNames(), ['gpt-4o', 'smart', 'literal*star', 'openai/special', 'fast', 'cheap']);
});

t.test('prices: the target price wins, else the built-in table, else none', async (t) => {
  t.strictSame(router.resolve('cheap')?.targets[0]?.price, { input: 1, output: 2, cached_input: 0.5 });
  t.strictSame(router.resolve('gpt-4o')?.targets[0]?.price, { input: 2.5, output: 10, cached_input: 1.25 }, 'dated snapshot finds gpt-4o');
  t.strictSame(router.resolve('gpt-4o')?.targets[1]?.price, { input: 3, output: 15, cached_input: 0.3, cache_write: 3.75, cache_write_1h: 6 });
  t.strictSame(router.resolve('openai/gpt-4o-mini-2024-07-18')?.targets[0]?.price?.input, 0.15, 'longest family wins');
  t.equal(router.resolve('openai/gpt-4omega')?.targets[0]?.price, undefined, 'prefix only on a name boundary');
  t.equal(router.resolve('any/gemini-2.5-flash')?.targets[1]?.price?.input, 0.3, 'models/ prefix stripped');
  t.equal(router.resolve('openai/my-finetune')?.targets[0]?.price, undefined);
});

// Before: the globs were backtracking RegExps; each of these 40 KB names blocked for 1-4 s.
t.test('long adversarial names against globs with several stars are answered at once', async (t) => {
  const globs = new Router(
    config(`
models:
  - { name: "*/*", targets: [{ provider: p1, model: "*" }] }
  - { name: "gpt-*-*-mini", targets: [{ provider: p1, model: "*:*" }] }
`),
  );
  t.equal(globs.resolve(`${'a/'.repeat(20_000)}*`), undefined);
  const dashes = `gpt-${'-'.repeat(40_000)}`;
  t.equal(globs.resolve(`${dashes}mini`)?.config.name, 'gpt-*-*-mini');
  t.equal(globs.resolve(`${dashes}x`), undefined);
  t.strictSame(globs.resolve('a/b/c')?.targets.map((x) => x.model), ['a/b'], 'the first star still takes the longest run');
});

t.test('the cache identity: one per model and its targets, shared by aliases, distinct per glob match and per reload that moves a model', async (t) => {
  const identity = (name: string) => router.resolve(name)?.cacheIdentity;
  t.equal(identity('smart'), identity('gpt-4o'), 'an alias shares its model\'s entries');
  t.not(identity('openai/gpt-4o'), identity('openai/gpt-4o-mini'), 'two names of one glob are two upstream models');
  t.equal(identity('openai/gpt-4o'), router.resolve('openai/gpt-4o')?.cacheIdentity, 'stable');
  const moved = new Router(
    config(`
models:
  - { name: gpt-4o, aliases: [smart, "literal*star"], targets: [{ provider: p1, model: gpt-4o-2024-11-20 }, { provider: p2, model: claude-sonnet-4-20250514, weight: 3 }] }
`),
  );
  t.not(moved.resolve('gpt-4o')?.cacheIdentity, identity('gpt-4o'), 'another upstream model after a reload: new entries');
  const reweighted = new Router(
    config(`
models:
  - { name: gpt-4o, targets: [{ provider: p1, model: gpt-4o-2024-08-06, weight: 5 }, { provider: p2, model: claude-sonnet-4-20250514 }] }
`),
  );
  t.equal(reweighted.resolve('gpt-4o')?.cacheIdentity, identity('gpt-4o'), 'weights do not change what answers');
});

t.test('a glob never puts a . or .. path segment of the caller into a target model', async (t) => {
  // Gemini and Azure put the model in the URL path: `..` would leave the base URL's path, past
  // the key's model allowlist (which matched the glob) and the price table.
  for (const name of ['any/gemini-2.0-flash/../models/gemini-2.5-pro', 'any/x/../../../v1/models/y', 'any/..', 'any/./x', 'any/a\\..\\b', 'openai/..']) {
    t.equal(router.resolve(name), undefined, name);
  }
  t.equal(router.resolve('any/gemini-2.0-flash')?.targets[1]?.model, 'models/gemini-2.0-flash', 'ordinary names still match');
  t.equal(router.resolve('any/v1.5..beta')?.targets[0]?.model, 'v1.5..beta', 'dots inside a segment are fine');
});
