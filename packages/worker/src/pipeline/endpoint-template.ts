/**
 * Upstream URL and headers, prepared once per (provider, endpoint, model) from the providers' pure
 * endpoint builders and reused by every request: only the api key (which rotates) and forwarded
 * client headers are added per request.
 */
import { SECRET_NAME, type ProviderConfig } from '@gatewayd/shared';
import type { HttpUpstreamRequest } from '../upstream/types.js';
import type { AttemptInput } from './types.js';

/** Passed to the builders as the api key, to learn which header carries the key and how. */
export const KEY_SENTINEL = 'gatewayd-api-key-sentinel';
/** Glob models can mint many upstream model names; the cache is bounded. */
const MAX_TEMPLATES = 2048;

export interface EndpointTemplate {
  origin: string;
  /** Path and query. */
  path: string;
  /**
   * `path` without the credential-like query parameters the provider config sets (`sig`, `token`,
   * ...): the path sent with a caller's own key, which must not travel with the operator's credential.
   */
  callerPath: string;
  /** Flat name/value list, without the key. */
  headers: readonly string[];
  /** Header carrying the key (`authorization`, `x-api-key`, `api-key`, ...); null: none. */
  authHeader: string | null;
  /** Text before the key in that header (`Bearer `). */
  authPrefix: string;
  /**
   * Credential headers the provider config sets (flat name/value list): the operator's, sent with
   * the config's keys (replacing the key's header when they name it) or without any key, and
   * never with a caller's own key, which must not be swapped for the operator's credential.
   */
  credentials: readonly string[];
  /** One of `credentials` is the key's header itself: it is sent instead of a config key. */
  credentialsReplaceKey: boolean;
  /** Header names the provider config sets: they win over forwarded client headers. */
  configured: ReadonlySet<string>;
  connections: number;
  /** The name a `host` header in the provider config gives (no port): TLS asks for it and checks it. */
  servername: string | undefined;
}

/**
 * Header names that carry a credential when a provider config sets them: the well-known ones, and
 * any with a word of a credential's name (`ocp-apim-subscription-key`, `cf-aig-authorization`,
 * `x-auth-token`). Whole words, not SECRET_NAME's substrings (which /admin/config and the log
 * scrubber use, where redacting too much costs nothing): `x-portkey-provider` is no credential,
 * and a caller's own key must still take it along.
 */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'api-key', 'x-api-key', 'x-goog-api-key']);
export const CREDENTIAL_WORDS: ReadonlySet<string> = new Set(['key', 'apikey', 'token', 'auth', 'authorization', 'secret', 'signature', 'sig', 'password', 'passwd', 'pwd', 'cookie', 'credential', 'credentials', 'bearer']);
const isCredentialHeader = (name: string): boolean => CREDENTIAL_HEADERS.has(name) || name.split(/[-_.]/).some((word) => CREDENTIAL_WORDS.has(word));

/**
 * `headers`: what the endpoint builder made with KEY_SENTINEL as the key and WITHOUT the provider
 * config's headers, which are merged here: credentials apart (see EndpointTemplate.credentials),
 * the others replacing the builder's defaults.
 */
export function makeTemplate(url: string, headers: Record<string, string>, provider: ProviderConfig): EndpointTemplate {
  const parsed = new URL(url);
  const merged = new Map<string, string>();
  let authHeader: string | null = null;
  let authPrefix = '';
  for (const [name, value] of Object.entries(headers)) {
    const at = value.indexOf(KEY_SENTINEL);
    if (at !== -1) {
      authHeader = name;
      authPrefix = value.slice(0, at);
    } else merged.set(name, value);
  }
  const credentials: string[] = [];
  for (const [given, value] of Object.entries(provider.headers)) {
    const name = given.toLowerCase();
    if (isCredentialHeader(name) || name === authHeader) {
      merged.delete(name);
      credentials.push(name, value);
    } else merged.set(name, value);
  }
  return {
    origin: parsed.origin,
    path: parsed.pathname + parsed.search,
    callerPath: withoutCredentialQuery(parsed, provider.query),
    headers: [...merged].flat(),
    authHeader,
    authPrefix,
    credentials,
    credentialsReplaceKey: authHeader !== null && credentials.includes(authHeader),
    configured: new Set(Object.keys(provider.headers).map((name) => name.toLowerCase())),
    connections: provider.max_connections,
    servername: hostOverrideName(provider.headers),
  };
}

function withoutCredentialQuery(url: URL, query: Record<string, string>): string {
  const credentials = Object.keys(query).filter((name) => SECRET_NAME.test(name));
  if (credentials.length === 0) return url.pathname + url.search;
  const kept = new URL(url);
  for (const name of credentials) kept.searchParams.delete(name);
  return kept.pathname + kept.search;
}

/**
 * The host name of a `host` header set in the provider config (a virtual host behind a fixed
 * address): over TLS the connection must name it too (SNI) and the certificate must be for it.
 */
function hostOverrideName(headers: Record<string, string>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'host') continue;
    const host = value.trim();
    // [v6]:port, name:port or a bare name; an IP address takes no SNI.
    const bare = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
    return bare === '' ? undefined : bare;
  }
  return undefined;
}

export class TemplateCache {
  private readonly templates = new Map<string, EndpointTemplate>();

  get(key: string): EndpointTemplate | undefined {
    return this.templates.get(key);
  }

  set(key: string, template: EndpointTemplate): EndpointTemplate {
    if (this.templates.size >= MAX_TEMPLATES) this.templates.clear();
    this.templates.set(key, template);
    return template;
  }
}

/** The base URL of a provider (the config loader fills in each type's default). */
export function baseUrlOf(provider: ProviderConfig): string {
  if (provider.base_url === undefined) throw new Error(`provider ${provider.name} has no base_url`);
  return provider.base_url;
}

/** Sets a forwarded client header unless the provider config sets it; replaces a default. */
export function setClientHeader(headers: string[], template: EndpointTemplate, name: string, value: string): void {
  if (value === '' || template.configured.has(name)) return;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) {
      headers[i + 1] = value;
      return;
    }
  }
  headers.push(name, value);
}

/** Per-request headers: a copy of the template's, plus the key (a caller's own, or the config's) or the configured credentials. */
export function requestHeaders(template: EndpointTemplate, input: AttemptInput): string[] {
  const headers = template.headers.slice();
  const hasKey = template.authHeader !== null && input.apiKey !== undefined && input.apiKey !== '';
  if (input.keyFromCaller) {
    if (hasKey) headers.push(template.authHeader!, template.authPrefix + input.apiKey!);
    return headers;
  }
  if (hasKey && !template.credentialsReplaceKey) headers.push(template.authHeader!, template.authPrefix + input.apiKey!);
  for (const value of template.credentials) headers.push(value);
  return headers;
}

export function httpRequest(template: EndpointTemplate, headers: string[], body: Buffer | string, input: AttemptInput): HttpUpstreamRequest {
  return {
    origin: template.origin,
    path: input.keyFromCaller ? template.callerPath : template.path,
    headers,
    body,
    connections: template.connections,
    servername: template.servername,
    headersTimeout: input.headersTimeout,
    bodyTimeout: input.bodyTimeout,
  };
}
