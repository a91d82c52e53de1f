/**
 * `${VAR}` and `${VAR:-default}` in string values of the parsed YAML tree. Done on the tree, not the
 * raw text, so a secret containing quotes or colons cannot change the document's structure.
 */
const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface InterpolationResult {
  value: unknown;
  /** Variables referenced but unset (and without a default). */
  missing: Set<string>;
}

export function interpolateEnv(tree: unknown, env: NodeJS.ProcessEnv): InterpolationResult {
  const missing = new Set<string>();
  const visit = (node: unknown): unknown => {
    if (typeof node === 'string') {
      return node.replace(ENV_REF, (_whole, name: string, fallback: string | undefined) => {
        const value = env[name];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        missing.add(name);
        return '';
      });
    }
    if (Array.isArray(node)) return node.map(visit);
    if (node && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) out[k] = visit(v);
      return out;
    }
    return node;
  };
  return { value: visit(tree), missing };
}

/**
 * `GATEWAYD__SERVER__PORT=9000` sets server.port. Segments are lower-cased; numeric segments index
 * arrays (`GATEWAYD__PROVIDERS__0__BASE_URL`). Values are parsed as YAML scalars/flow collections.
 */
export const ENV_OVERRIDE_PREFIX = 'GATEWAYD__';

export function applyEnvOverrides(
  tree: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  parseValue: (raw: string) => unknown,
): string[] {
  const applied: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_OVERRIDE_PREFIX) || raw === undefined) continue;
    const segments = name.slice(ENV_OVERRIDE_PREFIX.length).split('__').filter(Boolean).map((s) => s.toLowerCase());
    if (segments.length === 0) continue;
    let node: Record<string, unknown> | unknown[] = tree;
    for (let i = 0; i < segments.length - 1; i++) {
      const key = segments[i]!;
      const nextIsIndex = /^\d+$/.test(segments[i + 1]!);
      const container = node as Record<string, unknown>;
      let child = container[key];
      if (child === null || typeof child !== 'object') {
        child = nextIsIndex ? [] : {};
        container[key] = child;
      }
      node = child as Record<string, unknown>;
    }
    (node as Record<string, unknown>)[segments[segments.length - 1]!] = parseValue(raw);
    applied.push(segments.join('.'));
  }
  return applied;
}
