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

/** Resolves (explicit, $GATEWAYD_CONFIG, defaults), loads and validates, then applies the overrides. */
export function loadSupervisorConfig(explicit: string | undefined, overrides: ConfigOverrides): LoadedConfig {
  const file = resolveConfigPath(explicit);
  const loaded = loadConfigFile(file);
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
