/** Small helpers shared by the protocol translators. */
import type { OpenaiTextPart, OpenaiUsage } from '@gatewayd/shared';
import { TranslationError } from './errors.js';

export interface DataUrl {
  mediaType: string;
  /** Base64 payload (percent-encoded data URLs are re-encoded to base64). */
  base64: string;
}

/**
 * Parses `data:<media type>[;params][;base64],<data>`; undefined for any other URL. Throws a
 * TranslationError when the percent-encoded form does not decode.
 */
export function parseDataUrl(url: string): DataUrl | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  if (comma === -1) return undefined;
  const meta = url.slice(5, comma).split(';');
  const isBase64 = meta[meta.length - 1]?.toLowerCase() === 'base64';
  const mediaType = meta[0] || 'text/plain';
  const payload = url.slice(comma + 1);
  const base64 = isBase64 ? payload : Buffer.from(percentDecoded(payload), 'utf8').toString('base64');
  return { mediaType, base64 };
}

/** A bad `%` escape is the caller's mistake: a 400 (TranslationError), not a URIError and a 500. */
function percentDecoded(payload: string): string {
  try {
    return decodeURIComponent(payload);
  } catch {
    throw new TranslationError('a data: URL without ;base64 has an invalid percent-encoding');
  }
}

export function toDataUrl(mediaType: string, base64: string): string {
  return `data:${mediaType};base64,${base64}`;
}

/** Text of a string-or-parts content field; parts that are not text are skipped. */
export function textOf(content: string | ReadonlyArray<{ type: string; text?: string; refusal?: string }> | null | undefined, separator = ''): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  const texts: string[] = [];
  for (const part of content) {
    if (part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    else if (part.type === 'refusal' && typeof part.refusal === 'string') texts.push(part.refusal);
  }
  return texts.join(separator);
}

export function textParts(content: string | OpenaiTextPart[]): OpenaiTextPart[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content.filter((p) => p.type === 'text');
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** OpenAI usage object in the shape api.openai.com returns (details always present). */
/**
 * Anthropic's prompt-cache writes on a hub (OpenAI-shaped) usage object, which has no field for
 * them: under a symbol, which JSON.stringify leaves out, so callers never see it while the cost
 * of a translated answer still prices them (pipeline/adapter.ts usageFromOpenai).
 */
export const CACHE_WRITES: unique symbol = Symbol('gatewayd.cacheWrites');
export type HubUsage = OpenaiUsage & { [CACHE_WRITES]?: { tokens: number; hour: number } };

export function makeOpenaiUsage(prompt: number, completion: number, cached: number, reasoning = 0): OpenaiUsage {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: reasoning },
  };
}

/** Stop sequences as a list: OpenAI accepts a string or an array (up to 4). */
export function stopList(stop: string | string[] | null | undefined): string[] | undefined {
  if (stop == null) return undefined;
  const list = (typeof stop === 'string' ? [stop] : stop).filter((s) => s.length > 0);
  return list.length > 0 ? list : undefined;
}
