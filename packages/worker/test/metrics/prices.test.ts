/** The price table (etc/prices.yaml), its lookup rules and the cost of a request. */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { costUsd, loadPriceTable, parsePriceFile, PriceFileError, PriceTable } from '../../src/metrics/index.js';
import { builtinFamilies, builtinPrice } from '../../src/routing/prices.js';

const SHIPPED = fileURLToPath(new URL('../../../../etc/prices.yaml', import.meta.url));
const SHIPPED_CONFIG = fileURLToPath(new URL('../../../../etc/gatewayd.yaml', import.meta.url));

t.test('the shipped etc/prices.yaml loads and prices the main OpenAI, Anthropic and Gemini models', async (t) => {
  const table = new PriceTable();
  await loadPriceTable(table, SHIPPED_CONFIG, {});
  t.equal(table.source, SHIPPED, 'found beside the default config');
  t.ok(table.size >= 30, `${table.size} models`);
  t.match(table.lookup('gpt-4o'), { input: 2.5, output: 10, cached_input: 1.25 });
  t.match(table.lookup('gpt-4o-mini-2024-07-18'), { input: 0.15, output: 0.6 }, 'a dated snapshot finds its family');
  t.match(table.lookup('claude-sonnet-4-20250514'), { input: 3, output: 15 }, 'the SPEC example model');
  t.match(table.lookup('models/gemini-2.5-flash'), { input: 0.3, output: 2.5 }, 'the Gemini models/ prefix is ignored');
  t.equal(table.lookup('gpt-4.1-mini')?.input, 0.4, 'the longest family wins (gpt-4.1-mini, not gpt-4.1 or gpt-4)');
  t.equal(table.lookup('gpt-4oops'), undefined, 'a prefix must end on a name boundary');
  t.equal(table.lookup('llama-3.1-70b'), undefined, 'unknown models have no price');
});

t.test('cost: prompt minus cached at input, cached at cached_input, completion at output', async (t) => {
  const price = { input: 2.5, output: 10, cached_input: 1.25 };
  t.equal(costUsd(price, { promptTokens: 1_000_000, completionTokens: 0, cachedTokens: 0 }), 2.5);
  t.equal(costUsd(price, { promptTokens: 1000, completionTokens: 500, cachedTokens: 400 }), (600 * 2.5 + 400 * 1.25 + 500 * 10) / 1e6);
  t.equal(costUsd({ input: 3, output: 15 }, { promptTokens: 1000, completionTokens: 0, cachedTokens: 1000 }), 0.003, 'no cached_input: cached tokens at the input price');
  t.equal(costUsd(price, { promptTokens: 10, completionTokens: 0, cachedTokens: 50 }), 10 * 1.25 / 1e6, 'cached never exceeds prompt');
  t.equal(costUsd(undefined, { promptTokens: 1000, completionTokens: 1000, cachedTokens: 0 }), 0, 'no price, no cost');
});

t.test("Anthropic's prompt-cache writes: at cache_write, 1-hour ones at cache_write_1h; the shipped table and the built-in prices have them", async (t) => {
  const sonnet = { input: 3, output: 15, cached_input: 0.3, cache_write: 3.75, cache_write_1h: 6 };
  // 1,000 prompt tokens: 100 plain input, 200 read, 700 written of which 300 for an hour.
  const usage = { promptTokens: 1000, completionTokens: 10, cachedTokens: 200, cacheWriteTokens: 700, cacheWrite1hTokens: 300 };
  t.equal(costUsd(sonnet, usage), (100 * 3 + 200 * 0.3 + 400 * 3.75 + 300 * 6 + 10 * 15) / 1e6);
  t.equal(costUsd({ input: 3, output: 15, cache_write: 3.75 }, usage), (100 * 3 + 200 * 3 + 700 * 3.75 + 10 * 15) / 1e6, 'no cache_write_1h: every write at cache_write');
  t.equal(costUsd({ input: 3, output: 15 }, usage), (1000 * 3 + 10 * 15) / 1e6, 'no write prices: the input price');
  t.equal(costUsd(sonnet, { ...usage, cacheWriteTokens: 5000 }), (200 * 0.3 + 500 * 3.75 + 300 * 6 + 10 * 15) / 1e6, 'writes never exceed the prompt left after reads');
  const table = new PriceTable();
  await loadPriceTable(table, SHIPPED_CONFIG, {});
  t.match(table.lookup('claude-sonnet-4-5-20250929'), sonnet);
  const { builtinPrice } = await import('../../src/routing/prices.js');
  t.same(builtinPrice('claude-sonnet-4-5-20250929'), sonnet);
  t.same(builtinPrice('claude-haiku-4-5'), { input: 1, output: 5, cached_input: 0.1, cache_write: 1.25, cache_write_1h: 2 });
});

