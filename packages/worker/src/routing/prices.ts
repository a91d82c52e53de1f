/**
 * Built-in default prices (USD per million tokens) of well-known OpenAI, Anthropic and Gemini
 * models, as published by the providers in 2025. They are defaults only: a target's `price` in the
 * config always wins, and a model missing here has no price (the `cost` strategy puts it last).
 * Gemini prices are the standard tier for prompts up to 200k tokens.
 *
 * Lookup is by longest prefix on a name boundary, so dated snapshots and tags find their family:
 * `claude-sonnet-4-20250514`, `gpt-4o-mini-2024-07-18`, `models/gemini-2.5-flash`, `x@20240620`.
 */
import type { PriceConfig } from '@gatewayd/shared';

type Row = readonly [input: number, output: number, cachedInput?: number, cacheWrite?: number, cacheWrite1h?: number];

const TABLE: Record<string, Row> = {
  // OpenAI
  'gpt-5': [1.25, 10, 0.125],
  'gpt-5-mini': [0.25, 2, 0.025],
  'gpt-5-nano': [0.05, 0.4, 0.005],
  'gpt-5-pro': [15, 120],
  'gpt-4.1': [2, 8, 0.5],
  'gpt-4.1-mini': [0.4, 1.6, 0.1],
  'gpt-4.1-nano': [0.1, 0.4, 0.025],
  'gpt-4o': [2.5, 10, 1.25],
  'gpt-4o-mini': [0.15, 0.6, 0.075],
  'gpt-4-turbo': [10, 30],
  'gpt-4': [30, 60],
  'gpt-3.5-turbo': [0.5, 1.5],
  'o1': [15, 60, 7.5],
  'o1-mini': [1.1, 4.4, 0.55],
  'o1-pro': [150, 600],
  'o3': [2, 8, 0.5],
  'o3-mini': [1.1, 4.4, 0.55],
  'o3-pro': [20, 80],
  'o4-mini': [1.1, 4.4, 0.275],
  'text-embedding-3-small': [0.02, 0],
  'text-embedding-3-large': [0.13, 0],
  'text-embedding-ada-002': [0.1, 0],
  // Anthropic (cached_input: cache read; cache writes: 1.25 x input for 5 minutes, 2 x for 1 hour)
  'claude-opus-4-5': [5, 25, 0.5, 6.25, 10],
  'claude-opus-4-1': [15, 75, 1.5, 18.75, 30],
  'claude-opus-4': [15, 75, 1.5, 18.75, 30],
  'claude-sonnet-4-5': [3, 15, 0.3, 3.75, 6],
  'claude-sonnet-4': [3, 15, 0.3, 3.75, 6],
  'claude-haiku-4-5': [1, 5, 0.1, 1.25, 2],
  'claude-3-7-sonnet': [3, 15, 0.3, 3.75, 6],
  'claude-3-5-sonnet': [3, 15, 0.3, 3.75, 6],
  'claude-3-5-haiku': [0.8, 4, 0.08, 1, 1.6],
  'claude-3-opus': [15, 75, 1.5, 18.75, 30],
  'claude-3-haiku': [0.25, 1.25, 0.03, 0.3, 0.5],
  // Gemini
  'gemini-2.5-pro': [1.25, 10, 0.31],
  'gemini-2.5-flash': [0.3, 2.5, 0.075],
  'gemini-2.5-flash-lite': [0.1, 0.4, 0.025],
  'gemini-2.0-flash': [0.1, 0.4, 0.025],
  'gemini-2.0-flash-lite': [0.075, 0.3],
  'gemini-1.5-pro': [1.25, 5],
  'gemini-1.5-flash': [0.075, 0.3],
  'text-embedding-004': [0, 0],
};

/** Characters that may follow a family name in a longer model id. */
const BOUNDARY = new Set(['-', '@', ':']);

/** The built-in price of a model, or undefined when it is not a well-known one. */
export function builtinPrice(model: string): PriceConfig | undefined {
  const name = model.startsWith('models/') ? model.slice('models/'.length) : model;
  let best: string | undefined;
  for (const family of Object.keys(TABLE)) {
    if (!name.startsWith(family)) continue;
    const next = name.charAt(family.length);
    if (next !== '' && !BOUNDARY.has(next)) continue;
    if (best === undefined || family.length > best.length) best = family;
  }
  if (best === undefined) return undefined;
  const [input, output, cachedInput, cacheWrite, cacheWrite1h] = TABLE[best] as Row;
  const price: PriceConfig = { input, output };
  if (cachedInput !== undefined) price.cached_input = cachedInput;
  if (cacheWrite !== undefined) price.cache_write = cacheWrite;
  if (cacheWrite1h !== undefined) price.cache_write_1h = cacheWrite1h;
  return price;
}

/** The model families with a built-in price (the shipped etc/prices.yaml lists the same, test-checked). */
export function builtinFamilies(): string[] {
  return Object.keys(TABLE);
}

/** Sort key of the `cost` strategy: input + output per million; Infinity when unknown. */
export function costKey(price: PriceConfig | undefined): number {
  return price ? price.input + price.output : Number.POSITIVE_INFINITY;
}
