/**
 * One active health check of one provider: a cheap authenticated GET of its models endpoint
 * (OpenAI-compatible `<base_url>/models`, Anthropic `/v1/models`, Gemini `<base_url>/models`), with
 * the provider's configured headers and query, and its first usable api key.
 *
 * Verdicts: an answer at all proves the provider reachable; 2xx/3xx and 4xx other than below:
 * healthy (a server without a models endpoint still serves); 401/403 with a configured key: down
 * (the gateway's key is refused, every request would fail); without a key: healthy (clients bring
 * their own); 429: degraded; 5xx, connection errors and timeouts: down.
 * Messages name the method, origin and path only: never the query (it may hold a key) or headers.
 */
import { DEFAULT_BASE_URLS, type ProviderConfig, type ProviderHealthState } from '@gatewayd/shared';
import { ANTHROPIC_VERSION } from '../providers/anthropic/endpoint.js';
import { buildOpenaiEndpoint } from '../providers/openai/endpoint.js';

export interface ProbeRequest {
  url: string;
  headers: Record<string, string>;
  /** An api key was sent. */
  keyed: boolean;
}

export interface ProbeResult {
  state: Exclude<ProviderHealthState, 'unknown'>;
  latencyMs: number;
  error: { message: string; status: number | null } | null;
}

function withQuery(url: URL, query: Record<string, string>): string {
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.toString();
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

/** The check request of a non-mock provider. */
export function probeRequest(provider: ProviderConfig, apiKey: string | undefined): ProbeRequest {
  if (provider.type === 'mock') throw new Error('the mock provider is not probed');
  const base = (provider.base_url ?? DEFAULT_BASE_URLS[provider.type]).replace(/\/+$/, '');
  const keyed = apiKey !== undefined && apiKey !== '';
  switch (provider.type) {
    case 'openai': {
      const endpoint = buildOpenaiEndpoint({ baseUrl: base, endpoint: 'models', ...(keyed ? { apiKey } : {}), headers: provider.headers, query: provider.query });
      const { 'content-type': _, ...headers } = endpoint.headers;
      return { url: endpoint.url, headers, keyed };
    }
    case 'anthropic': {
      const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION };
      if (keyed) headers['x-api-key'] = apiKey;
      return { url: withQuery(new URL(`${base.replace(/\/v1$/, '')}/v1/models`), provider.query), headers: { ...headers, ...lowerCased(provider.headers) }, keyed };
    }
    case 'gemini': {
      const headers: Record<string, string> = {};
      if (keyed) headers['x-goog-api-key'] = apiKey;
      const url = new URL(`${base}/models`);
      url.searchParams.set('pageSize', '1');
      return { url: withQuery(url, provider.query), headers: { ...headers, ...lowerCased(provider.headers) }, keyed };
    }
  }
}

/** The verdict on an HTTP answer. */
export function verdictOf(status: number, keyed: boolean, where: string, latencyMs: number): ProbeResult {
  const failed = (state: ProbeResult['state'], message: string): ProbeResult => ({ state, latencyMs, error: { message: `${where}: ${message}`, status } });
  if (status >= 500) return failed('down', `HTTP ${status}`);
  if (status === 429) return failed('degraded', 'HTTP 429 (rate limited)');
  if ((status === 401 || status === 403) && keyed) return failed('down', `HTTP ${status}: the provider refused the configured api key`);
  return { state: 'healthy', latencyMs, error: null };
}

/** Where a probe went, for messages: method, origin and path; no query, no credentials. */
export function describeTarget(url: string): string {
  const u = new URL(url);
  return `GET ${u.origin}${u.pathname}`;
}

/** The verdict on a failed request (no answer). */
export function transportVerdict(err: unknown, where: string, latencyMs: number, timeoutMs: number): ProbeResult {
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT';
  const detail = timedOut ? `no answer within ${timeoutMs} ms` : `${typeof e.code === 'string' ? `${e.code}: ` : ''}${typeof e.message === 'string' ? e.message : String(err)}`;
  return { state: 'down', latencyMs, error: { message: `${where}: ${detail}`, status: null } };
}
