/**
 * The price table (etc/prices.yaml: USD per million tokens, per upstream model) and the cost of a
 * request. A target's `price` in the config always wins over the table; a model found in neither
 * costs 0 (self-hosted, or unknown: better no figure than a wrong one).
 *
 * File lookup: $GATEWAYD_PRICES, else prices.yaml beside the config file; no file, no table.
 * Model lookup: exact name, else the longest family prefix on a name boundary, so dated snapshots
 * find their family (`gpt-4o-mini-2024-07-18` -> `gpt-4o-mini`, `claude-sonnet-4-20250514` ->
 * `claude-sonnet-4`); a `models/` prefix (Gemini) is ignored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PriceConfig } from '@gatewayd/shared';

export interface TokenUsage {
  /** Input tokens including cached ones and cache writes. */
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  /** Prompt tokens written to the provider's prompt cache (part of promptTokens); absent: 0. */
  cacheWriteTokens?: number;
  /** The part of cacheWriteTokens with a 1-hour lifetime; absent: 0. */
  cacheWrite1hTokens?: number;
}

/**
 * USD for `usage` at `price` (per million tokens): cache reads at cached_input, cache writes at
 * cache_write (1-hour ones at cache_write_1h), the rest of the prompt at input; each defaults to
 * the plainer price.
 */
export function costUsd(price: PriceConfig | undefined, usage: TokenUsage): number {
  if (!price) return 0;
  const prompt = Math.max(0, usage.promptTokens);
  const cached = Math.min(Math.max(0, usage.cachedTokens), prompt);
  const written = Math.min(Math.max(0, usage.cacheWriteTokens ?? 0), prompt - cached);
  const writtenHour = Math.min(Math.max(0, usage.cacheWrite1hTokens ?? 0), written);
  const completion = Math.max(0, usage.completionTokens);
  const writePrice = price.cache_write ?? price.input;
  return (
    ((prompt - cached - written) * price.input +
      cached * (price.cached_input ?? price.input) +
      (written - writtenHour) * writePrice +
      writtenHour * (price.cache_write_1h ?? writePrice) +
      completion * price.output) /
    1_000_000
  );
}

/** The fields of a price, in the file as in a target's `price`. */
const PRICE_FIELDS = ['input', 'output', 'cached_input', 'cache_write', 'cache_write_1h'] as const;

const BOUNDARY = new Set(['-', '@', ':']);

export class PriceTable {
  private entries = new Map<string, PriceConfig>();
  /** Where the table came from, for logs; null when no file was loaded. */
  source: string | null = null;

  get size(): number {
    return this.entries.size;
  }

  replace(entries: ReadonlyMap<string, PriceConfig>, source: string | null): void {
    this.entries = new Map(entries);
    this.source = source;
  }

  lookup(model: string): PriceConfig | undefined {
    const name = model.startsWith('models/') ? model.slice('models/'.length) : model;
    const exact = this.entries.get(name);
    if (exact) return exact;
    let best: string | undefined;
    for (const family of this.entries.keys()) {
      if (!name.startsWith(family) || !BOUNDARY.has(name.charAt(family.length))) continue;
      if (best === undefined || family.length > best.length) best = family;
    }
    return best === undefined ? undefined : this.entries.get(best);
  }

  /** The price of a target: its configured `price`, else the table's entry for its upstream model. */
  priceOf(target: { model: string; price?: PriceConfig | undefined }): PriceConfig | undefined {
    return this.billedPrice({ model: target.model, configuredPrice: target.price });
  }

  /**
   * The price a route target is billed at, in the documented precedence: its `price` in the config
   * (`configuredPrice`), else this table, else the built-in table (RouteTarget.price folds that in
   * after the config's). Cost metrics and the `cost` routing strategy both use it.
   */
  billedPrice(target: { model: string; price?: PriceConfig | undefined; configuredPrice?: PriceConfig | undefined }): PriceConfig | undefined {
    return target.configuredPrice ?? this.lookup(target.model) ?? target.price;
  }

  /** Shorthand for the data path: costUsd(priceOf(target), usage). */
  costOf(target: { model: string; price?: PriceConfig | undefined }, usage: TokenUsage): number {
    return costUsd(this.priceOf(target), usage);
  }
}

export class PriceFileError extends Error {
  override name = 'PriceFileError';
}

function priceField(entry: Record<string, unknown>, field: string, where: string, required: boolean): number | undefined {
  const value = entry[field];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new PriceFileError(`${where}.${field}: expected a number >= 0 (USD per million tokens)`);
  return value;
}

/** Parses the YAML text of a price file; throws PriceFileError naming the file and the entry. */
export async function parsePriceFile(text: string, file: string): Promise<Map<string, PriceConfig>> {
  // Loaded only when a price file exists: workers without one do not pay for the parser.
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new PriceFileError(`${file}: ${(err as Error).message}`);
  }
  const models = (doc as { models?: unknown } | null)?.models;
  if (typeof models !== 'object' || models === null || Array.isArray(models)) throw new PriceFileError(`${file}: models: expected a map of model name -> { ${PRICE_FIELDS.join(', ')} }`);
  const entries = new Map<string, PriceConfig>();
  for (const [name, raw] of Object.entries(models as Record<string, unknown>)) {
    const where = `${file}: models.${name}`;
    if (typeof raw !== 'object' || raw === null) throw new PriceFileError(`${where}: expected { ${PRICE_FIELDS.join(', ')} }`);
    const entry = raw as Record<string, unknown>;
    for (const field of Object.keys(entry)) if (!(PRICE_FIELDS as readonly string[]).includes(field)) throw new PriceFileError(`${where}.${field}: unknown field (${PRICE_FIELDS.join(', ')})`);
    const price: PriceConfig = { input: priceField(entry, 'input', where, true)!, output: priceField(entry, 'output', where, true)! };
    for (const optional of ['cached_input', 'cache_write', 'cache_write_1h'] as const) {
      const value = priceField(entry, optional, where, false);
      if (value !== undefined) price[optional] = value;
    }
    entries.set(name, price);
  }
  return entries;
}

export function priceFilePath(configFile: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const explicit = env['GATEWAYD_PRICES'];
  if (explicit) return explicit;
  const beside = join(dirname(configFile), 'prices.yaml');
  return existsSync(beside) ? beside : null;
}

/** Loads the price file for `configFile` into `table` (left empty when there is none). */
export async function loadPriceTable(table: PriceTable, configFile: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const file = priceFilePath(configFile, env);
  if (file === null) {
    table.replace(new Map(), null);
    return;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PriceFileError(`${file}: ${(err as Error).message}`);
  }
  table.replace(await parsePriceFile(text, file), file);
}
