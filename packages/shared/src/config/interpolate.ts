/**
 * Variables in string values of the parsed YAML tree, as a shell (and docker compose) reads them:
 * `${VAR}`; `${VAR:-default}` (unset or empty) and `${VAR-default}` (unset); `${VAR:?message}`
 * (unset or empty) and `${VAR?message}` (unset) are errors; `$${` is a literal `${`. Any other
 * `${...}` is an error, not kept as text: a key written `${KEY:?}` must not become the key itself.
 * Done on the tree, not the raw text, so a secret containing quotes or colons cannot change the
 * document's structure.
 */
const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([\s\S]*))?$/;

export interface InterpolationResult {
  value: unknown;
  /** Variables referenced but unset (and without a default). */
  missing: Set<string>;
  /** References that fail: a required variable unset, or a form not understood. */
  errors: Array<{ path: Array<string | number>; message: string }>;
}

export function interpolateEnv(tree: unknown, env: NodeJS.ProcessEnv): InterpolationResult {
  const missing = new Set<string>();
  const errors: InterpolationResult['errors'] = [];
  /** One `${...}` (its inside); a default is itself expanded, and only when used: `${A:-${B}}`. */
  const reference = (inner: string, path: Array<string | number>): string => {
    const match = REFERENCE.exec(inner);
    if (match === null) {
      errors.push({ path, message: `unsupported variable reference "\${${inner.slice(0, 40)}}": use \${VAR}, \${VAR:-default}, \${VAR-default}, \${VAR:?message} or $\${ for a literal` });
      return '';
    }
    const [, name, colon, operator, word] = match as unknown as [string, string, string | undefined, string | undefined, string | undefined];
    const value = env[name];
    if (operator === undefined) {
      if (value !== undefined && value !== '') return value;
      missing.add(name);
      return '';
    }
    const absent = colon === ':' ? value === undefined || value === '' : value === undefined;
    if (!absent) return value as string;
    if (operator === '-') return expand(word ?? '', path);
    const said = word ? `: ${expand(word, path).slice(0, 200)}` : '';
    errors.push({ path, message: `environment variable ${name} is ${value === undefined ? 'not set' : 'empty'}${said}` });
    return '';
  };
  /** Scans for `${`, matching braces (so defaults may hold references); `$${` is a literal `${`. */
  const expand = (text: string, path: Array<string | number>): string => {
    let out = '';
    let i = 0;
    for (;;) {
      const at = text.indexOf('${', i);
      if (at === -1) return out + text.slice(i);
      if (at > 0 && text[at - 1] === '$') {
        out += text.slice(i, at - 1) + '${';
        i = at + 2;
        continue;
      }
      let depth = 1;
      let j = at + 2;
      while (j < text.length && depth > 0) {
        if (text.startsWith('${', j)) {
          depth++;
          j += 2;
          continue;
        }
        if (text[j] === '}') depth--;
        j++;
      }
      // Unterminated: text as it is (a secret may hold "${").
      if (depth > 0) return out + text.slice(i);
      out += text.slice(i, at) + reference(text.slice(at + 2, j - 1), path);
      i = j;
    }
  };
  const visit = (node: unknown, path: Array<string | number>): unknown => {
    if (typeof node === 'string') return node.includes('${') ? expand(node, path) : node;
    if (Array.isArray(node)) return node.map((item, i) => visit(item, [...path, i]));
    if (node && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) out[k] = visit(v, [...path, k]);
      return out;
    }
    return node;
  };
  return { value: visit(tree, []), missing, errors };
}

/**
 * `GATEWAYD__SERVER__PORT=9000` sets server.port. Segments are lower-cased; in a list, a numeric
 * segment is an index (`GATEWAYD__PROVIDERS__0__BASE_URL`) and any other names the entry with that
 * `name` (`GATEWAYD__PROVIDERS__OPENAI__API_KEYS`; `_` also matches `-`). Values: see
 * parseOverrideValue. An override that names no entry is an error, not silently dropped.
 */
export const ENV_OVERRIDE_PREFIX = 'GATEWAYD__';

/** An override: its key path, and the text as given (for a string field that got a number). */
export interface AppliedOverride {
  path: Array<string | number>;
  raw: string;
  /** The GATEWAYD__ variable that set it. */
  variable: string;
  /** The part of the tree it owns: its path, or the entry it created (a problem there is the variable's). */
  owns: Array<string | number>;
}

export class OverrideError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`${variable}: ${reason}`);
  }
}

/**
 * A value: a YAML flow list or mapping when it starts with `[` or `{`, `true` / `false`, a number,
 * or else the text exactly as given. Not a YAML scalar: a secret may hold ` #` (a YAML comment),
 * `: `, or start with `@` or `*`. An error never repeats the value (it may be a secret).
 */
export function parseOverrideValue(raw: string, variable: string, parseFlow: (text: string) => unknown): unknown {
  const text = raw.trim();
  if (text.startsWith('[') || text.startsWith('{')) {
    try {
      return parseFlow(text);
    } catch {
      throw new OverrideError(variable, 'starts with [ or { but is not a valid YAML list or mapping');
    }
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?\d+(?:\.\d+)?$/.test(text)) return Number(text);
  return raw;
}

function entryNamed(list: unknown[], segment: string): number {
  return list.findIndex((entry) => {
    const name = (entry as { name?: unknown } | null)?.name;
    return typeof name === 'string' && name.toLowerCase().replace(/-/g, '_') === segment;
  });
}

export function applyEnvOverrides(tree: Record<string, unknown>, env: NodeJS.ProcessEnv, parseFlow: (text: string) => unknown): AppliedOverride[] {
  const applied: AppliedOverride[] = [];
  for (const [variable, raw] of Object.entries(env)) {
    if (!variable.startsWith(ENV_OVERRIDE_PREFIX) || raw === undefined) continue;
    const segments = variable.slice(ENV_OVERRIDE_PREFIX.length).split('__').filter(Boolean).map((s) => s.toLowerCase());
    if (segments.length === 0) continue;
    const path: Array<string | number> = [];
    let owns: Array<string | number> | undefined;
    let node: Record<string, unknown> | unknown[] = tree;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      let key: string | number = segment;
      if (Array.isArray(node)) {
        if (/^\d+$/.test(segment)) {
          key = Number(segment);
          // Appending is fine; beyond that the list would have holes no one set.
          if (key > node.length) throw new OverrideError(variable, `${path.join('.') || '(root)'} has ${node.length} entries: index ${key} would leave a gap (use 0-${node.length})`);
        }
        else {
          key = entryNamed(node, segment);
          if (key === -1) throw new OverrideError(variable, `${path.join('.') || '(root)'} has no entry named '${segment}' (use its name or index)`);
        }
      }
      path.push(key);
      const container = node as Record<string | number, unknown>;
      if (i === segments.length - 1) {
        container[key] = parseOverrideValue(raw, variable, parseFlow);
        break;
      }
      let child = container[key];
      if (child === null || typeof child !== 'object') {
        child = /^\d+$/.test(segments[i + 1]!) ? [] : {};
        container[key] = child;
        owns ??= path.slice();
      }
      node = child as Record<string, unknown>;
    }
    // An entry appended to a list is the variable's too (its other fields are missing because of it).
    applied.push({ path, raw, variable, owns: owns ?? path });
  }
  return applied;
}
