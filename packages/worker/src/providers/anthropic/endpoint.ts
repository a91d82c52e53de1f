/** Pure URL and header builder for Anthropic upstream calls. */

export const ANTHROPIC_VERSION = '2023-06-01';

export type AnthropicEndpointName = 'messages' | 'count_tokens';

export interface AnthropicEndpointInput {
  /** e.g. https://api.anthropic.com (a trailing /v1 is tolerated). */
  baseUrl: string;
  endpoint: AnthropicEndpointName;
  apiKey?: string;
  /** Extra headers from provider config (e.g. anthropic-beta); they win over the defaults. */
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

export function buildAnthropicEndpoint(input: AnthropicEndpointInput): { url: string; headers: Record<string, string> } {
  const base = input.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  const path = input.endpoint === 'messages' ? '/v1/messages' : '/v1/messages/count_tokens';
  const url = new URL(base + path);
  for (const [key, value] of Object.entries(input.query ?? {})) url.searchParams.set(key, value);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': ANTHROPIC_VERSION };
  if (input.apiKey) headers['x-api-key'] = input.apiKey;
  for (const [key, value] of Object.entries(input.headers ?? {})) headers[key.toLowerCase()] = value;
  return { url: url.toString(), headers };
}
