/**
 * Api key rotation per provider. Keys are used round-robin; a key that got 401/403 is skipped for
 * routing.key_cooldown, one that got 429 for max(key_cooldown, retry-after). Keys are held only as
 * configured and never appear in logs or snapshots (counts only). A key the provider does not list
 * (a caller's own key in client/hybrid auth) is never stored.
 */
import type { ProviderConfig } from '@gatewayd/shared';
import type { RouterClock } from './types.js';

interface Ring {
  keys: readonly string[];
  /** Per key index: clock ms until which it is skipped (0: usable). */
  coolUntil: number[];
  next: number;
}

export class KeyRing {
  private readonly rings = new Map<string, Ring>();

  constructor(
    private readonly cooldownMs: number,
    private readonly clock: RouterClock,
  ) {}

  /** The next usable key. undefined: the provider has no keys; null: all are cooling down. */
  pick(provider: ProviderConfig): string | undefined | null {
    const ring = this.ring(provider);
    const count = ring.keys.length;
    if (count === 0) return undefined;
    const now = this.clock.now();
    for (let step = 0; step < count; step++) {
      const index = (ring.next + step) % count;
      if ((ring.coolUntil[index] ?? 0) <= now) {
        ring.next = (index + 1) % count;
        return ring.keys[index] as string;
      }
    }
    return null;
  }

  /** 401/403: key_cooldown; 429: max(key_cooldown, retryAfterMs); other statuses are ignored. */
  coolDown(provider: ProviderConfig, key: string, status: number, retryAfterMs?: number): void {
    let duration: number;
    if (status === 401 || status === 403) duration = this.cooldownMs;
    else if (status === 429) duration = Math.max(this.cooldownMs, retryAfterMs ?? 0);
    else return;
    const ring = this.ring(provider);
    const index = ring.keys.indexOf(key);
    if (index < 0) return;
    ring.coolUntil[index] = Math.max(ring.coolUntil[index] ?? 0, this.clock.now() + duration);
  }

  /** Milliseconds until some key is usable: 0 when one is now, undefined when there are no keys. */
  readyInMs(provider: ProviderConfig): number | undefined {
    const ring = this.ring(provider);
    if (ring.keys.length === 0) return undefined;
    const now = this.clock.now();
    return Math.max(0, Math.min(...ring.coolUntil) - now);
  }

  counts(provider: ProviderConfig): { total: number; coolingDown: number } {
    const ring = this.ring(provider);
    const now = this.clock.now();
    return { total: ring.keys.length, coolingDown: ring.coolUntil.filter((until) => until > now).length };
  }

  private ring(provider: ProviderConfig): Ring {
    let ring = this.rings.get(provider.name);
    if (!ring) {
      const keys = provider.api_keys.filter((key) => key !== '');
      ring = { keys, coolUntil: keys.map(() => 0), next: 0 };
      this.rings.set(provider.name, ring);
    }
    return ring;
  }
}