t.test("a target's configured price wins over the table", async (t) => {
  const table = new PriceTable();
  table.replace(new Map([['gpt-4o', { input: 2.5, output: 10 }]]), 'x');
  t.same(table.priceOf({ model: 'gpt-4o', price: { input: 1, output: 1 } }), { input: 1, output: 1 });
  t.same(table.priceOf({ model: 'gpt-4o' }), { input: 2.5, output: 10 });
  t.equal(table.costOf({ model: 'gpt-4o' }, { promptTokens: 1_000_000, completionTokens: 1_000_000, cachedTokens: 0 }), 12.5);
});

t.test('a broken price file names the file and the entry', async (t) => {
  await t.rejects(parsePriceFile('models:\n  gpt-x: { input: -1, output: 2 }\n', '/x/prices.yaml'), { name: 'PriceFileError', message: '/x/prices.yaml: models.gpt-x.input: expected a number >= 0 (USD per million tokens)' });
  await t.rejects(parsePriceFile('models:\n  gpt-x: { input: 1, output: 2, cache: 1 }\n', 'p.yaml'), /models\.gpt-x\.cache: unknown field/);
  await t.rejects(parsePriceFile('models: [1, 2]\n', 'p.yaml'), PriceFileError);
  await t.rejects(parsePriceFile('models: {\n', 'p.yaml'), /^p\.yaml: /);
});

t.test('$GATEWAYD_PRICES points at another file; no file beside the config means no table', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gwd-prices-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'gatewayd.yaml');
  writeFileSync(config, readFileSync(SHIPPED_CONFIG));
  const table = new PriceTable();
  await loadPriceTable(table, config, {});
  t.equal(table.source, null);
  t.equal(table.size, 0);
  const custom = join(dir, 'custom.yaml');
  writeFileSync(custom, 'models:\n  my-model: { input: 1, output: 2 }\n');
  await loadPriceTable(table, config, { GATEWAYD_PRICES: custom });
  t.equal(table.source, custom);
  t.same(table.lookup('my-model'), { input: 1, output: 2 });
});

t.test('the built-in prices (routing, cost strategy) and the shipped etc/prices.yaml (cost metric) agree model for model', async (t) => {
  const shipped = await parsePriceFile(readFileSync(SHIPPED, 'utf8'), SHIPPED);
  const families = builtinFamilies();
  t.ok(families.length >= 30, `${families.length} built-in families`);
  for (const family of families) t.same(shipped.get(family), builtinPrice(family), `${family}: same price in both`);
  for (const model of shipped.keys()) t.ok(families.includes(model), `${model}: in the shipped file and built in`);
});

t.test('a pro model is not priced as its family: o3-pro is not o3', async (t) => {
  const table = new PriceTable();
  await loadPriceTable(table, SHIPPED_CONFIG, {});
  t.match(table.lookup('o3-pro-2025-06-10'), { input: 20, output: 80 });
  t.match(table.lookup('o1-pro'), { input: 150, output: 600 });
  t.match(table.lookup('gpt-5-pro'), { input: 15, output: 120 });
});
