import { isWellFormedKey } from './key-form.js';
import { DEFAULT_BASE_URLS, type GatewayConfig } from './schema.js';
import { SECRET_NAME } from './summary.js';

export interface CrossReferenceProblem {
  path: Array<string | number>;
  reason: string;
  /** Other values the problem is about: one a GATEWAYD__ variable set names that variable. */
  related?: Array<Array<string | number>>;
}

/** An `auth.keys` entry the loader disabled because its key was empty (its `${VAR}` unset). */
export interface DisabledKey {
  index: number;
  name: string;
  /** The variables its `key` referenced in the file (`TEAM_A_KEY`). */
  variables: string[];
}

/** Checks the schema cannot express: references between sections, uniqueness, mode requirements. */
export function validateCrossReferences(config: GatewayConfig, disabledKeys: readonly DisabledKey[] = []): CrossReferenceProblem[] {
  const problems: CrossReferenceProblem[] = [];
  const providerNames = new Set<string>();
  config.providers.forEach((p, i) => {
    if (providerNames.has(p.name)) problems.push({ path: ['providers', i, 'name'], reason: `duplicate provider name '${p.name}'` });
    providerNames.add(p.name);
  });
  const modelNames = new Set<string>();
  config.models.forEach((m, i) => {
    for (const name of [m.name, ...m.aliases]) {
      if (modelNames.has(name)) problems.push({ path: ['models', i, 'name'], reason: `duplicate model name or alias '${name}'` });
      modelNames.add(name);
    }
    m.targets.forEach((t, j) => {
      if (!providerNames.has(t.provider)) {
        problems.push({ path: ['models', i, 'targets', j, 'provider'], reason: `unknown provider '${t.provider}' (defined: ${[...providerNames].join(', ') || 'none'})` });
      }
    });
  });
  const keyNames = new Set<string>();
  const keyValues = new Set<string>();
  config.auth.keys.forEach((k, i) => {
    if (keyNames.has(k.name)) problems.push({ path: ['auth', 'keys', i, 'name'], reason: `duplicate key name '${k.name}'` });
    if (keyValues.has(k.key)) problems.push({ path: ['auth', 'keys', i, 'key'], reason: 'the same key value is used twice' });
    else if (k.key !== '' && !isWellFormedKey(k.key)) {
      problems.push({ path: ['auth', 'keys', i, 'key'], reason: 'a key is printable ASCII without spaces, commas or quotes: no caller could present this one' });
    }
    keyNames.add(k.name);
    keyValues.add(k.key);
  });
  const adminToken = config.admin.token;
  if (adminToken !== undefined && (adminToken === '' || /[\u0000-\u001f\u007f]/.test(adminToken))) {
    // Sent as `Authorization: Bearer <token>`: a control character (a newline inside a secret
    // file) cannot travel in a header, so the admin API (scrapes too) would be locked for good.
    problems.push({ path: ['admin', 'token'], reason: adminToken === '' ? 'is only whitespace' : 'has a control character (a line break?): no client could send it in an Authorization header' });
  }
  if (config.auth.keys.length === 0) {
    // Every configured key empty (unset ${VAR}s): named with their variables either way.
    const disabled = disabledKeys.map(describeDisabledKey).join(', ');
    const related = disabledKeys.map((k) => ['auth', 'keys', k.index, 'key']);
    if (config.auth.mode === 'gateway') {
      problems.push({ path: ['auth', 'keys'], reason: `auth.mode 'gateway' needs at least one key with a non-empty value${disabled ? `; every key is empty: ${disabled}` : ''}`, related });
    } else if (disabledKeys.length > 0 && keylessCallsReachUpstream(config)) {
      // Keys that count as absent would make the gateway one that needs none (docs/api.md,
      // Authentication): an unset variable must not open it. A warning would scroll by.
      problems.push({
        path: ['auth', 'keys'],
        reason:
          `every key is empty, so none would be enabled: ${disabled}; in auth.mode '${config.auth.mode}' the gateway would otherwise accept calls without a key ` +
          "and serve them with the providers configured. Set the keys' variables, or remove auth.keys to run without gateway keys on purpose",
        related,
      });
    }
  }
  const clash = portClash(config);
  if (clash !== undefined) problems.push({ path: ['admin', 'port'], reason: clash, related: [['server', 'port'], ['server', 'host'], ['admin', 'host']] });
  return problems;
}

function describeDisabledKey(key: DisabledKey): string {
  const source = key.variables.length > 0 ? `${key.variables.map((v) => `\${${v}}`).join(', ')} unset or empty` : 'empty';
  return `auth.keys[${key.index}] (${key.name}): ${source}`;
}

/**
 * Whether a call without a key would be served by some provider: one that holds a credential of
 * the operator's (`api_keys`, a credential header or query parameter), or an endpoint other than
 * the type's public API (a self-hosted model may need no key). The public APIs refuse a call that
 * carries no key; the mock is only a demo.
 */
function keylessCallsReachUpstream(config: GatewayConfig): boolean {
  return config.providers.some((provider) => {
    if (provider.type === 'mock') return false;
    if (provider.api_keys.length > 0) return true;
    if ([...Object.entries(provider.headers), ...Object.entries(provider.query)].some(([name, value]) => value !== '' && SECRET_NAME.test(name))) return true;
    return provider.base_url !== DEFAULT_BASE_URLS[provider.type];
  });
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);
/** `localhost` resolves to one of these; which one, only the resolver knows. */
const LOCALHOST_ADDRESSES = new Set(['localhost', '127.0.0.1', '::1']);

/**
 * The admin and data listeners on one port of addresses that overlap (the same host, or either on
 * every address): the second could not listen. Checked again after a --port override.
 */
export function portClash(config: GatewayConfig): string | undefined {
  const { server, admin } = config;
  if (server.port === 0 || !admin.enabled || admin.port !== server.port) return undefined;
  const viaLocalhost = (admin.host === 'localhost' || server.host === 'localhost') && LOCALHOST_ADDRESSES.has(admin.host) && LOCALHOST_ADDRESSES.has(server.host);
  const overlap = admin.host === server.host || WILDCARD_HOSTS.has(admin.host) || WILDCARD_HOSTS.has(server.host) || viaLocalhost;
  return overlap ? `admin.port ${admin.port} is the same as server.port (on ${admin.host} and ${server.host})` : undefined;
}
