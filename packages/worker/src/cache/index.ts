/**
 * The exact-match response cache (issue 4): entries live in the shared state backend (the
 * supervisor's LRU store for `local`, keys with a PX TTL for `redis`), keyed by a canonical hash
 * of the request (key.ts). An entry is the complete successful answer in the caller's protocol;
 * plain and streamed requests share it (capture.ts folds a stream into it, serve.ts replays it).
 *
 * Each worker keeps copies of the entries it read from the store (hot.ts), so a repeated hit
 * costs no round trip; entries carry their expiry (entry.ts), so those copies end with them.
 *
 * Per request: `x-cache: HIT | MISS` when cache.enabled; `cache-control: no-cache` or `no-store`
 * from the caller skips both the lookup and the store: a MISS on the wire (the answer did not come
 * from the cache), `bypass` in the access log and metrics.
 */
import type { ClientProtocol } from '../pipeline/types.js';
import type { StateBackend } from '../state/index.js';
import { frameEntry, unframeEntry } from './entry.js';
import { HotEntries } from './hot.js';

export { cacheKeyOf, sha256Hex, stableStringify } from './key.js';
export { AnswerCapture, storablePlain, MAX_CAPTURE_BYTES } from './capture.js';
export { prepareHit, sendCached, type CachedAnswer } from './serve.js';
export { replayAnthropic, replayChat, replayCompletion } from './replay.js';
export { assembleAnthropic } from './assemble-anthropic.js';
export { assembleChat, assembleCompletion } from './assemble-openai.js';
export { frameEntry, unframeEntry } from './entry.js';
export { HotEntries, HOT_MAX_BYTES, HOT_MAX_ENTRIES, HOT_MAX_ENTRY_BYTES } from './hot.js';

/** The cache's verdict on one request (also what metrics record). */
export type CacheStatus = 'hit' | 'miss' | 'bypass' | 'off';

export const X_CACHE = 'x-cache';
export const X_CACHE_VALUE: Readonly<Record<Exclude<CacheStatus, 'off'>, string>> = { hit: 'HIT', miss: 'MISS', bypass: 'MISS' };

/** Endpoints whose answers are cached; count_tokens is answered cheaply and never cached. */
export function isCacheable(protocol: ClientProtocol): boolean {
  return protocol !== 'anthropic-count-tokens';
}

/** `no-cache` or `no-store` among the request's cache-control directives. */
export function bypassRequested(cacheControl: string): boolean {
  return cacheControl !== '' && /(?:^|[\s,])no-(?:cache|store)(?:$|[\s,=])/i.test(cacheControl);
}

export class ResponseCache {
  constructor(
    private readonly backend: StateBackend,
    readonly ttlMs: number,
    private readonly hot: HotEntries = new HotEntries(),
    private readonly now: () => number = Date.now,
  ) {}

  /** 'off' for endpoints never cached; 'bypass' when the caller asked; else the lookup decides. */
  statusFor(protocol: ClientProtocol, cacheControl: string): 'off' | 'bypass' | 'lookup' {
    if (!isCacheable(protocol)) return 'off';
    return bypassRequested(cacheControl) ? 'bypass' : 'lookup';
  }

  /** This worker's copy of the entry (hot.ts), without asking the store; null: none kept. */
  kept(key: string): Buffer | null {
    return this.hot.get(key, this.now(), this.touch);
  }

  /** The entry, or null (miss, unreachable backend, timeout, expired, unreadable). */
  get(key: string): Promise<Buffer | null> {
    const kept = this.kept(key);
    return kept !== null ? Promise.resolve(kept) : this.fromStore(key);
  }

  /** The entry as the shared store has it (for a caller that found no copy with kept()); kept here after. */
  fromStore(key: string): Promise<Buffer | null> {
    return this.backend.cacheGet(key).then((stored) => {
      const entry = stored === null ? null : unframeEntry(stored);
      // Expired by its own date: the store may keep it a little longer (a sweep, another host's clock).
      const now = this.now();
      if (entry === null || entry.expiresAt <= now) return null;
      this.hot.add(key, entry.answer, entry.expiresAt, now);
      return entry.answer;
    });
  }

  /** A hit from this worker's copy keeps the entry recently used in the store (its LRU order). */
  private readonly touch = (key: string): void => this.backend.cacheTouch(key);

  /** Fire-and-forget. */
  set(key: string, entry: Buffer): void {
    this.backend.cacheSet(key, frameEntry(entry, this.now() + this.ttlMs), this.ttlMs);
  }

  /** Stores the entry, then calls `send` (see StateBackend.cacheSetBeforeSend). */
  setBeforeSend(key: string, entry: Buffer, send: () => void): void {
    this.backend.cacheSetBeforeSend(key, frameEntry(entry, this.now() + this.ttlMs), this.ttlMs, send);
  }
}
