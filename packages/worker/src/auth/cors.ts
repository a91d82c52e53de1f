/**
 * CORS for browser callers, from `cors.origins`: `*` (any origin), exact origins
 * (`https://app.example.com`), wildcard subdomains (`https://*.example.com`, any depth, not the
 * bare domain) and wildcard ports (`http://localhost:*`). No origins: no CORS headers at all.
 *
 * Credentials (cookies) are never allowed, so `*` is answered with `*` rather than the echoed
 * origin; API keys travel in headers, which only need allow-headers.
 */
import { OriginPattern } from './origin-pattern.js';

const ALLOW_METHODS = 'GET, POST, OPTIONS';
/** Sent when a preflight names no headers; otherwise the requested ones are echoed. */
export const DEFAULT_ALLOW_HEADERS = [
  'authorization',
  'x-api-key',
  'content-type',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'openai-organization',
  'openai-project',
  'x-request-id',
].join(', ');
/** Headers scripts may read: request ids and rate-limit state in both protocols' spellings. */
export const EXPOSE_HEADERS = [
  'x-request-id',
  'request-id',
  'retry-after',
  'retry-after-ms',
  'x-ratelimit-limit-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-requests',
  'x-ratelimit-reset-tokens',
  'anthropic-ratelimit-requests-limit',
  'anthropic-ratelimit-requests-remaining',
  'anthropic-ratelimit-requests-reset',
  'anthropic-ratelimit-tokens-limit',
  'anthropic-ratelimit-tokens-remaining',
  'anthropic-ratelimit-tokens-reset',
  'anthropic-ratelimit-input-tokens-limit',
  'anthropic-ratelimit-input-tokens-remaining',
  'anthropic-ratelimit-input-tokens-reset',
  'anthropic-ratelimit-output-tokens-limit',
  'anthropic-ratelimit-output-tokens-remaining',
  'anthropic-ratelimit-output-tokens-reset',
].join(', ');
/** Browsers clamp this (Chromium to 2 h); one day lets Firefox cache longer. */
const MAX_AGE = '86400';
const MAX_ECHOED_HEADERS = 64;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
/**
 * Longer Origins are never allowed, before any matching: a browser's is a scheme, a host name (at
 * most 253 characters) and a port, so anything longer is not one, and its cost is then bounded.
 */
export const MAX_ORIGIN_LENGTH = 300;

type Headers = Array<[string, string]>;

/** Lowercase, no trailing slash, no default port: the form browsers send in `Origin`. */
function normalizeOrigin(origin: string): string {
  let value = origin.trim().toLowerCase();
  while (value.endsWith('/')) value = value.slice(0, -1);
  if (value.startsWith('https://') && value.endsWith(':443')) value = value.slice(0, -4);
  else if (value.startsWith('http://') && value.endsWith(':80')) value = value.slice(0, -3);
  return value;
}

const VARY_ORIGIN: Headers = [['vary', 'origin']];

export class Cors {
  private readonly any: boolean;
  private readonly exact = new Set<string>();
  private readonly patterns: OriginPattern[] = [];

  constructor(origins: readonly string[]) {
    let any = false;
    for (const entry of origins) {
      const origin = normalizeOrigin(entry);
      if (origin === '*') any = true;
      else if (origin.includes('*')) this.patterns.push(new OriginPattern(origin));
      else if (origin !== '') this.exact.add(origin);
    }
    this.any = any;
  }

  /** Whether CORS is configured at all (an OPTIONS route is then worth answering). */
  get enabled(): boolean {
    return this.any || this.exact.size > 0 || this.patterns.length > 0;
  }

  allowed(origin: string): boolean {
    if (origin === '' || origin.length > MAX_ORIGIN_LENGTH) return false;
    if (this.any) return true;
    const normalized = normalizeOrigin(origin);
    if (this.exact.has(normalized)) return true;
    for (const pattern of this.patterns) if (pattern.test(normalized)) return true;
    return false;
  }

  /**
   * Headers for an actual (non-preflight) response, Origin or not ('' when absent); null: none.
   * With a list of origins every answer depends on Origin (allowed ones get CORS headers, others
   * none), so all of them carry `Vary: Origin`: a shared cache must not serve one origin's answer
   * to another.
   */
  headersFor(origin: string): Headers | null {
    if (!this.allowed(origin)) return this.any || !this.enabled ? null : VARY_ORIGIN;
    const headers = this.originHeaders(origin);
    headers.push(['access-control-expose-headers', EXPOSE_HEADERS]);
    return headers;
  }

  /** Headers for a 204 answer to OPTIONS; null: origin not allowed (answer without CORS headers). */
  preflight(origin: string, requestMethod: string, requestHeaders: string): Headers | null {
    if (!this.allowed(origin)) return null;
    void requestMethod; // the method list is fixed; a browser refuses methods not in it
    const headers = this.originHeaders(origin);
    headers.push(
      ['vary', 'access-control-request-method, access-control-request-headers'],
      ['access-control-allow-methods', ALLOW_METHODS],
      ['access-control-allow-headers', echoHeaders(requestHeaders)],
      ['access-control-max-age', MAX_AGE],
    );
    return headers;
  }

  private originHeaders(origin: string): Headers {
    if (this.any) return [['access-control-allow-origin', '*']];
    // The answer depends on Origin, so shared caches must key on it.
    return [
      ['access-control-allow-origin', origin.trim()],
      ['vary', 'origin'],
    ];
  }
}

/**
 * The requested header names, lowercased and deduplicated; anything that is not a valid header
 * token is dropped (it could not be sent anyway) so nothing odd is reflected.
 */
function echoHeaders(requested: string): string {
  if (requested.trim() === '') return DEFAULT_ALLOW_HEADERS;
  const names = new Set<string>();
  for (const raw of requested.split(',')) {
    const name = raw.trim().toLowerCase();
    if (name !== '' && HEADER_NAME.test(name)) names.add(name);
    if (names.size >= MAX_ECHOED_HEADERS) break;
  }
  return names.size === 0 ? DEFAULT_ALLOW_HEADERS : [...names].join(', ');
}
