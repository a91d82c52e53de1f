import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parse as parseYaml, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { ConfigSchema, DEFAULT_BASE_URLS, type GatewayConfig } from './schema.js';
import { ConfigError, ConfigErrors, formatPath } from './errors.js';
import { applyEnvOverrides, interpolateEnv, OverrideError, type AppliedOverride } from './interpolate.js';
import { validateCrossReferences, type DisabledKey } from './validate.js';

export interface LoadedConfig {
  config: GatewayConfig;
  /** Absolute path of the file the config came from. */
  file: string;
  /** Non-fatal findings an operator should see (unset variables, disabled keys). */
  warnings: string[];
}

/** Lookup order: --config, $GATEWAYD_CONFIG, ./etc/gatewayd.yaml, /etc/gatewayd/gatewayd.yaml. */
export function resolveConfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const chosen = explicit ?? env.GATEWAYD_CONFIG;
  if (chosen) {
    const file = resolve(cwd, chosen);
    if (!existsSync(file)) throw new ConfigError(file, '', 'file not found');
    return file;
  }
  const candidates = [resolve(cwd, 'etc/gatewayd.yaml'), '/etc/gatewayd/gatewayd.yaml'];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new ConfigError(candidates.join(' or '), '', 'no config file found (pass --config or set GATEWAYD_CONFIG)');
  return found;
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, '', `cannot read: ${(err as Error).message}`);
  }
  return loadConfigText(text, file, env);
}

