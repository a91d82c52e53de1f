/** Pure URL and header builder for Gemini upstream calls. */

export type GeminiMethod = 'generateContent' | 'streamGenerateContent' | 'embedContent' | 'batchEmbedContents' | 'countTokens';

/**
 * `models/{model}:{method}` (plus `alt=sse` for streams). Accepts `gemini-2.5-flash`,
 * `models/gemini-2.5-flash` and `tunedModels/...`.
 */
export function geminiMethodPath(model: string, method: GeminiMethod): string {
  const resource = model.includes('/') ? model : `models/${model}`;
  const encoded = resource.split('/').map(encodeURIComponent).join('/');
  return `${encoded}:${method}${method === 'streamGenerateContent' ? '?alt=sse' : ''}`;
}

export interface GeminiEndpointInput {
  /** e.g. https://generativelanguage.googleapis.com/v1beta */
  baseUrl: string;
  model: string;
  method: GeminiMethod;
  apiKey?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

export function buildGeminiEndpoint(input: GeminiEndpointInput): { url: string; headers: Record<string, string> } {
  const url = new URL(`${input.baseUrl.replace(/\/+$/, '')}/${geminiMethodPath(input.model, input.method)}`);
  for (const [key, value] of Object.entries(input.query ?? {})) url.searchParams.set(key, value);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  // The key goes in a header, not `?key=`, so it never lands in access logs.
  if (input.apiKey) headers['x-goog-api-key'] = input.apiKey;
  for (const [key, value] of Object.entries(input.headers ?? {})) headers[key.toLowerCase()] = value;
  return { url: url.toString(), headers };
}
