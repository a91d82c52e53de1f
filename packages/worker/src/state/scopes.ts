/**
 * Which limits a request counts against: its gateway key's, its model's and the global ones
 * (each only when configured). Scope ids are stable across workers, hosts and reloads.
 */
import type { GatewayConfig, LimitsConfig } from '@gatewayd/shared';
import { fingerprintOf, sha256 } from '../auth/key-table.js';
import type { LimitScope } from '@gatewayd/shared/state';

export interface ScopeSources {
  /** The gateway key of the request (fingerprint: sha256, 16 hex); null/absent without one. */
  key?: { fingerprint: string; limits?: LimitsConfig | undefined } | null;
  /** The resolved model (canonical name, not an alias). */
  model?: { name: string; limits?: LimitsConfig | undefined } | null;
  /** Top-level config.limits. */
  global?: LimitsConfig | undefined;
}

export function scopesFor(sources: ScopeSources): LimitScope[] {
  const scopes: LimitScope[] = [];
  if (sources.key?.limits) scopes.push(scopeOf(`key:${sources.key.fingerprint}`, sources.key.limits));
  if (sources.model?.limits) scopes.push(scopeOf(`model:${sources.model.name}`, sources.model.limits));
  if (sources.global) scopes.push(scopeOf('global', sources.global));
  return scopes;
}

function scopeOf(id: string, limits: LimitsConfig): LimitScope {
  const scope: LimitScope = { id };
  if (limits.rpm !== undefined) scope.rpm = limits.rpm;
  if (limits.tpm !== undefined) scope.tpm = limits.tpm;
  if (limits.concurrency !== undefined) scope.concurrency = limits.concurrency;
  return scope;
}

/** Every scope of `config` with a concurrency limit (for freeing a dead worker's slots). */
export function concurrencyScopeIds(config: GatewayConfig): string[] {
  const ids: string[] = [];
  for (const key of config.auth.keys) if (key.limits?.concurrency !== undefined && key.key !== '') ids.push(`key:${fingerprintOf(sha256(key.key))}`);
  for (const model of config.models) if (model.limits?.concurrency !== undefined) ids.push(`model:${model.name}`);
  if (config.limits?.concurrency !== undefined) ids.push('global');
  return ids;
}
