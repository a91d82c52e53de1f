/**
 * The response cache's key: sha256 of a canonical serialisation (object keys sorted, undefined
 * dropped) of everything that shapes the answer: the caller's protocol (entries hold answers in
 * that protocol), the RESOLVED model (its name and targets: aliases share entries, names matching
 * one glob do not, see ResolvedModel.cacheIdentity), and the request body minus the
 * fields that only concern delivery or bookkeeping. Everything else stays in the key on purpose:
 * an unknown sampling field wrongly left out would serve a wrong answer, one wrongly kept only
 * costs a miss.
 */
import { hash } from 'node:crypto';
import type { ClientCall } from '../pipeline/types.js';

/**
 * Top-level body fields that do not change the answer's content: how it is delivered (stream,
 * stream_options: plain and streamed requests share entries), who asked (user, safety_identifier,
 * metadata), and provider-side bookkeeping (store, service_tier, prompt_cache_key). `model` is replaced by the resolved name.
 */
const EXCLUDED_FIELDS: ReadonlySet<string> = new Set(['model', 'stream', 'stream_options', 'user', 'safety_identifier', 'metadata', 'store', 'service_tier', 'prompt_cache_key']);

/** Bumped when the stored format or the key recipe changes, so old entries are never read. */
const KEY_VERSION = 'gw-cache-3';

/** JSON with object keys sorted at every depth; undefined members are dropped, as JSON.stringify does. */
export function stableStringify(value: unknown): string {
  return write(value);
}

/**
 * Thrown for a body the canonical form cannot tell apart from another: an integer beyond 2^53
 * (an int64 `seed`) was rounded by JSON.parse, while the upstream gets the caller's exact digits.
 */
class UncacheableBody extends Error {}

// String concatenation (V8 ropes) rather than an array of parts: about half the cost here.
function write(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) throw new UncacheableBody();
      // Number to string is JSON's own algorithm; parsed JSON holds no NaN or Infinity.
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? writeArray(value) : writeObject(value as Record<string, unknown>, null);
    default:
      // A top-level undefined (which cannot occur in parsed JSON) as JSON does.
      return JSON.stringify(value) ?? 'null';
  }
}

function writeArray(array: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < array.length; i++) {
    if (i > 0) out += ',';
    const item: unknown = array[i];
    out += item === undefined ? 'null' : write(item);
  }
  return `${out}]`;
}

/** What JSON.stringify would escape: quotes, backslashes, control characters, lone surrogates (checked by JSON.stringify itself). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify of a string, without its call for the common string that needs no escape. */
function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function writeObject(object: Record<string, unknown>, skip: ReadonlySet<string> | null): string {
  const keys = Object.keys(object);
  if (keys.length > 1) keys.sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = object[key];
    if (member === undefined || (skip !== null && skip.has(key))) continue;
    if (!first) out += ',';
    first = false;
    out += `${quote(key)}:${write(member)}`;
  }
  return `${out}}`;
}

/** One-shot sha256 (crypto.hash: no Hash object per call). */
export function sha256Hex(data: string): string {
  return hash('sha256', data, 'hex');
}

/**
 * The cache key (64 hex characters) of a validated call whose model resolved to one with
 * `modelIdentity` (ResolvedModel.cacheIdentity); null when the body cannot be cached (see
 * UncacheableBody). `partition` separates callers who must not share answers: a caller that
 * brings its own provider key (auth modes client / hybrid) gets entries of its own, so a hit
 * never skips the upstream's check of a key that was not the one that paid for the answer.
 */
export function cacheKeyOf(call: ClientCall, modelIdentity: string, partition = ''): string | null {
  // Each part is a fixed token or self-delimiting JSON (the identity is a JSON array), so no two differ only in where one ends.
  const head = `${KEY_VERSION}|${JSON.stringify(partition)}|${call.protocol}|${modelIdentity}|`;
  try {
    return sha256Hex(head + writeObject(call.body as unknown as Record<string, unknown>, EXCLUDED_FIELDS));
  } catch (err) {
    if (err instanceof UncacheableBody) return null;
    throw err;
  }
}
