/**
 * Token usage of a forwarded (not parsed) JSON answer: the last `"usage"` key is found with a
 * native byte search from the end (where both OpenAI and Anthropic put it), and only the object
 * after it is parsed. The body itself is never decoded as a whole.
 */
import type { TokenUsage } from './types.js';

const USAGE_KEY = Buffer.from('"usage"');
const OPEN = 0x7b;
const CLOSE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** A usage object is small; a "usage" key followed by something huge is not what we look for. */
const MAX_USAGE_BYTES = 4096;

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** Byte range [start, end) of the object value of the last `"usage"` key, or undefined. */
function lastUsageRange(body: Buffer): [number, number] | undefined {
  const at = body.lastIndexOf(USAGE_KEY);
  if (at === -1) return undefined;
  let i = at + USAGE_KEY.length;
  while (isSpace(body[i])) i++;
  if (body[i] !== 0x3a) return undefined;
  i++;
  while (isSpace(body[i])) i++;
  if (body[i] !== OPEN) return undefined;
  const start = i;
  const limit = Math.min(body.length, start + MAX_USAGE_BYTES);
  let depth = 0;
  let inString = false;
  for (; i < limit; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN) depth++;
    else if (byte === CLOSE && --depth === 0) return [start, i + 1];
  }
  return undefined;
}

/** The JSON object value of the last `"usage"` key, or undefined. */
export function lastUsageObject(body: Buffer): Record<string, unknown> | undefined {
  const range = lastUsageRange(body);
  if (range === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(body.toString('utf8', range[0], range[1]));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const PROMPT_TOKENS = Buffer.from('"prompt_tokens"');
const COMPLETION_TOKENS = Buffer.from('"completion_tokens"');
const CACHED_TOKENS = Buffer.from('"cached_tokens"');

/**
 * The number after `key:` inside [start, end), 0 when absent or not a number. A quoted key cannot
 * occur inside a JSON string (its quotes would be escaped), and a key used as a string value is
 * not followed by a colon, so a byte search is exact for the flat counters of a usage object.
 */
function numberAt(body: Buffer, key: Buffer, start: number, end: number): number {
  let i = start;
  for (;;) {
    const at = body.indexOf(key, i);
    if (at === -1 || at >= end) return 0;
    i = at + key.length;
    while (isSpace(body[i])) i++;
    if (body[i] === 0x3a) break; // else: the name was a string value; look further
  }
  i++;
  while (isSpace(body[i])) i++;
  let value = 0;
  let digits = 0;
  for (let byte = body[i]; byte !== undefined && byte >= 0x30 && byte <= 0x39; byte = body[++i]) {
    value = value * 10 + (byte - 0x30);
    digits++;
  }
  return digits === 0 ? 0 : value;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** OpenAI usage: prompt_tokens (cached included) and completion_tokens. */
export function openaiUsageOf(body: Buffer): TokenUsage | undefined {
  // Every answer pays for this: the counters are read in place, no JSON.parse of the object.
  const range = lastUsageRange(body);
  if (range === undefined) return undefined;
  const [start, end] = range;
  // issue 5: cached prompt tokens (prompt_tokens_details.cached_tokens), for the cached_input price.
  return withCached({ prompt: numberAt(body, PROMPT_TOKENS, start, end), completion: numberAt(body, COMPLETION_TOKENS, start, end) }, numberAt(body, CACHED_TOKENS, start, end));
}

/** Anthropic usage: input_tokens excludes cache reads and writes, so they are added back. */
export function anthropicUsageOf(usage: Record<string, unknown> | undefined): TokenUsage | undefined {
  if (usage === undefined) return undefined;
  const prompt = count(usage.input_tokens) + count(usage.cache_read_input_tokens) + count(usage.cache_creation_input_tokens);
  return withCacheWrites(withCached({ prompt, completion: count(usage.output_tokens) }, count(usage.cache_read_input_tokens)), usage);
}

/** Anthropic's cache writes (and their 1-hour part), priced above plain input. */
export function withCacheWrites(usage: TokenUsage, anthropic: Record<string, unknown>): TokenUsage {
  const written = count(anthropic.cache_creation_input_tokens);
  if (written <= 0) return usage;
  usage.cacheWrite = written;
  const breakdown = anthropic.cache_creation;
  const hour = typeof breakdown === 'object' && breakdown !== null ? Math.min(written, count((breakdown as Record<string, unknown>).ephemeral_1h_input_tokens)) : 0;
  if (hour > 0) usage.cacheWrite1h = hour;
  return usage;
}

/** issue 5: adds the cached prompt tokens (cost at the cached_input price) when there are any. */
export function withCached(usage: TokenUsage, cached: number): TokenUsage {
  if (cached > 0) usage.cached = cached;
  return usage;
}
