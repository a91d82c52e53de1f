import { createHash } from 'node:crypto';
import type { GatewayConfig } from './schema.js';
import { formatDuration } from './duration.js';

/** How a secret is shown anywhere outside the process: the first 16 hex chars of its SHA-256. */
export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}

export function resolveWorkerCount(workers: number | 'auto', cpuCount: number): number {
  return workers === 'auto' ? Math.max(1, cpuCount) : workers;
}

/** The human summary printed by `gatewayd test`. Secrets appear only as fingerprints. */
export function summarizeConfig(config: GatewayConfig, file: string): string[] {
  const lines: string[] = [];
  lines.push(`config: ${file}`);
  lines.push(`server: ${config.server.host}:${config.server.port}, workers ${config.server.workers}, drain_timeout ${formatDuration(config.server.drain_timeout)}`);
  lines.push(`admin: ${config.admin.enabled ? `${config.admin.host}:${config.admin.port}${config.admin.token ? ` (token ${fingerprint(config.admin.token)})` : ''}` : 'disabled'}`);
  lines.push(`state: ${config.state.backend}${config.state.backend === 'redis' ? ` (${redactUrlSecrets(config.state.redis.url)}, on_error ${config.state.on_error})` : ''}`);
  lines.push(`auth: mode ${config.auth.mode}, ${config.auth.keys.length} gateway key(s)`);
  for (const key of config.auth.keys) {
    const limits = key.limits ? Object.entries(key.limits).map(([k, v]) => `${k} ${v}`).join(', ') : 'no limits';
    lines.push(`  key ${key.name}: ${fingerprint(key.key)} (${limits})`);
  }
  lines.push(`providers: ${config.providers.length}`);
  for (const p of config.providers) {
    const keys = p.api_keys.length ? p.api_keys.map(fingerprint).join(', ') : 'none';
    lines.push(`  ${p.name}: ${p.type}${p.base_url ? ` ${redactUrlSecrets(p.base_url)}` : ''}, api_keys: ${keys}`);
  }
  lines.push(`models: ${config.models.length}`);
  for (const m of config.models) {
    const targets = m.targets.map((t) => `${t.provider}/${t.model}`).join(', ');
    lines.push(`  ${m.name}${m.aliases.length ? ` (aliases ${m.aliases.join(', ')})` : ''}: ${m.strategy} -> ${targets}`);
  }
  lines.push(`cache: ${config.cache.enabled ? `on, ttl ${formatDuration(config.cache.ttl)}, max_entries ${config.cache.max_entries}` : 'off'}`);
  return lines;
}

/** A deep copy of the config with every secret replaced by its fingerprint (for /admin/config). */
export function redactConfig(config: GatewayConfig): unknown {
  const copy = structuredClone(config) as GatewayConfig;
  for (const k of copy.auth.keys) k.key = `sha256:${fingerprint(k.key)}`;
  for (const p of copy.providers) {
    p.api_keys = p.api_keys.map((k) => `sha256:${fingerprint(k)}`);
    for (const h of Object.keys(p.headers)) {
      if (SECRET_NAME.test(h)) p.headers[h] = `sha256:${fingerprint(p.headers[h]!)}`;
    }
  }
  if (copy.admin.token) copy.admin.token = `sha256:${fingerprint(copy.admin.token)}`;
  copy.state.redis.url = redactUrlSecrets(copy.state.redis.url);
  // issue 5: key-like query parameters of providers, and the tracing collector's credentials.
  for (const p of copy.providers) {
    for (const q of Object.keys(p.query)) if (SECRET_NAME.test(q)) p.query[q] = `sha256:${fingerprint(p.query[q]!)}`;
    if (p.base_url) p.base_url = redactUrlSecrets(p.base_url);
  }
  for (const h of Object.keys(copy.tracing.headers)) copy.tracing.headers[h] = `sha256:${fingerprint(copy.tracing.headers[h]!)}`;
  copy.tracing.endpoint = redactUrlSecrets(copy.tracing.endpoint);
  return copy;
}

/**
 * Names of headers and query parameters whose values are secrets (a Redis URL takes `?password=`,
 * an Azure Function `?code=`): what /admin/config redacts, what the log scrubber looks for (worker
 * observe/secrets.ts) and what is never sent with a caller's own key (endpoint-template.ts). Every
 * word of endpoint-template.ts's CREDENTIAL_WORDS is in it: a header sent as a credential is
 * redacted as one.
 */
export const SECRET_NAME = /key|token|auth|secret|sig|pass|pwd|cookie|credential|bearer|^code$/i;

/** issue 5: a URL's password and key-like query values as fingerprints; other URLs unchanged (not re-serialised). */
export function redactUrlSecrets(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Unparsed, its secrets cannot be told from the rest: all of it is.
    return `sha256:${fingerprint(url)}`;
  }
  let changed = false;
  if (u.password) {
    u.password = `sha256:${fingerprint(decodedOrAsIs(u.password))}`;
    changed = true;
  }
  for (const [name, value] of [...u.searchParams]) {
    if (!SECRET_NAME.test(name)) continue;
    u.searchParams.set(name, `sha256:${fingerprint(value)}`);
    changed = true;
  }
  return changed ? u.toString() : url;
}

/** A percent-decoded userinfo part; as written when it does not decode (the loader refuses such a URL, but this never throws). */
function decodedOrAsIs(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
