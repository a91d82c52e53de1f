/**
 * Per-key model allowlists: exact names or globs where `*` matches any run of characters
 * (including `/`, so `openai/*` covers every model under that prefix) and `?` one character.
 * Matched without RegExp: the name comes from the caller, and a backtracking RegExp of a pattern
 * with two `*`s took seconds on a long name (this check runs before the model is resolved).
 */
import { wildcardMatches } from '../routing/wildcard.js';

export function modelMatches(pattern: string, model: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === model;
  return wildcardMatches(pattern, model, true);
}

/** undefined allows every model; an empty list allows none. */
export function modelAllowed(allowlist: readonly string[] | undefined, model: string): boolean {
  if (allowlist === undefined) return true;
  for (const pattern of allowlist) if (modelMatches(pattern, model)) return true;
  return false;
}
