import { availableParallelism } from 'node:os';
import { ConfigError, ConfigErrors, loadConfigFile, portClash, resolveConfigPath, resolveWorkerCount, type GatewayConfig, type LoadedConfig } from '@gatewayd/shared';

/** Command-line values that win over the file, at start and at every reload. */
export interface ConfigOverrides {
  workers?: number | undefined;
  port?: number | undefined;
}

export function applyOverrides(config: GatewayConfig, overrides: ConfigOverrides): GatewayConfig {
  if (overrides.workers !== undefined) config.server.workers = overrides.workers;
  if (overrides.port !== undefined) config.server.port = overrides.port;
  return config;
}

/**
 * Where the file now says something else than a command-line value that still wins: at a reload
 * the operator edited the file, and would otherwise wonder why the edit did nothing.
 */
function overriddenEdits(config: GatewayConfig, overrides: ConfigOverrides): string[] {
  const notes: string[] = [];
  if (overrides.port !== undefined && config.server.port !== overrides.port) {
    notes.push(`server.port ${config.server.port} in the config file is not used: --port ${overrides.port}, given to start, still applies (restart keeps it too: stop, then start without --port, to use the file's)`);
  }
  if (overrides.workers !== undefined && config.server.workers !== overrides.workers) {
    notes.push(`server.workers ${config.server.workers} in the config file is not used: --workers ${overrides.workers}, given to start, still applies (restart keeps it too: stop, then start without --workers, to use the file's)`);
  }
  return notes;
}

/**
 * Resolves (explicit, $GATEWAYD_CONFIG, defaults), loads and validates, then applies the
 * overrides; `reloading`: warn where the file disagrees with them.
 */
export function loadSupervisorConfig(explicit: string | undefined, overrides: ConfigOverrides, reloading = false): LoadedConfig {
  const file = resolveConfigPath(explicit);
  const loaded = loadConfigFile(file);
  if (reloading) loaded.warnings.push(...overriddenEdits(loaded.config, overrides));
  applyOverrides(loaded.config, overrides);
  const clash = portClash(loaded.config);
  if (clash !== undefined) throw new ConfigError(file, 'admin.port', `${clash}${overrides.port !== undefined ? ' (server.port from --port)' : ''}`);
  return loaded;
}

export function workerCountOf(config: GatewayConfig): number {
  return resolveWorkerCount(config.server.workers, availableParallelism());
}

/** One line per problem, each naming file, key path and reason; other errors as their message. */
export function describeConfigFailure(err: unknown): string {
  if (err instanceof ConfigErrors || err instanceof ConfigError) return `invalid config: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
