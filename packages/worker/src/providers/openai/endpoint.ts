/**
 * Pure URL and header builder for OpenAI-compatible upstreams, including Azure OpenAI deployments.
 *
 * Plain: `<base_url>/<endpoint>` with `Authorization: Bearer <key>`.
 * Azure-style (host *.openai.azure.com / *.cognitiveservices.azure.com / *.services.ai.azure.com,
 * or an `api-version` in the provider's query): the key goes in an `api-key` header, and
 * `?api-version=` is added. The deployment is in the path: either base_url already names it
 * (`https://r.openai.azure.com/openai/deployments/gpt4o`), or base_url ends at `/openai` and the
 * routed model name is used as the deployment. A base_url ending in `/openai/v1` (Azure's v1 API)
 * takes the model in the body and needs no api-version.
 */
import { isAzureHost, safeHost } from './request.js';

export type OpenaiEndpointName = 'chat/completions' | 'completions' | 'embeddings' | 'models';

/** Assumed GA Azure OpenAI data-plane version when the provider config sets none. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

export interface OpenaiEndpointInput {
  baseUrl: string;
  endpoint: OpenaiEndpointName;
  apiKey?: string;
  /** Routed model name (the Azure deployment when base_url ends at /openai). */
  model?: string;
  /** Provider config `headers`; they win over the defaults. */
  headers?: Record<string, string>;
  /** Provider config `query`, e.g. { "api-version": "2024-10-21" }. */
  query?: Record<string, string>;
}

export interface OpenaiEndpoint {
  url: string;
  headers: Record<string, string>;
  azure: boolean;
}

export function buildOpenaiEndpoint(input: OpenaiEndpointInput): OpenaiEndpoint {
  const base = input.baseUrl.replace(/\/+$/, '');
  const query = { ...(input.query ?? {}) };
  const azure = isAzureHost(safeHost(base)) || 'api-version' in query;
  let path = `${base}/${input.endpoint}`;
  if (azure) {
    const v1 = /\/openai\/v1$/.test(base);
    if (/\/openai$/.test(base) && input.model && input.endpoint !== 'models') {
      path = `${base}/deployments/${encodeURIComponent(input.model)}/${input.endpoint}`;
    }
    if (!v1 && !('api-version' in query)) query['api-version'] = AZURE_DEFAULT_API_VERSION;
  }
  const url = new URL(path);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (input.apiKey) {
    if (azure) headers['api-key'] = input.apiKey;
    else headers.authorization = `Bearer ${input.apiKey}`;
  }
  for (const [key, value] of Object.entries(input.headers ?? {})) headers[key.toLowerCase()] = value;
  return { url: url.toString(), headers, azure };
}