export function loadConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const lineCounter = new LineCounter();
  // merge: YAML merge keys (`<<: *defaults`), which operators use for repeated provider settings.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) {
    throw new ConfigErrors(doc.errors.map((e) => new ConfigError(file, '', `YAML syntax: ${e.message.split('\n')[0]}`, lineCounter.linePos(e.pos[0]).line)));
  }
  let raw: unknown;
  try {
    raw = doc.toJS() ?? {};
  } catch (err) {
    // An alias to no anchor (`*typo`) surfaces here, not among doc.errors.
    throw new ConfigError(file, '', `YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(file, '', 'the document must be a mapping');

  const warnings: string[] = [];
  const { value, missing, errors } = interpolateEnv(raw, env);
  for (const name of missing) warnings.push(`environment variable ${name} is not set; it expands to an empty string`);
  const tree = value as Record<string, unknown>;
  let overridden: AppliedOverride[];
  try {
    overridden = applyEnvOverrides(tree, env, (text) => parseYaml(text) as unknown);
  } catch (err) {
    if (err instanceof OverrideError) throw new ConfigError('environment', err.variable, err.reason);
    throw err;
  }
  for (const { path } of overridden) warnings.push(`${formatPath(path)} overridden from the environment`);

  const lineOf = (path: ReadonlyArray<PropertyKey>): number | undefined => {
    let node: unknown = doc.contents;
    let last: Node | undefined;
    for (const seg of path) {
      if (isMap(node)) node = node.get(seg as string, true);
      else if (isSeq(node)) node = node.get(seg as number, true);
      else break;
      if (node && typeof node === 'object' && 'range' in node) last = node as Node;
    }
    const offset = last?.range?.[0];
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };

  if (errors.length > 0) throw new ConfigErrors(errors.map((e) => new ConfigError(file, formatPath(e.path), e.message, lineOf(e.path))));

  /**
   * A problem with a value a GATEWAYD__ variable set (or with an entry it made): named by the
   * variable, never quoting the value (it may be a secret); else at its line of the file.
   */
  const overrideOwning = (path: ReadonlyArray<PropertyKey>): AppliedOverride | undefined =>
    overridden.find((o) => o.owns.length <= path.length && o.owns.every((segment, i) => segment === path[i]));
  const problemAt = (path: ReadonlyArray<PropertyKey>, message: string, related: ReadonlyArray<ReadonlyArray<PropertyKey>> = []): ConfigError => {
    for (const about of [path, ...related]) {
      const override = overrideOwning(about);
      if (override !== undefined) return new ConfigError('environment', override.variable, `${formatPath(about)}: ${withoutValues(message, override.raw)}`);
    }
    return new ConfigError(file, formatPath(path), message, lineOf(path));
  };

  let parsed = ConfigSchema.safeParse(tree);
  // A string field given digits (or true / false) from the environment keeps the text as given: a
  // token may be all digits. Only overridden fields, once.
  if (!parsed.success && restoreOverriddenStrings(tree, overridden, parsed.error.issues)) parsed = ConfigSchema.safeParse(tree);
  if (!parsed.success) {
    throw new ConfigErrors(
      parsed.error.issues.flatMap((issue) => {
        // An unknown key is reported at its own line and path, not its parent's.
        if (issue.code === 'unrecognized_keys') {
          return issue.keys.map((key) => {
            const path = [...issue.path, key];
            // A GATEWAYD__ variable with a typo made it: name the variable, not a line of the file.
            const override = overrideOwning(path);
            if (override !== undefined) return new ConfigError('environment', override.variable, `${formatPath(path)}: unknown key (a typo? see docs/configuration.md)`);
            return new ConfigError(file, formatPath(path), 'unknown key (a typo? see docs/configuration.md)', lineOf(path));
          });
        }
        return [problemAt(issue.path, issue.message)];
      }),
    );
  }
  const config = parsed.data;
  const disabled = normalise(config, warnings).map((key): DisabledKey => ({ ...key, variables: variablesOf(keyTextInFile(raw, key.index)) }));
  const problems = validateCrossReferences(config, disabled);
  if (problems.length > 0) {
    throw new ConfigErrors(problems.map((p) => problemAt(p.path, p.reason, p.related)));
  }
  return { config, file, warnings };
}

/** `auth.keys[index].key` as written in the file, before interpolation (undefined: not a string there). */
function keyTextInFile(raw: object, index: number): string | undefined {
  const keys = (raw as { auth?: { keys?: unknown } }).auth?.keys;
  const entry: unknown = Array.isArray(keys) ? keys[index] : undefined;
  const key = entry !== null && typeof entry === 'object' ? (entry as { key?: unknown }).key : undefined;
  return typeof key === 'string' ? key : undefined;
}

/** The names of the `${VAR}` references in a value (not `$${`, a literal). */
function variablesOf(text: string | undefined): string[] {
  if (text === undefined) return [];
  return [...new Set([...text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))];
}

/** A message without the quoted values (`invalid duration "..."`) that came from the variable's text. */
function withoutValues(message: string, raw: string): string {
  return message.replace(/"([^"]*)"/g, (quoted, inner: string) => (inner !== '' && raw.includes(inner) ? '(the value given)' : quoted));
}

function restoreOverriddenStrings(tree: Record<string, unknown>, overridden: readonly AppliedOverride[], issues: ReadonlyArray<{ code: string; path: ReadonlyArray<PropertyKey>; expected?: unknown }>): boolean {
  let restored = false;
  for (const issue of issues) {
    if (issue.code !== 'invalid_type' || issue.expected !== 'string') continue;
    const override = overridden.find((o) => o.path.length === issue.path.length && o.path.every((seg, i) => seg === issue.path[i]));
    if (!override) continue;
    let node: Record<string | number, unknown> = tree;
    for (const seg of override.path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
    node[override.path[override.path.length - 1]!] = override.raw;
    restored = true;
  }
  return restored;
}

/**
 * A secret with surrounding whitespace (a trailing newline from `echo` into a secret file) is
 * trimmed: callers' keys are compared trimmed, so an untrimmed gateway key could never match, and
 * in hybrid mode the caller's copy would then be taken for a provider key and sent upstream.
 */
function trimmedSecret(value: string, where: string, warnings: string[]): string {
  const trimmed = value.trim();
  if (trimmed !== value) warnings.push(`${where} has leading or trailing whitespace; it is trimmed`);
  return trimmed;
}

/**
 * Drops empty secrets (unset ${ENV}) with a warning and fills per-type default base URLs. Returns
 * the gateway keys it disabled (index in the file, name): validate.ts refuses a config they leave
 * without any key.
 */
function normalise(config: GatewayConfig, warnings: string[]): Array<{ index: number; name: string }> {
  const disabled: Array<{ index: number; name: string }> = [];
  config.auth.keys.forEach((k, i) => (k.key = trimmedSecret(k.key, `auth.keys[${i}] (${k.name})`, warnings)));
  if (config.admin.token !== undefined) config.admin.token = trimmedSecret(config.admin.token, 'admin.token', warnings);
  config.auth.keys = config.auth.keys.filter((k, i) => {
    if (k.key !== '') return true;
    warnings.push(`auth.keys[${i}] (${k.name}) has an empty key; that key is disabled`);
    disabled.push({ index: i, name: k.name });
    return false;
  });
  config.providers.forEach((provider, p) => {
    provider.api_keys = provider.api_keys.map((k, i) => trimmedSecret(k, `providers[${p}] (${provider.name}): api_keys[${i}]`, warnings));
    // A repeated key (two ${ENV} set to the same value) would be rotated to twice as often and,
    // cooled down, still be picked as its copy.
    provider.api_keys = provider.api_keys.filter((k, i, keys) => {
      if (k === '') return false;
      if (keys.indexOf(k) === i) return true;
      warnings.push(`providers[${p}] (${provider.name}): api_keys[${i}] repeats an earlier key; the copy is ignored`);
      return false;
    });
    if (provider.type !== 'mock' && provider.base_url === undefined) provider.base_url = DEFAULT_BASE_URLS[provider.type];
    if (provider.base_url) provider.base_url = provider.base_url.replace(/\/+$/, '');
  });
  return disabled;
}
