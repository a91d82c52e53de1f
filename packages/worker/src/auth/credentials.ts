/**
 * The keys a request presents. Clients send a key as `Authorization: Bearer <k>` (OpenAI SDKs,
 * Anthropic SDK `authToken`) or `x-api-key: <k>` (Anthropic SDK `apiKey`); some send both.
 */

/** `Authorization: Bearer <k>`, scheme matched case-insensitively; '' for other schemes or none. */
export function bearerToken(authorization: string): string {
  const value = authorization.trim();
  if (value.length < 7 || value.slice(0, 6).toLowerCase() !== 'bearer') return '';
  const separator = value.charCodeAt(6);
  // RFC 9110: the scheme is followed by one or more spaces (tabs tolerated).
  if (separator !== 0x20 && separator !== 0x09) return '';
  return value.slice(7).trim();
}

/**
 * The distinct non-empty keys presented, x-api-key first. When both headers carry different keys,
 * both are tried against the gateway keys (either may hold one); when neither matches, the first
 * (x-api-key) is the one treated as a provider key: it is the header that only ever carries an API
 * key, whereas an Authorization header may have been set by something else on the way.
 */
export function presentedKeys(authorization: string, xApiKey: string): string[] {
  const apiKey = xApiKey.trim();
  const bearer = authorization === '' ? '' : bearerToken(authorization);
  if (apiKey === '') return bearer === '' ? [] : [bearer];
  if (bearer === '' || bearer === apiKey) return [apiKey];
  return [apiKey, bearer];
}

export { isWellFormedKey } from '@gatewayd/shared';
