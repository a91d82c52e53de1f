/**
 * Bounded label values. Prometheus series are forever, so a label may only take values from the
 * config (provider names, model names and their aliases, gateway key names); anything else is
 * folded into OTHER, and "not known yet" (a request rejected before routing) into NONE.
 */
import type { GatewayConfig } from '@gatewayd/shared';

export const OTHER = 'other';
export const NONE = 'none';
/** Rate-limit scopes beyond this many distinct values are reported as OTHER. */
const MAX_SCOPES = 16;

export class LabelBounds {
  private providers = new Set<string>();
  /** Model name or alias -> configured model name. */
  private models = new Map<string, string>();
  private keys = new Set<string>();
  private readonly scopes = new Set<string>();

  configure(config: Pick<GatewayConfig, 'providers' | 'models' | 'auth'>): void {
    this.providers = new Set(config.providers.map((p) => p.name));
    const models = new Map<string, string>();
    for (const m of config.models) models.set(m.name, m.name);
    for (const m of config.models) for (const alias of m.aliases) if (!models.has(alias)) models.set(alias, m.name);
    this.models = models;
    this.keys = new Set(config.auth.keys.map((k) => k.name));
  }

  provider(name: string): string {
    if (name === '') return NONE;
    return this.providers.has(name) ? name : OTHER;
  }

  model(name: string): string {
    if (name === '') return NONE;
    return this.models.get(name) ?? OTHER;
  }

  /** null stays null: a request without a gateway key (client mode, or no keys configured). */
  key(name: string | null): string | null {
    if (name === null) return null;
    return this.keys.has(name) ? name : OTHER;
  }

  scope(name: string): string {
    if (this.scopes.has(name)) return name;
    if (this.scopes.size >= MAX_SCOPES || name === '') return OTHER;
    this.scopes.add(name);
    return name;
  }

  /** 100..599, else 0 (an answer that never got a status). */
  static status(status: number): number {
    return Number.isInteger(status) && status >= 100 && status <= 599 ? status : 0;
  }
}
