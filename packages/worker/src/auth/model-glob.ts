/**
 * Per-key model allowlists: exact names or globs where `*` matches any run of characters
 * (including `/`, so `openai/*` covers every model under that prefix) and `?` one character.
 */

const compiled = new Map<string, RegExp | string>();
/** Patterns come from config, so the cache stays small; the bound guards against misuse. */
const MAX_CACHED = 1024;

function compile(pattern: string): RegExp | string {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern;
  let source = '^';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`${source}$`, 's');
}

export function modelMatches(pattern: string, model: string): boolean {
  let matcher = compiled.get(pattern);
  if (matcher === undefined) {
    matcher = compile(pattern);
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(pattern, matcher);
  }
  return typeof matcher === 'string' ? matcher === model : matcher.test(model);
}

/** undefined allows every model; an empty list allows none. */
export function modelAllowed(allowlist: readonly string[] | undefined, model: string): boolean {
  if (allowlist === undefined) return true;
  for (const pattern of allowlist) if (modelMatches(pattern, model)) return true;
  return false;
}
